// Every route of the frontend, and the security headers every answer carries.
#include "routes.hpp"

#include "handlers/pages.hpp"

namespace parley::frontend {

void add_routes(http::server& server, frontend_state& fs)
{
    auto& r = server.routes();
    r.get("/health", http::bind<health>(fs));
    r.get("/config.json", http::bind<app_config>(fs));
    r.get("/", http::bind<serve_file>(fs));
    r.get("/{file:path}", http::bind<serve_file>(fs));

    // Not a coroutine: it adds headers and hands on.
    auto security_headers = [&fs](http::request_context& ctx, http::next_handler const& next) {
        auto& h = ctx.response_headers();
        h.set("Content-Security-Policy", content_security_policy(gateway_origin(fs, ctx)));
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        h.set("X-Frame-Options", "DENY");
        return next(ctx);
    };
    server.use(security_headers);
}

} // namespace parley::frontend
