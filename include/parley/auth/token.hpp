// Access tokens: JWTs signed with EdDSA (Ed25519). Only the auth service holds the private key
// and signs; every other service verifies locally with the public key(s), chosen by `kid` so
// that keys can be rotated (add the new public key to verifiers before signing with it).
//
//   auto keys = auth::load_or_create_dev_keys("var/keys");          // development only
//   auth::token_signer signer(keys.private_pem);                     // or read_key_file(...)
//   std::string jwt = signer.sign({.user_id = 7, .username = "ann", .is_admin = false});
//
//   auth::token_verifier verifier;                                   // default iss/aud/leeway
//   verifier.add_key(keys.public_pem);                               // kid derived from the key
//   auto who = verifier.verify(jwt);                                 // result<identity>
//   if (!who) log(who.error().message());                            // e.g. "token expired"
//   if (who.error() == auth::token_error::expired) ...
//
// verify() accepts nothing but the exact shape sign() produces: header {alg:"EdDSA", typ:"JWT",
// kid}, canonical unpadded base64url, and claims user_id, username, is_admin, iat, exp, iss,
// aud, sub (= user_id as text). Configure a verifier (add_key) before sharing it: verify() is
// const and safe to call from many threads at once; add_key() is not.
#pragma once

#include "parley/auth/identity.hpp"

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace parley::auth {

using token_clock = std::chrono::system_clock;

// Why verify() refused a token. Clients get one message for all of them (401); these are for
// logs and tests.
enum class token_error {
    malformed = 1,         // not three canonical base64url segments of JSON objects, too long
    unsupported_algorithm, // alg other than EdDSA ("none", "HS256", ...), a typ other than JWT,
                           // or a "crit" header
    unknown_key,           // kid missing or not one of the verifier's keys
    bad_signature,         // the signature does not match (any changed bit lands here or above)
    invalid_claims,        // a claim missing or of the wrong type, sub != user_id
    wrong_issuer,
    wrong_audience,
    expired,       // exp is in the past by more than the leeway
    not_yet_valid, // iat (or nbf) is in the future by more than the leeway
};

boost::system::error_category const& token_category() noexcept;
inline boost::system::error_code make_error_code(token_error e) noexcept
{
    return {static_cast<int>(e), token_category()};
}

// A PEM that cannot be read, is not an Ed25519 key, or a key file that cannot be written.
class key_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct key_pair {
    std::string private_pem; // PKCS#8 "BEGIN PRIVATE KEY"
    std::string public_pem;  // SubjectPublicKeyInfo "BEGIN PUBLIC KEY"
};

// A new random Ed25519 key pair.
key_pair generate_ed25519();

// The public key PEM of a private key PEM.
std::string public_pem_of(std::string_view private_pem);

// The key id: the first 16 hex characters of SHA-256 over the public key's DER encoding.
std::string key_id(std::string_view public_pem);

// Reads a PEM file (throws key_error). PEM strings passed to this header's functions may also
// come from environment variables, where "\n" is often written as a literal backslash-n: that
// form is accepted too.
std::string read_key_file(std::filesystem::path const& path);

// Development keys: <dir>/jwt-ed25519.pem (mode 0600) and <dir>/jwt-ed25519.pub.pem, created on
// first start (atomically: concurrent starts agree on one key) and reused afterwards.
key_pair load_or_create_dev_keys(std::filesystem::path const& dir);

inline constexpr std::string_view default_issuer = "parley-auth";
inline constexpr std::string_view default_audience = "parley";

struct signer_options {
    std::string issuer{default_issuer};
    std::string audience{default_audience};
    std::chrono::seconds lifetime = std::chrono::hours(24);
};

class token_signer {
public:
    // Throws key_error unless private_pem is an Ed25519 private key.
    explicit token_signer(std::string_view private_pem, signer_options options = {});
    token_signer(token_signer&&) noexcept;
    token_signer& operator=(token_signer&&) noexcept;
    ~token_signer();

    std::string sign(identity const& who) const { return sign(who, token_clock::now()); }
    // `now` becomes iat; exp = now + lifetime (whole seconds).
    std::string sign(identity const& who, token_clock::time_point now) const;

    std::string const& kid() const noexcept;
    std::string const& public_pem() const noexcept;
    signer_options const& options() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

struct verifier_options {
    std::string issuer{default_issuer};
    std::string audience{default_audience};
    // Tolerated clock difference between the signing and the verifying machine.
    std::chrono::seconds leeway{30};
};

class token_verifier {
public:
    explicit token_verifier(verifier_options options = {});
    token_verifier(token_verifier&&) noexcept;
    token_verifier& operator=(token_verifier&&) noexcept;
    ~token_verifier();

    // Adds a public key under its key_id() and returns that id. Throws key_error.
    std::string add_key(std::string_view public_pem);
    // Adds a public key under an explicit id (e.g. one configured with the key).
    void add_key(std::string kid, std::string_view public_pem);
    std::size_t key_count() const noexcept;

    boost::system::result<identity> verify(std::string_view token) const
    {
        return verify(token, token_clock::now());
    }
    boost::system::result<identity> verify(std::string_view token,
                                           token_clock::time_point now) const;

    verifier_options const& options() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace parley::auth

template <> struct boost::system::is_error_code_enum<parley::auth::token_error> : std::true_type {};
