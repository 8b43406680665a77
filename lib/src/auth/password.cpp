#include "parley/auth/password.hpp"

#include "auth/base64.hpp"

#include <argon2.h>
#include <charconv>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::auth {

namespace {

// What verify_password() agrees to compute: generous above the current parameters, but a
// stored string cannot make a login allocate gigabytes or spin for minutes.
constexpr std::uint32_t max_memory_kib = 256 * 1024;
constexpr std::uint32_t max_iterations = 64;
constexpr std::uint32_t max_parallelism = 16;
constexpr std::size_t min_salt_bytes = 8, max_salt_bytes = 64;
constexpr std::size_t min_hash_bytes = 16, max_hash_bytes = 128;
constexpr std::size_t max_encoded_bytes = 512;

struct phc {
    password_params params;
    std::string salt;
    std::string hash;
};

std::optional<std::uint32_t> parse_number(std::string_view text)
{
    // Digits only, no sign, no leading zero: one spelling per value.
    if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0'))
        return std::nullopt;
    std::uint32_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return v;
}

// Consumes "<name>=<number>" followed by `sep` (or the end when sep is '\0').
std::optional<std::uint32_t> take_param(std::string_view& s, std::string_view name, char sep)
{
    if (!s.starts_with(name) || s.size() <= name.size() || s[name.size()] != '=')
        return std::nullopt;
    s.remove_prefix(name.size() + 1);
    auto const end = sep ? s.find(sep) : s.size();
    if (end == std::string_view::npos)
        return std::nullopt;
    auto v = parse_number(s.substr(0, end));
    s.remove_prefix(sep ? end + 1 : end);
    return v;
}

std::optional<phc> parse_phc(std::string_view encoded)
{
    if (encoded.size() > max_encoded_bytes)
        return std::nullopt;
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        auto const end = encoded.find('$', start);
        parts.push_back(encoded.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    if (parts.size() != 6 || !parts[0].empty() || parts[1] != "argon2id" || parts[2] != "v=19")
        return std::nullopt;

    phc out;
    auto p = parts[3];
    auto m = take_param(p, "m", ',');
    auto t = m ? take_param(p, "t", ',') : std::nullopt;
    auto par = t ? take_param(p, "p", '\0') : std::nullopt;
    if (!par || !p.empty())
        return std::nullopt;
    out.params.memory_kib = *m;
    out.params.iterations = *t;
    out.params.parallelism = *par;
    if (*par < 1 || *par > max_parallelism || *t < 1 || *t > max_iterations || *m < 8 * *par ||
        *m > max_memory_kib)
        return std::nullopt;

    auto salt = detail::base64_decode(parts[4], detail::base64_alphabet::standard);
    auto hash = detail::base64_decode(parts[5], detail::base64_alphabet::standard);
    if (!salt || !hash || salt->size() < min_salt_bytes || salt->size() > max_salt_bytes ||
        hash->size() < min_hash_bytes || hash->size() > max_hash_bytes)
        return std::nullopt;
    out.params.salt_bytes = static_cast<std::uint32_t>(salt->size());
    out.params.hash_bytes = static_cast<std::uint32_t>(hash->size());
    out.salt = std::move(*salt);
    out.hash = std::move(*hash);
    return out;
}

bool compute(std::string_view password, password_params const& p, std::string_view salt,
             std::string& out)
{
    out.assign(p.hash_bytes, '\0');
    return argon2id_hash_raw(p.iterations, p.memory_kib, p.parallelism, password.data(),
                             password.size(), salt.data(), salt.size(), out.data(),
                             out.size()) == ARGON2_OK;
}

} // namespace

std::string hash_password(std::string_view password)
{
    auto const& p = current_password_params;
    unsigned char salt[current_password_params.salt_bytes];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        ERR_clear_error();
        throw std::runtime_error("password hashing: no random bytes for the salt");
    }
    std::string encoded(argon2_encodedlen(p.iterations, p.memory_kib, p.parallelism, sizeof salt,
                                          p.hash_bytes, Argon2_id),
                        '\0');
    int rc = argon2id_hash_encoded(p.iterations, p.memory_kib, p.parallelism, password.data(),
                                   password.size(), salt, sizeof salt, p.hash_bytes, encoded.data(),
                                   encoded.size());
    if (rc != ARGON2_OK)
        throw std::runtime_error(std::string("password hashing failed: ") +
                                 argon2_error_message(rc));
    encoded.resize(encoded.find('\0')); // the encoder writes a C string
    return encoded;
}

bool verify_password(std::string_view password, std::string_view encoded)
{
    auto const stored = parse_phc(encoded);
    if (!stored)
        return false;
    std::string computed;
    if (!compute(password, stored->params, stored->salt, computed))
        return false;
    return CRYPTO_memcmp(computed.data(), stored->hash.data(), computed.size()) == 0;
}

bool needs_rehash(std::string_view encoded)
{
    auto const stored = parse_phc(encoded);
    if (!stored)
        return true;
    auto const& now = current_password_params;
    auto const& p = stored->params;
    return p.memory_kib < now.memory_kib || p.iterations < now.iterations ||
           p.parallelism < now.parallelism || p.salt_bytes < now.salt_bytes ||
           p.hash_bytes < now.hash_bytes;
}

void dummy_verify(std::string_view password)
{
    // The same computation as verifying a current hash; the result is thrown away.
    static constexpr char salt[current_password_params.salt_bytes] = {};
    std::string ignored;
    compute(password, current_password_params, std::string_view(salt, sizeof salt), ignored);
}

} // namespace parley::auth
