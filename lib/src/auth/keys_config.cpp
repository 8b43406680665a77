#include "parley/auth/keys_config.hpp"

#include "parley/log/log.hpp"

#include <filesystem>
#include <mutex>
#include <openssl/crypto.h>
#include <optional>
#include <vector>

namespace parley::auth {

namespace {

constexpr std::size_t min_production_service_token = 16;

// Text of a key given inline (PARLEY_X) or as a file (PARLEY_X_FILE); both set is ambiguous.
std::optional<std::string> key_text(config const& cfg, std::string_view inline_name,
                                    std::string_view file_name)
{
    auto text = cfg.optional_string({inline_name});
    auto file = cfg.optional_string({file_name});
    if (text && !text->empty() && file && !file->empty())
        throw config_error(std::string(inline_name) + " and " + std::string(file_name) +
                           " are both set: set one");
    if (text && !text->empty())
        return text;
    if (file && !file->empty()) {
        try {
            return read_key_file(*file);
        } catch (key_error const& e) {
            throw config_error(std::string(file_name) + ": " + e.what());
        }
    }
    return std::nullopt;
}

// Each "-----BEGIN ...": several public keys may be configured at once during a rotation.
std::vector<std::string> pem_blocks(std::string_view text)
{
    constexpr std::string_view begin = "-----BEGIN";
    std::vector<std::string> blocks;
    auto pos = text.find(begin);
    while (pos != std::string_view::npos) {
        auto next = text.find(begin, pos + begin.size());
        blocks.emplace_back(text.substr(pos, next == std::string_view::npos ? next : next - pos));
        pos = next;
    }
    return blocks;
}

key_pair dev_keys(config const& cfg, std::string_view purpose)
{
    auto dir = std::filesystem::path(cfg.data_dir()) / "keys";
    auto keys = load_or_create_dev_keys(dir);
    static std::once_flag warned;
    std::call_once(warned, [&] {
        log::warn("development token keys in use: set PARLEY_JWT_PRIVATE_KEY(_FILE) and "
                  "PARLEY_JWT_PUBLIC_KEY(_FILE) outside development",
                  {{"dir", dir.string()}, {"purpose", purpose}});
    });
    return keys;
}

} // namespace

token_signer signer_from_config(config const& cfg)
{
    signer_options options;
    options.lifetime = std::chrono::duration_cast<std::chrono::seconds>(
        cfg.duration({"PARLEY_JWT_LIFETIME"}, std::chrono::hours(24)));
    if (options.lifetime < std::chrono::seconds(60) ||
        options.lifetime > std::chrono::hours(24 * 30))
        throw config_error("PARLEY_JWT_LIFETIME must be between 1 minute and 30 days");
    if (auto pem = key_text(cfg, "PARLEY_JWT_PRIVATE_KEY", "PARLEY_JWT_PRIVATE_KEY_FILE")) {
        try {
            return token_signer(*pem, options);
        } catch (key_error const& e) {
            throw config_error(std::string("PARLEY_JWT_PRIVATE_KEY: ") + e.what());
        }
    }
    if (cfg.production())
        throw config_error("PARLEY_JWT_PRIVATE_KEY or PARLEY_JWT_PRIVATE_KEY_FILE is required in "
                           "production (an Ed25519 private key in PEM)");
    return token_signer(dev_keys(cfg, "signing").private_pem, options);
}

token_verifier verifier_from_config(config const& cfg)
{
    token_verifier verifier;
    if (auto text = key_text(cfg, "PARLEY_JWT_PUBLIC_KEY", "PARLEY_JWT_PUBLIC_KEY_FILE")) {
        auto blocks = pem_blocks(*text);
        if (blocks.empty())
            blocks.push_back(*text); // let the parser say what is wrong with it
        for (auto const& pem : blocks) {
            try {
                verifier.add_key(pem);
            } catch (key_error const& e) {
                throw config_error(std::string("PARLEY_JWT_PUBLIC_KEY: ") + e.what());
            }
        }
    }
    if (auto pem = key_text(cfg, "PARLEY_JWT_PRIVATE_KEY", "PARLEY_JWT_PRIVATE_KEY_FILE")) {
        try {
            verifier.add_key(public_pem_of(*pem)); // the signer accepts its own tokens
        } catch (key_error const& e) {
            throw config_error(std::string("PARLEY_JWT_PRIVATE_KEY: ") + e.what());
        }
    }
    if (verifier.key_count() > 0)
        return verifier;
    if (cfg.production())
        throw config_error("PARLEY_JWT_PUBLIC_KEY or PARLEY_JWT_PUBLIC_KEY_FILE is required in "
                           "production (the auth service's Ed25519 public key in PEM)");
    verifier.add_key(dev_keys(cfg, "verifying").public_pem);
    return verifier;
}

std::string service_token_from_config(config const& cfg)
{
    auto token = cfg.optional_string({"PARLEY_SERVICE_TOKEN"});
    if (token && !token->empty()) {
        if (cfg.production() && token->size() < min_production_service_token)
            throw config_error("PARLEY_SERVICE_TOKEN must be at least 16 characters in production");
        return *token;
    }
    if (cfg.production())
        throw config_error("PARLEY_SERVICE_TOKEN is required in production (the shared "
                           "credential of service-to-service calls)");
    static std::once_flag warned;
    std::call_once(warned, [] {
        log::warn("PARLEY_SERVICE_TOKEN not set: using the fixed development service credential");
    });
    return std::string(dev_service_token);
}

bool service_token_matches(std::string_view expected, std::string_view presented) noexcept
{
    if (expected.empty() || expected.size() != presented.size())
        return false;
    return CRYPTO_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

http::authenticator authenticator_for(std::shared_ptr<token_verifier const> verifier)
{
    return [verifier = std::move(verifier)](std::string_view token) -> std::optional<identity> {
        auto who = verifier->verify(token);
        if (!who)
            return std::nullopt;
        return std::move(*who);
    };
}

} // namespace parley::auth
