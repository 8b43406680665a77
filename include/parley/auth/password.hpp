// Password hashing: argon2id (libargon2) with OWASP's parameters, stored as a PHC string
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>".
//
// Every function here is CPU- and memory-heavy (~19 MiB, tens of ms) and blocking: call them
// off the I/O thread, e.g. `co_await rt.offload([&] { return hash_password(pw); })`. They are
// thread-safe.
//
//   user.password_hash = auth::hash_password(body.password);               // register
//
//   if (!user) { auth::dummy_verify(body.password); throw unauthorized; }  // login: unknown user
//   if (!auth::verify_password(body.password, user->password_hash)) throw unauthorized;
//   if (auth::needs_rehash(user->password_hash)) store(auth::hash_password(body.password));
//
// Callers bound the password length (e.g. 1 KiB) before hashing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::auth {

struct password_params {
    std::uint32_t memory_kib = 19456; // OWASP (2023): m=19 MiB, t=2, p=1
    std::uint32_t iterations = 2;
    std::uint32_t parallelism = 1;
    std::uint32_t salt_bytes = 16;
    std::uint32_t hash_bytes = 32;
};

// The parameters hash_password() uses now.
inline constexpr password_params current_password_params{};

// A new PHC string with a fresh random salt. Throws std::runtime_error if hashing fails.
std::string hash_password(std::string_view password);

// True when `encoded` is an argon2id PHC string of this password. Constant-time comparison;
// a malformed, non-argon2id or absurd (e.g. 4 GiB memory) string is false, never a crash.
bool verify_password(std::string_view password, std::string_view encoded);

// True when `encoded` was made with weaker parameters than current_password_params (or cannot
// be read): hash the password again after the next successful login.
bool needs_rehash(std::string_view encoded);

// Costs what verify_password() costs with current parameters, and always fails: for logins of
// unknown users, so that timing does not reveal which usernames exist.
void dummy_verify(std::string_view password);

} // namespace parley::auth
