// Fuzz target: JWT parsing and verification (include/parley/auth/token.hpp), public key and key
// configuration parsing, and the strict base64 under both.
//
// Byte 0 picks the mode; the rest is the input:
//   0  a token, verified at a fixed time against the harness's key. A token that verifies must
//      be exactly what the signer makes of its identity and iat: nothing the fuzzer changes in a
//      signed token (encoding, header, claims, signature) may still be accepted.
//   1  "<header JSON>\n<claims JSON>", base64url-encoded and signed with the harness's key, so
//      that the claim checks are reached with claims the fuzzer chooses; an accepted token's
//      identity must be the claims' and its exp/iat within the leeway of now.
//   2  PEM text: token_verifier::add_key, key_id, public_pem_of, and PARLEY_JWT_PUBLIC_KEY in
//      verifier_from_config; only key_error / config_error may come out.
//   3  base64 (url and standard): a decoding re-encodes to the same text, and any bytes
//      encode and decode back.
#include "auth/base64.hpp"
#include "check.hpp"
#include "parley/auth/keys_config.hpp"
#include "parley/auth/token.hpp"
#include "parley/config/config.hpp"

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string>
#include <string_view>

using namespace parley;
using auth::detail::base64_alphabet;

namespace {

// A key made for this harness (and its seed corpus) only.
constexpr char private_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MC4CAQAwBQYDK2VwBCIEIHahY/t24WIV5uELmKaI4H1Pflc7GNt9PQmxGbrMBbWR\n"
                               "-----END PRIVATE KEY-----\n";

// 2026-01-01T00:00:00Z: the seed tokens were signed at or around it.
constexpr std::int64_t now_seconds = 1767225600;
auth::token_clock::time_point const now{std::chrono::seconds(now_seconds)};

struct harness {
    harness() : signer(private_pem), verifier()
    {
        verifier.add_key(signer.public_pem());
        BIO* bio = BIO_new_mem_buf(private_pem, -1);
        key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
        PARLEY_FUZZ_CHECK(key != nullptr);
    }
    auth::token_signer signer;
    auth::token_verifier verifier;
    EVP_PKEY* key = nullptr;
};

harness& the_harness()
{
    static harness* h = new harness; // never destroyed: libFuzzer exits without unwinding
    return *h;
}

std::string b64(std::string_view bytes)
{
    return auth::detail::base64_encode(bytes, base64_alphabet::url);
}

std::optional<boost::json::object> claims_of(std::string_view token)
{
    auto const dot1 = token.find('.');
    auto const dot2 = token.find('.', dot1 + 1);
    auto bytes =
        auth::detail::base64_decode(token.substr(dot1 + 1, dot2 - dot1 - 1), base64_alphabet::url);
    if (!bytes)
        return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(*bytes, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    return v.as_object();
}

void verify_token(std::string_view token)
{
    auto& h = the_harness();
    auto who = h.verifier.verify(token, now);
    if (!who)
        return;
    auto claims = claims_of(token);
    PARLEY_FUZZ_CHECK(claims);
    auto const iat = claims->at("iat").to_number<std::int64_t>();
    auto const again =
        h.signer.sign(*who, auth::token_clock::time_point(std::chrono::seconds(iat)));
    PARLEY_FUZZ_CHECK(again == token);
}

std::string sign_raw(std::string const& signing_input)
{
    auto& h = the_harness();
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char signature[64];
    std::size_t signature_size = sizeof signature;
    PARLEY_FUZZ_CHECK(ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, h.key) == 1);
    PARLEY_FUZZ_CHECK(EVP_DigestSign(ctx.get(), signature, &signature_size,
                                     reinterpret_cast<unsigned char const*>(signing_input.data()),
                                     signing_input.size()) == 1);
    return b64(std::string_view(reinterpret_cast<char const*>(signature), signature_size));
}

void verify_signed_claims(std::string_view input)
{
    auto const newline = input.find('\n');
    if (newline == std::string_view::npos)
        return;
    auto const signing_input = b64(input.substr(0, newline)) + "." + b64(input.substr(newline + 1));
    auto const token = signing_input + "." + sign_raw(signing_input);
    auto who = the_harness().verifier.verify(token, now);
    if (!who)
        return;
    // Accepted: the identity is the claims', and the times are within the leeway.
    boost::system::error_code ec;
    auto claims = boost::json::parse(input.substr(newline + 1), ec);
    PARLEY_FUZZ_CHECK(!ec && claims.is_object());
    auto const& c = claims.as_object();
    PARLEY_FUZZ_CHECK(c.at("user_id").to_number<std::int64_t>() == who->user_id);
    PARLEY_FUZZ_CHECK(c.at("username").as_string() == who->username);
    PARLEY_FUZZ_CHECK(c.at("is_admin").as_bool() == who->is_admin);
    PARLEY_FUZZ_CHECK(c.at("sub").as_string() == std::to_string(who->user_id));
    auto const leeway = the_harness().verifier.options().leeway.count();
    PARLEY_FUZZ_CHECK(c.at("exp").to_number<std::int64_t>() >= now_seconds - leeway);
    PARLEY_FUZZ_CHECK(c.at("iat").to_number<std::int64_t>() <= now_seconds + leeway);
}

void parse_keys(std::string_view pem)
{
    try {
        auth::token_verifier v;
        auto const kid = v.add_key(pem);
        PARLEY_FUZZ_CHECK(kid.size() == 16 && v.key_count() == 1);
        PARLEY_FUZZ_CHECK(auth::key_id(pem) == kid);
    } catch (auth::key_error const&) {
    }
    try {
        (void)auth::public_pem_of(pem);
    } catch (auth::key_error const&) {
    }
    try {
        config cfg({{"PARLEY_JWT_PUBLIC_KEY", std::string(pem)}, {"PARLEY_ENV", "production"}});
        auto v = auth::verifier_from_config(cfg);
        PARLEY_FUZZ_CHECK(v.key_count() >= 1);
    } catch (config_error const&) {
    } catch (auth::key_error const&) {
    }
}

void base64_round_trips(std::string_view text)
{
    for (auto a : {base64_alphabet::url, base64_alphabet::standard}) {
        if (auto bytes = auth::detail::base64_decode(text, a))
            PARLEY_FUZZ_CHECK(auth::detail::base64_encode(*bytes, a) == text);
        auto const encoded = auth::detail::base64_encode(text, a);
        auto const decoded = auth::detail::base64_decode(encoded, a);
        PARLEY_FUZZ_CHECK(decoded && *decoded == text);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size < 1)
        return 0;
    std::string_view const input(reinterpret_cast<char const*>(data + 1), size - 1);
    switch (data[0] % 4) {
    case 0:
        verify_token(input);
        break;
    case 1:
        verify_signed_claims(input);
        break;
    case 2:
        parse_keys(input);
        break;
    case 3:
        base64_round_trips(input);
        break;
    }
    return 0;
}
