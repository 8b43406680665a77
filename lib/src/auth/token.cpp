#include "parley/auth/token.hpp"

#include "auth/base64.hpp"
#include "auth/openssl.hpp"

#include <boost/json.hpp>
#include <limits>
#include <map>
#include <string>

namespace parley::auth {

namespace {

using detail::base64_alphabet;
namespace bj = boost::json;

// Far above any token we issue; bounds the work an attacker can ask for.
constexpr std::size_t max_token_bytes = 8 * 1024;
constexpr std::size_t ed25519_signature_bytes = 64;

class token_category_impl final : public boost::system::error_category {
public:
    token_category_impl() noexcept : error_category(0x7061726c65790001ULL) {}
    char const* name() const noexcept override { return "parley.token"; }
    std::string message(int e) const override
    {
        switch (static_cast<token_error>(e)) {
        case token_error::malformed:
            return "malformed token";
        case token_error::unsupported_algorithm:
            return "unsupported token algorithm";
        case token_error::unknown_key:
            return "unknown token key id";
        case token_error::bad_signature:
            return "bad token signature";
        case token_error::invalid_claims:
            return "missing or invalid token claims";
        case token_error::wrong_issuer:
            return "wrong token issuer";
        case token_error::wrong_audience:
            return "wrong token audience";
        case token_error::expired:
            return "token expired";
        case token_error::not_yet_valid:
            return "token not yet valid";
        }
        return "unknown token error";
    }
};

std::int64_t seconds_since_epoch(token_clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string b64(std::string_view bytes)
{
    return detail::base64_encode(bytes, base64_alphabet::url);
}

// A JSON object from one base64url segment, or nullopt.
std::optional<bj::object> decode_object(std::string_view segment)
{
    auto bytes = detail::base64_decode(segment, base64_alphabet::url);
    if (!bytes)
        return std::nullopt;
    boost::system::error_code ec;
    bj::value v = bj::parse(*bytes, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    return std::move(v.as_object());
}

std::optional<std::int64_t> int_claim(bj::object const& o, std::string_view key)
{
    auto const* v = o.if_contains(key);
    if (!v)
        return std::nullopt;
    if (v->is_int64())
        return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= std::numeric_limits<std::int64_t>::max())
        return static_cast<std::int64_t>(v->get_uint64());
    return std::nullopt; // doubles ("1e9", 1.5) are not accepted for integer claims
}

} // namespace

boost::system::error_category const& token_category() noexcept
{
    static token_category_impl const category;
    return category;
}

// ---------------------------------------------------------------------------------------------

struct token_signer::impl {
    detail::pkey_ptr key;
    std::string kid;
    std::string public_pem;
    signer_options options;
};

token_signer::token_signer(std::string_view private_pem, signer_options options)
    : impl_(std::make_unique<impl>())
{
    impl_->key = detail::parse_private_key(private_pem);
    impl_->kid = detail::kid_of(impl_->key.get());
    impl_->public_pem = detail::public_pem(impl_->key.get());
    if (options.lifetime <= std::chrono::seconds::zero())
        throw std::invalid_argument("token lifetime must be positive");
    impl_->options = std::move(options);
}

token_signer::token_signer(token_signer&&) noexcept = default;
token_signer& token_signer::operator=(token_signer&&) noexcept = default;
token_signer::~token_signer() = default;

std::string const& token_signer::kid() const noexcept
{
    return impl_->kid;
}
std::string const& token_signer::public_pem() const noexcept
{
    return impl_->public_pem;
}
signer_options const& token_signer::options() const noexcept
{
    return impl_->options;
}

std::string token_signer::sign(identity const& who, token_clock::time_point now) const
{
    bj::object header;
    header["alg"] = "EdDSA";
    header["typ"] = "JWT";
    header["kid"] = impl_->kid;

    auto const iat = seconds_since_epoch(now);
    bj::object claims;
    claims["user_id"] = who.user_id;
    claims["username"] = who.username;
    claims["is_admin"] = who.is_admin;
    claims["iat"] = iat;
    claims["exp"] = iat + impl_->options.lifetime.count();
    claims["iss"] = impl_->options.issuer;
    claims["aud"] = impl_->options.audience;
    claims["sub"] = std::to_string(who.user_id);

    auto signing_input = b64(bj::serialize(header)) + "." + b64(bj::serialize(claims));

    detail::clear_openssl_errors clear;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char signature[ed25519_signature_bytes];
    std::size_t signature_size = sizeof signature;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), signature, &signature_size,
                       reinterpret_cast<unsigned char const*>(signing_input.data()),
                       signing_input.size()) != 1)
        throw std::runtime_error("Ed25519 signing failed");
    signing_input += '.';
    signing_input +=
        b64(std::string_view(reinterpret_cast<char const*>(signature), signature_size));
    return signing_input;
}

// ---------------------------------------------------------------------------------------------

struct token_verifier::impl {
    verifier_options options;
    std::map<std::string, detail::pkey_ptr, std::less<>> keys;
};

token_verifier::token_verifier(verifier_options options) : impl_(std::make_unique<impl>())
{
    if (options.leeway < std::chrono::seconds::zero())
        throw std::invalid_argument("token leeway must not be negative");
    impl_->options = std::move(options);
}

token_verifier::token_verifier(token_verifier&&) noexcept = default;
token_verifier& token_verifier::operator=(token_verifier&&) noexcept = default;
token_verifier::~token_verifier() = default;

verifier_options const& token_verifier::options() const noexcept
{
    return impl_->options;
}
std::size_t token_verifier::key_count() const noexcept
{
    return impl_->keys.size();
}

std::string token_verifier::add_key(std::string_view public_pem)
{
    auto key = detail::parse_public_key(public_pem);
    auto kid = detail::kid_of(key.get());
    impl_->keys[kid] = std::move(key);
    return kid;
}

void token_verifier::add_key(std::string kid, std::string_view public_pem)
{
    if (kid.empty())
        throw key_error("empty key id");
    impl_->keys[std::move(kid)] = detail::parse_public_key(public_pem);
}

boost::system::result<identity> token_verifier::verify(std::string_view token,
                                                       token_clock::time_point now) const
{
    if (token.empty() || token.size() > max_token_bytes)
        return token_error::malformed;
    auto const dot1 = token.find('.');
    if (dot1 == std::string_view::npos)
        return token_error::malformed;
    auto const dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return token_error::malformed;
    auto const header_text = token.substr(0, dot1);
    auto const claims_text = token.substr(dot1 + 1, dot2 - dot1 - 1);
    auto const signature_text = token.substr(dot2 + 1);

    // Header first: which algorithm and key. Nothing but EdDSA is ever accepted, so "none" and
    // HS256 signed with the public key as HMAC secret fail here.
    auto header = decode_object(header_text);
    if (!header)
        return token_error::malformed;
    auto const* alg = header->if_contains("alg");
    if (!alg || !alg->is_string() || alg->get_string() != "EdDSA")
        return token_error::unsupported_algorithm;
    if (auto const* typ = header->if_contains("typ");
        typ && (!typ->is_string() || typ->get_string() != "JWT"))
        return token_error::unsupported_algorithm;
    if (header->contains("crit")) // extensions we do not understand must not be ignored
        return token_error::unsupported_algorithm;
    auto const* kid = header->if_contains("kid");
    if (!kid || !kid->is_string())
        return token_error::unknown_key;
    auto const key = impl_->keys.find(std::string_view(kid->get_string()));
    if (key == impl_->keys.end())
        return token_error::unknown_key;

    // Signature over the exact bytes received, before the claims are even parsed.
    auto const signature = detail::base64_decode(signature_text, base64_alphabet::url);
    if (!signature)
        return token_error::malformed;
    if (signature->size() != ed25519_signature_bytes)
        return token_error::bad_signature;
    {
        detail::clear_openssl_errors clear;
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
        auto const signed_part = token.substr(0, dot2);
        if (!ctx ||
            EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->second.get()) != 1)
            return token_error::bad_signature;
        if (EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(signature->data()),
                             signature->size(),
                             reinterpret_cast<unsigned char const*>(signed_part.data()),
                             signed_part.size()) != 1)
            return token_error::bad_signature;
    }

    auto claims = decode_object(claims_text);
    if (!claims)
        return token_error::malformed;
    auto const user_id = int_claim(*claims, "user_id");
    auto const exp = int_claim(*claims, "exp");
    auto const iat = int_claim(*claims, "iat");
    auto const* username = claims->if_contains("username");
    auto const* is_admin = claims->if_contains("is_admin");
    auto const* iss = claims->if_contains("iss");
    auto const* aud = claims->if_contains("aud");
    auto const* sub = claims->if_contains("sub");
    if (!user_id || !exp || !iat || !username || !username->is_string() || !is_admin ||
        !is_admin->is_bool() || !iss || !iss->is_string() || !aud || !sub || !sub->is_string() ||
        sub->get_string() != std::to_string(*user_id))
        return token_error::invalid_claims;
    std::optional<std::int64_t> nbf;
    if (claims->contains("nbf") && !(nbf = int_claim(*claims, "nbf")))
        return token_error::invalid_claims;

    if (iss->get_string() != impl_->options.issuer)
        return token_error::wrong_issuer;
    // aud is a string, or an array of strings of which one must be ours (RFC 7519 4.1.3).
    bool audience_ok = false;
    if (aud->is_string()) {
        audience_ok = aud->get_string() == impl_->options.audience;
    } else if (aud->is_array()) {
        for (auto const& a : aud->get_array()) {
            if (!a.is_string())
                return token_error::invalid_claims;
            audience_ok = audience_ok || a.get_string() == impl_->options.audience;
        }
    } else {
        return token_error::invalid_claims;
    }
    if (!audience_ok)
        return token_error::wrong_audience;

    // Saturating arithmetic: absurd exp/iat values must not overflow into acceptance.
    auto const t = seconds_since_epoch(now);
    auto const leeway = impl_->options.leeway.count();
    auto const max = std::numeric_limits<std::int64_t>::max();
    auto const exp_limit = *exp > max - leeway ? max : *exp + leeway;
    auto const future_limit = t > max - leeway ? max : t + leeway;
    if (t > exp_limit)
        return token_error::expired;
    if (*iat > future_limit || (nbf && *nbf > future_limit))
        return token_error::not_yet_valid;

    return identity{.user_id = *user_id,
                    .username = std::string(username->get_string()),
                    .is_admin = is_admin->get_bool(),
                    .issued_at = *iat,
                    .expires_at = *exp};
}

} // namespace parley::auth
