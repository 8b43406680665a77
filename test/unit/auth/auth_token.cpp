#include "parley/auth/token.hpp"
#include "unit/store/temp_dir.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <memory>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>

using namespace parley;
using auth::token_error;

namespace parley::auth {
// Lets BOOST_TEST print expected errors.
std::ostream& boost_test_print_type(std::ostream& os, token_error e)
{
    return os << make_error_code(e).message();
}
} // namespace parley::auth
namespace bj = boost::json;

namespace {

// An independent base64url encoder/decoder (not the library's) for building test tokens.
std::string b64url(std::string_view bytes)
{
    static constexpr char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        acc = acc << 8 | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += chars[acc >> bits & 63];
        }
    }
    if (bits > 0)
        out += chars[acc << (6 - bits) & 63];
    return out;
}

std::string unb64url(std::string_view text)
{
    std::string s(text);
    for (auto& c : s)
        c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (s.size() % 4)
        s += '=';
    std::string out(s.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<unsigned char const*>(s.data()),
                            static_cast<int>(s.size()));
    BOOST_REQUIRE(n >= 0);
    out.resize(static_cast<std::size_t>(n) - std::count(s.begin(), s.end(), '='));
    return out;
}

std::vector<std::string> split(std::string const& token)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        auto end = token.find('.', start);
        parts.push_back(token.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos)
            return parts;
        start = end + 1;
    }
}

// Signs arbitrary header/claims text with Ed25519 through OpenSSL directly.
std::string sign_raw(std::string const& private_pem, std::string const& header,
                     std::string const& claims)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    BOOST_REQUIRE(key);
    auto input = b64url(header) + "." + b64url(claims);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char sig[64];
    std::size_t n = sizeof sig;
    BOOST_REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1);
    BOOST_REQUIRE(EVP_DigestSign(ctx.get(), sig, &n,
                                 reinterpret_cast<unsigned char const*>(input.data()),
                                 input.size()) == 1);
    return input + "." + b64url(std::string_view(reinterpret_cast<char*>(sig), n));
}

auth::token_clock::time_point at(std::int64_t seconds)
{
    return auth::token_clock::time_point(std::chrono::seconds(seconds));
}

constexpr std::int64_t t0 = 1'700'000'000;

struct fixture {
    auth::key_pair keys = auth::generate_ed25519();
    auth::token_signer signer{keys.private_pem};
    auth::token_verifier verifier;
    auth::identity ann{42, "ann", true};

    fixture() { verifier.add_key(keys.public_pem); }

    std::string header_json(std::string alg = "EdDSA")
    {
        return bj::serialize(bj::object{{"alg", alg}, {"typ", "JWT"}, {"kid", signer.kid()}});
    }
    bj::object good_claims()
    {
        return bj::object{{"user_id", 42},   {"username", "ann"}, {"is_admin", true},
                          {"iat", t0},       {"exp", t0 + 3600},  {"iss", "parley-auth"},
                          {"aud", "parley"}, {"sub", "42"}};
    }
    boost::system::error_code error_of(std::string const& token, std::int64_t now = t0)
    {
        auto r = verifier.verify(token, at(now));
        return r ? boost::system::error_code{} : r.error();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(auth_token)

BOOST_FIXTURE_TEST_CASE(signed_tokens_verify_to_the_same_identity, fixture)
{
    auto token = signer.sign(ann, at(t0));
    auto who = verifier.verify(token, at(t0 + 60));
    BOOST_REQUIRE(who.has_value());
    BOOST_TEST(who->user_id == 42);
    BOOST_TEST(who->username == "ann");
    BOOST_TEST(who->is_admin);
    // Non-ASCII and JSON-special usernames survive.
    auth::identity odd{-1, "Zoë \"quoted\" \\ </script>", false};
    auto back = verifier.verify(signer.sign(odd));
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(back->username == odd.username);
    BOOST_TEST(back->user_id == -1);
    BOOST_TEST(!back->is_admin);
}

BOOST_FIXTURE_TEST_CASE(token_has_the_agreed_header_and_claims, fixture)
{
    auto parts = split(signer.sign(ann, at(t0)));
    BOOST_REQUIRE_EQUAL(parts.size(), 3u);
    auto header = bj::parse(unb64url(parts[0])).as_object();
    BOOST_TEST(header.at("alg").as_string() == "EdDSA");
    BOOST_TEST(header.at("typ").as_string() == "JWT");
    BOOST_TEST(header.at("kid").as_string() == signer.kid());
    auto claims = bj::parse(unb64url(parts[1])).as_object();
    BOOST_TEST(claims.at("user_id").as_int64() == 42);
    BOOST_TEST(claims.at("username").as_string() == "ann");
    BOOST_TEST(claims.at("is_admin").as_bool());
    BOOST_TEST(claims.at("iat").as_int64() == t0);
    BOOST_TEST(claims.at("exp").as_int64() == t0 + 24 * 3600);
    BOOST_TEST(claims.at("iss").as_string() == "parley-auth");
    BOOST_TEST(claims.at("aud").as_string() == "parley");
    BOOST_TEST(claims.at("sub").as_string() == "42");
    BOOST_TEST(unb64url(parts[2]).size() == 64u);
}

BOOST_FIXTURE_TEST_CASE(kid_is_sha256_of_the_public_key_der, fixture)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(keys.public_pem.data(), static_cast<int>(keys.public_pem.size())),
        BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(key.get(), &der);
    unsigned char digest[32];
    unsigned size = 0;
    EVP_Digest(der, n, digest, &size, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    char hex[17];
    for (int i = 0; i < 8; ++i)
        std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    BOOST_TEST(signer.kid() == std::string(hex));
    BOOST_TEST(auth::key_id(keys.public_pem) == signer.kid());
    BOOST_TEST(auth::public_pem_of(keys.private_pem) == keys.public_pem);
    BOOST_TEST(signer.public_pem() == keys.public_pem);
}

BOOST_FIXTURE_TEST_CASE(expiry_and_issue_time_are_checked_with_leeway, fixture)
{
    auto token = signer.sign(ann, at(t0));
    auto const exp = t0 + 24 * 3600;
    BOOST_TEST(!error_of(token, exp));
    BOOST_TEST(!error_of(token, exp + 30));
    BOOST_TEST(error_of(token, exp + 31) == token_error::expired);
    BOOST_TEST(!error_of(token, t0 - 30));
    BOOST_TEST(error_of(token, t0 - 31) == token_error::not_yet_valid);

    auth::token_verifier strict({.leeway = std::chrono::seconds(0)});
    strict.add_key(keys.public_pem);
    BOOST_TEST(!strict.verify(token, at(exp)).has_error());
    BOOST_TEST(strict.verify(token, at(exp + 1)).error() == token_error::expired);

    auth::token_signer short_lived(keys.private_pem, {.lifetime = std::chrono::minutes(5)});
    BOOST_TEST(error_of(short_lived.sign(ann, at(t0)), t0 + 331) == token_error::expired);
    BOOST_TEST(verifier.verify(signer.sign(ann)).has_value()); // the real clock by default
}

BOOST_FIXTURE_TEST_CASE(issuer_and_audience_must_match, fixture)
{
    auth::token_signer other_iss(keys.private_pem, {.issuer = "evil"});
    auth::token_signer other_aud(keys.private_pem, {.audience = "elsewhere"});
    BOOST_TEST(error_of(other_iss.sign(ann, at(t0))) == token_error::wrong_issuer);
    BOOST_TEST(error_of(other_aud.sign(ann, at(t0))) == token_error::wrong_audience);

    auto claims = good_claims();
    claims["aud"] = bj::array{"x", "parley"};
    BOOST_TEST(!error_of(sign_raw(keys.private_pem, header_json(), bj::serialize(claims))));
    claims["aud"] = bj::array{"x", "y"};
    BOOST_TEST(error_of(sign_raw(keys.private_pem, header_json(), bj::serialize(claims))) ==
               token_error::wrong_audience);
}

BOOST_FIXTURE_TEST_CASE(keys_are_chosen_by_kid, fixture)
{
    auto next = auth::generate_ed25519();
    auth::token_signer next_signer(next.private_pem);
    BOOST_TEST(next_signer.kid() != signer.kid());
    BOOST_TEST(error_of(next_signer.sign(ann, at(t0))) == token_error::unknown_key);

    verifier.add_key(next.public_pem); // rotation: both old and new tokens verify
    BOOST_TEST(verifier.key_count() == 2u);
    BOOST_TEST(!error_of(next_signer.sign(ann, at(t0))));
    BOOST_TEST(!error_of(signer.sign(ann, at(t0))));

    // A kid naming a key that did not sign it fails the signature.
    auth::token_verifier swapped;
    swapped.add_key(signer.kid(), next.public_pem);
    BOOST_TEST(swapped.verify(signer.sign(ann, at(t0)), at(t0)).error() ==
               token_error::bad_signature);

    auto no_kid = bj::serialize(bj::object{{"alg", "EdDSA"}, {"typ", "JWT"}});
    BOOST_TEST(error_of(sign_raw(keys.private_pem, no_kid, bj::serialize(good_claims()))) ==
               token_error::unknown_key);
}

BOOST_FIXTURE_TEST_CASE(alg_none_and_other_algorithms_are_refused, fixture)
{
    auto const claims = b64url(bj::serialize(good_claims()));
    auto none = b64url(header_json("none")) + "." + claims + ".";
    BOOST_TEST(error_of(none) == token_error::unsupported_algorithm);
    BOOST_TEST(error_of(none + "AAAA") == token_error::unsupported_algorithm);

    // HS256 "signed" with the public key bytes as the HMAC secret (the classic confusion).
    auto input = b64url(header_json("HS256")) + "." + claims;
    unsigned char mac[32];
    unsigned mac_size = 0;
    HMAC(EVP_sha256(), keys.public_pem.data(), static_cast<int>(keys.public_pem.size()),
         reinterpret_cast<unsigned char const*>(input.data()), input.size(), mac, &mac_size);
    auto hs256 = input + "." + b64url(std::string_view(reinterpret_cast<char*>(mac), mac_size));
    BOOST_TEST(error_of(hs256) == token_error::unsupported_algorithm);

    for (std::string alg : {"eddsa", "ES256", "RS256", "Ed25519", ""}) {
        auto t = sign_raw(keys.private_pem, header_json(alg), bj::serialize(good_claims()));
        BOOST_TEST(error_of(t) == token_error::unsupported_algorithm, alg);
    }
    auto with_crit = bj::serialize(bj::object{
        {"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", signer.kid()}, {"crit", bj::array{"exp"}}});
    BOOST_TEST(error_of(sign_raw(keys.private_pem, with_crit, bj::serialize(good_claims()))) ==
               token_error::unsupported_algorithm);
    // The same claims, properly signed, are fine: the refusals above are about the header.
    BOOST_TEST(!error_of(sign_raw(keys.private_pem, header_json(), bj::serialize(good_claims()))));
}

BOOST_FIXTURE_TEST_CASE(malformed_tokens_are_refused, fixture)
{
    auto good = signer.sign(ann, at(t0));
    auto parts = split(good);
    for (std::string bad :
         {std::string(), std::string("."), std::string(".."), std::string("..."),
          std::string("abc"), std::string("a.b"), std::string("a.b.c"), good + ".", good + ".x",
          "." + good, parts[0] + "." + parts[1], parts[0] + "=." + parts[1] + "." + parts[2],
          parts[0] + "." + parts[1] + "." + parts[2] + "==", good + " ", " " + good,
          parts[0] + ".." + parts[2], std::string(10000, 'a') + good,
          b64url("not json") + "." + parts[1] + "." + parts[2],
          b64url("[1,2]") + "." + parts[1] + "." + parts[2]}) {
        BOOST_TEST(!verifier.verify(bad, at(t0)).has_value(), bad.substr(0, 80));
    }
    // Properly signed, but the claims are not a JSON object.
    for (std::string claims : {"not json", "[1]", "42", "{\"user_id\":", ""}) {
        BOOST_TEST(error_of(sign_raw(keys.private_pem, header_json(), claims)) ==
                   token_error::malformed);
    }
    // A signature of the wrong length.
    BOOST_TEST(error_of(parts[0] + "." + parts[1] + "." + b64url("short")) ==
               token_error::bad_signature);
}

BOOST_FIXTURE_TEST_CASE(missing_or_mistyped_claims_are_refused, fixture)
{
    std::vector<std::pair<std::string, bj::value>> changes = {
        {"user_id", "42"},     {"user_id", 42.0},    {"user_id", nullptr}, {"username", 7},
        {"username", nullptr}, {"is_admin", 1},      {"is_admin", "true"}, {"exp", "9999999999"},
        {"exp", 1.7e9},        {"iat", bj::array{}}, {"iss", 1},           {"aud", 1},
        {"aud", bj::array{1}}, {"sub", 42},          {"sub", "43"},        {"nbf", "soon"}};
    for (auto const& [name, v] : changes) {
        auto claims = good_claims();
        claims[name] = v;
        BOOST_TEST(error_of(sign_raw(keys.private_pem, header_json(), bj::serialize(claims))) ==
                       token_error::invalid_claims,
                   name << " = " << bj::serialize(v));
    }
    for (auto name : {"user_id", "username", "is_admin", "exp", "iat", "iss", "aud", "sub"}) {
        auto claims = good_claims();
        claims.erase(name);
        BOOST_TEST(error_of(sign_raw(keys.private_pem, header_json(), bj::serialize(claims))) !=
                       boost::system::error_code{},
                   "without " << name);
    }
    auto claims = good_claims();
    claims["nbf"] = t0 + 3000;
    BOOST_TEST(error_of(sign_raw(keys.private_pem, header_json(), bj::serialize(claims))) ==
               token_error::not_yet_valid);
    claims["exp"] = std::numeric_limits<std::int64_t>::max(); // no overflow into acceptance
    claims["nbf"] = t0;
    BOOST_TEST(!error_of(sign_raw(keys.private_pem, header_json(), bj::serialize(claims))));
}

BOOST_FIXTURE_TEST_CASE(every_single_flipped_bit_is_refused, fixture)
{
    auto const token = signer.sign(ann, at(t0));
    BOOST_REQUIRE(verifier.verify(token, at(t0)).has_value());
    int accepted = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            auto flipped = token;
            flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
            if (verifier.verify(flipped, at(t0)).has_value()) {
                ++accepted;
                BOOST_TEST_MESSAGE("accepted with byte " << i << " bit " << bit << " flipped");
            }
        }
    }
    BOOST_TEST(accepted == 0);
}

BOOST_FIXTURE_TEST_CASE(errors_have_readable_messages, fixture)
{
    auto r = verifier.verify(signer.sign(ann, at(t0)), at(t0 + 2 * 24 * 3600));
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().message() == "token expired");
    BOOST_TEST(std::string(r.error().category().name()) == "parley.token");
}

BOOST_AUTO_TEST_CASE(bad_keys_are_key_errors)
{
    BOOST_CHECK_THROW(auth::token_signer("not a pem"), auth::key_error);
    BOOST_CHECK_THROW(auth::token_verifier().add_key(""), auth::key_error);
    auto keys = auth::generate_ed25519();
    BOOST_CHECK_THROW(auth::token_signer{keys.public_pem}, auth::key_error); // public as private
    BOOST_CHECK_THROW(auth::token_verifier().add_key(keys.private_pem), auth::key_error);
    BOOST_CHECK_THROW(auth::read_key_file("/nonexistent/key.pem"), auth::key_error);

    // An RSA key is a valid PEM but not Ed25519.
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> rsa(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)), EVP_PKEY_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), rsa.get());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    BOOST_CHECK_THROW(auth::token_verifier().add_key(std::string(data, n)), auth::key_error);
    BOOST_TEST(ERR_peek_error() == 0u); // no stale OpenSSL errors left for TLS code
}

BOOST_AUTO_TEST_CASE(pem_from_an_environment_variable_with_escaped_newlines_works)
{
    auto keys = auth::generate_ed25519();
    std::string escaped;
    for (char c : keys.private_pem)
        escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    auth::token_signer signer(escaped);
    auth::token_verifier verifier;
    verifier.add_key(keys.public_pem);
    BOOST_TEST(verifier.verify(signer.sign({1, "a", false})).has_value());
    BOOST_TEST(auth::generate_ed25519().private_pem != keys.private_pem);
}

BOOST_AUTO_TEST_CASE(dev_keys_are_created_once_with_private_permissions)
{
    test::temp_dir dir;
    auto folder = dir / "keys";
    auto first = auth::load_or_create_dev_keys(folder);
    struct stat st {};
    BOOST_REQUIRE(::stat((folder / "jwt-ed25519.pem").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_TEST(auth::read_key_file(folder / "jwt-ed25519.pub.pem") == first.public_pem);

    auto second = auth::load_or_create_dev_keys(folder);
    BOOST_TEST(second.private_pem == first.private_pem);
    BOOST_TEST(second.public_pem == first.public_pem);

    std::filesystem::remove(folder / "jwt-ed25519.pub.pem"); // re-derived from the private key
    auto third = auth::load_or_create_dev_keys(folder);
    BOOST_TEST(third.public_pem == first.public_pem);
    BOOST_TEST(std::filesystem::exists(folder / "jwt-ed25519.pub.pem"));

    std::ofstream(folder / "jwt-ed25519.pem", std::ios::trunc) << "garbage";
    BOOST_CHECK_THROW(auth::load_or_create_dev_keys(folder), auth::key_error);
}

BOOST_AUTO_TEST_SUITE_END()
