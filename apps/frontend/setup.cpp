#include "frontend/setup.hpp"

#include "frontend/routes.hpp"
#include "frontend/state.hpp"
#include "parley/log/log.hpp"

namespace parley::frontend_app {

std::string gateway_origin(frontend_state const& fs, http::request_context const& ctx)
{
    if (fs.gateway_public_url)
        return *fs.gateway_public_url;
    // Never the Host header itself: one of the configured hosts it names, or the first.
    auto const host = ctx.request().headers.get("Host").value_or("");
    return "http://" + fs.public_hosts.pick(host) + ":" + std::to_string(fs.gateway_port);
}

std::string content_security_policy(std::string const& gateway)
{
    std::string ws = gateway.rfind("https://", 0) == 0 ? "wss://" + gateway.substr(8)
                                                       : "ws://" + gateway.substr(7);
    return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self' " +
           gateway + " " + ws +
           "; object-src 'none'; base-uri 'none'; "
           "frame-ancestors 'none'; form-action 'self'";
}

void setup(service& svc)
{
    auto const& cfg = svc.config;
    auto fs = std::shared_ptr<frontend_state>(new frontend_state{
        .runtime = svc.runtime,
        .assets = cfg.string({"PARLEY_ASSETS_DIR"}, PARLEY_DEFAULT_ASSETS_DIR),
        .gateway_public_url = cfg.optional_string({"PARLEY_GATEWAY_PUBLIC_URL"}),
        .gateway_port = cfg.port({"PARLEY_GATEWAY_PUBLIC_PORT"}, 5000),
        .public_hosts = public_hosts::from_config(cfg),
    });
    if (fs->gateway_public_url) {
        auto& url = *fs->gateway_public_url;
        while (!url.empty() && url.back() == '/')
            url.pop_back();
        if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
            throw config_error("PARLEY_GATEWAY_PUBLIC_URL must start with http:// or https://");
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(fs->assets / "index.html", ec))
        throw config_error("PARLEY_ASSETS_DIR (" + fs->assets.string() + ") has no index.html");
    log::info("serving assets", {{"dir", fs->assets.string()}});
    add_routes(svc.server.routes(), fs);
    // Every answer carries the security headers (not a coroutine: it adds headers and hands on).
    auto security_headers = [fs](http::request_context& ctx, http::next_handler const& next) {
        auto& h = ctx.response_headers();
        h.set("Content-Security-Policy", content_security_policy(gateway_origin(*fs, ctx)));
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        h.set("X-Frame-Options", "DENY");
        return next(ctx);
    };
    svc.server.use(security_headers);
}

} // namespace parley::frontend_app
