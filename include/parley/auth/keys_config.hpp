// Token keys and the service credential from configuration: the one convention every service
// follows (documented in docs/configuration.md, "Keys and credentials").
//
//   Signing (auth only):  PARLEY_JWT_PRIVATE_KEY (PEM text) or PARLEY_JWT_PRIVATE_KEY_FILE.
//   Verifying (all):      PARLEY_JWT_PUBLIC_KEY (one or more PEM blocks, for rotation) or
//                         PARLEY_JWT_PUBLIC_KEY_FILE; a configured private key adds its own
//                         public key.
//   Development without keys: a key pair generated once under <PARLEY_DATA_DIR>/keys and shared
//   by every service using that data directory (with a warning log line).
//   Production without keys: config_error (the service exits 2).
//   Service credential:   PARLEY_SERVICE_TOKEN, sent as X-Parley-Service-Token; a fixed value
//                         in development (warning), required (>= 16 characters) in production.
//
//   auto verifier = std::make_shared<auth::token_verifier const>(auth::verifier_from_config(cfg));
//   options.authenticate = auth::authenticator_for(verifier);     // ctx.user() in handlers
#pragma once

#include "parley/auth/token.hpp"
#include "parley/config/config.hpp"
#include "parley/http/context.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace parley::auth {

// The header carrying the service credential on service-to-service calls.
inline constexpr std::string_view service_token_header = "X-Parley-Service-Token";
// The development default of PARLEY_SERVICE_TOKEN (refused in production).
inline constexpr std::string_view dev_service_token = "parley-development-service-token";

// The signing key (auth only). Throws config_error (or key_error for an unreadable key).
token_signer signer_from_config(config const& cfg);

// A verifier holding every configured public key. Throws config_error / key_error.
token_verifier verifier_from_config(config const& cfg);

// PARLEY_SERVICE_TOKEN. Throws config_error in production when missing or shorter than 16.
std::string service_token_from_config(config const& cfg);

// Constant-time comparison of a presented service credential with the configured one.
bool service_token_matches(std::string_view expected, std::string_view presented) noexcept;

// ctx.user() support: a bearer token -> identity through the verifier.
http::authenticator authenticator_for(std::shared_ptr<token_verifier const> verifier);

} // namespace parley::auth
