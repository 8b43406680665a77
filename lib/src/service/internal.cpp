#include "parley/service/internal.hpp"

#include "parley/auth/keys_config.hpp"
#include "parley/http/error.hpp"

namespace parley {

bool is_internal_path(std::string_view path) noexcept
{
    return path == "/metrics" || path == "/internal" || path.starts_with("/internal/");
}

namespace {

// Runs the route of `main` that /internal/... names, if it has one.
net::awaitable<http::response> serve_internal(http::server& main, http::request_context& ctx)
{
    auto const path = ctx.request().path();
    auto match = main.routes().find(ctx.request().method, path);
    if (!is_internal_path(path) || match.result != http::router::match::found)
        throw http::not_found("Not found");
    ctx.set_route(http::router::pattern(*match.target), std::move(match.params));
    co_return co_await http::router::handler_of (*match.target)(ctx);
}

} // namespace

void require_credential_for_internal(http::server& server, std::string credential)
{
    // Not a coroutine: it refuses or hands on.
    auto guard = [credential = std::move(credential)](
                     http::request_context& ctx,
                     http::next_handler const& next) -> net::awaitable<http::response> {
        if (is_internal_path(ctx.request().path())) {
            auto presented = ctx.request().headers.get(auth::service_token_header);
            if (!presented || !auth::service_token_matches(credential, *presented))
                throw http::not_found("Not found");
        }
        return next(ctx);
    };
    server.use(guard);
}

std::unique_ptr<http::server> make_internal_server(runtime& rt, http::server& main,
                                                   http::server_options options)
{
    options.expose_metrics = true;
    options.cors_origins.clear();
    options.authenticate = {};
    auto internal = std::make_unique<http::server>(rt, std::move(options));
    auto forward = [&main](http::request_context& ctx) { return serve_internal(main, ctx); };
    for (auto m : {http::method::get, http::method::post})
        internal->routes().add(m, "/internal/{rest:path}", forward);
    return internal;
}

} // namespace parley
