// Every route of the gateway, in one place. Most rows forward: the upstream path is the gateway
// path without its prefix (/api/chat/rooms/7 -> chat /rooms/7), the query string passed on.
#include "gateway/routes.hpp"

#include "gateway/handlers/handlers.hpp"
#include "gateway/ws_proxy.hpp"
#include "parley/ws/session.hpp"

#include <string_view>

namespace parley::gateway_app {

namespace {

// A route that forwards to `to` with `prefix` taken off the path (not a coroutine itself: it
// returns forward()'s awaitable).
http::handler to(std::shared_ptr<gateway_state> const& g, upstream& u, std::string_view prefix)
{
    return [g, &u, prefix](http::request_context& ctx) {
        std::string_view target = ctx.request().target;
        return forward(u, ctx, std::string(target.substr(prefix.size())));
    };
}

constexpr http::route_options small_body{.max_body_bytes = 16 * 1024};
constexpr http::route_options profile_body{.max_body_bytes = 64 * 1024};

} // namespace

void add_routes(http::router& r, std::shared_ptr<gateway_state> const& g,
                ws::session_options ws_options)
{
    r.get("/health", http::bind<health>(g));
    r.get("/api/stats", http::bind<stats>(g));
    r.get("/api/admin/topology", http::bind<topology>(g));

    // Auth service.
    r.post("/api/auth/register", to(g, g->auth, "/api/auth"), small_body);
    r.post("/api/auth/login", to(g, g->auth, "/api/auth"), small_body);
    r.post("/api/auth/verify", to(g, g->auth, "/api/auth"), small_body);
    r.get("/api/auth/users", to(g, g->auth, "/api/auth"));
    r.get("/api/auth/users/count", to(g, g->auth, "/api/auth"));
    r.get("/api/auth/users/{id:int}", to(g, g->auth, "/api/auth"));
    r.patch("/api/auth/users/{id:int}", to(g, g->auth, "/api/auth"), small_body);
    r.post("/api/auth/users/{id:int}/deactivate", to(g, g->auth, "/api/auth"), small_body);

    // User service.
    r.get("/api/users/profiles", to(g, g->user, "/api/users"));
    r.get("/api/users/profiles/{id:int}", to(g, g->user, "/api/users"));
    r.put("/api/users/profiles/{id:int}", to(g, g->user, "/api/users"), profile_body);

    // Chat service.
    r.get("/api/chat/rooms", to(g, g->chat, "/api/chat"));
    r.post("/api/chat/rooms", to(g, g->chat, "/api/chat"), small_body);
    r.get("/api/chat/rooms/{id:int}", to(g, g->chat, "/api/chat"));
    r.patch("/api/chat/rooms/{id:int}", to(g, g->chat, "/api/chat"), small_body);
    r.del("/api/chat/rooms/{id:int}", to(g, g->chat, "/api/chat"));
    r.get("/api/chat/rooms/{id:int}/messages", to(g, g->chat, "/api/chat"));
    r.get("/api/chat/rooms/{id:int}/online", to(g, g->chat, "/api/chat"));
    r.get("/api/chat/rooms/{id:int}/members", to(g, g->chat, "/api/chat"));
    r.post("/api/chat/rooms/{id:int}/members/{user_id:int}", to(g, g->chat, "/api/chat"),
           small_body);
    r.del("/api/chat/rooms/{id:int}/members/{user_id:int}", to(g, g->chat, "/api/chat"));

    // The chat WebSocket, so that the browser needs this one origin only.
    r.upgrade("/ws", ws_relay(g, relay_options_from(config(), std::move(ws_options))));
}

} // namespace parley::gateway_app
