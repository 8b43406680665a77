#include "gateway/setup.hpp"

#include "gateway/routes.hpp"
#include "gateway/state.hpp"
#include "parley/auth/keys_config.hpp"
#include "parley/auth/revocation.hpp"
#include "parley/log/log.hpp"
#include "parley/service/internal.hpp"

namespace parley::gateway_app {

namespace {

// Where this process can reach itself: its bind address, or loopback when bound to all.
std::string self_host(std::string bind)
{
    if (bind == "0.0.0.0" || bind.empty())
        return "127.0.0.1";
    if (bind == "::")
        return "[::1]";
    if (bind.find(':') != std::string::npos)
        return "[" + bind + "]";
    return bind;
}

// Where the chat replicas announce themselves: PARLEY_BUS_URL, as chat's (unset: nowhere).
std::unique_ptr<bus::redis::client> replicas_from_config(config const& cfg, net::any_io_executor ex)
{
    auto where =
        bus::redis::configured_endpoint(cfg.string({"PARLEY_BUS_URL"}, ""), "PARLEY_BUS_URL");
    if (!where)
        return nullptr;
    return std::make_unique<bus::redis::client>(
        std::move(ex), *where, bus::redis::client_options{.name = "redis-replicas"});
}

} // namespace

void setup(service& svc)
{
    auto const& cfg = svc.config;
    auto ex = svc.runtime.executor();

    http::client_options forward_options;
    forward_options.request_timeout =
        cfg.duration({"PARLEY_UPSTREAM_TIMEOUT"}, std::chrono::seconds(10));
    forward_options.connect_timeout =
        cfg.duration({"PARLEY_UPSTREAM_CONNECT_TIMEOUT"}, std::chrono::seconds(2));
    // Health and topology probes answer quickly or count as down.
    http::client_options probe_options;
    probe_options.request_timeout = cfg.duration({"PARLEY_PROBE_TIMEOUT"}, std::chrono::seconds(2));
    probe_options.connect_timeout =
        std::min(probe_options.request_timeout, forward_options.connect_timeout);
    probe_options.max_idle_per_address = 2;

    auto addresses = [&](config::names names, std::string fallback) {
        auto list = cfg.list(names, {fallback});
        if (list.empty())
            throw config_error(std::string(*names.begin()) + " must list at least one address");
        return list;
    };
    auto g = std::shared_ptr<gateway_state>(new gateway_state{
        .auth = upstream(
            ex, "auth", addresses({"PARLEY_AUTH_URL", "AUTH_SERVICE_URL"}, "http://127.0.0.1:5001"),
            forward_options, probe_options),
        .user = upstream(
            ex, "user", addresses({"PARLEY_USER_URL", "USER_SERVICE_URL"}, "http://127.0.0.1:5002"),
            forward_options, probe_options),
        .chat = upstream(
            ex, "chat", addresses({"PARLEY_CHAT_URL", "CHAT_SERVICE_URL"}, "http://127.0.0.1:5003"),
            forward_options, probe_options),
        .frontend = std::make_unique<upstream>(
            ex, "frontend",
            addresses({"PARLEY_FRONTEND_URL", "FRONTEND_URL"}, "http://127.0.0.1:8080"),
            forward_options, probe_options),
        .server = svc.server,
        .self_host = self_host(cfg.string({"PARLEY_BIND"}, "0.0.0.0")),
        .probe_options = probe_options,
        .ws_connect_timeout = forward_options.connect_timeout + std::chrono::seconds(3),
        .service_token = auth::service_token_from_config(cfg),
        .replicas = replicas_from_config(cfg, ex),
    });
    // X-Forwarded-For: the address the gateway saw, or its trusted proxy's entry; auth, which
    // throttles logins per address, gets the credential with it so that it believes it.
    auto proxies = std::make_shared<trusted_proxies const>(trusted_proxies::from_config(cfg));
    for (auto* u : {&g->auth, &g->user, &g->chat, g->frontend.get()})
        u->proxies = proxies;
    g->auth.vouch_token = g->service_token;
    // The public port: /metrics and /internal/* only with the credential (or on
    // PARLEY_INTERNAL_PORT).
    require_credential_for_internal(svc.server, g->service_token);

    // Only the admin topology needs a user; tokens are verified here with the public key.
    auto verifier = std::make_shared<auth::token_verifier const>(auth::verifier_from_config(cfg));
    // Revoked tokens are refused too (the list is polled from the auth service).
    svc.server.set_authenticator(
        auth::authenticator_for(verifier, auth::revocations_from_auth(cfg, svc.runtime)));

    ws::session_options ws_options;
    ws_options.allowed_origins = cfg.list({"PARLEY_WS_ORIGINS"}, {});
    add_routes(svc.server.routes(), g, ws_options);
}

} // namespace parley::gateway_app
