// The auth service's routes, in one list.
#include "auth/routes.hpp"

#include "auth/handlers/handlers.hpp"

namespace parley::auth_app {

namespace {

net::awaitable<http::response> health(http::request_context&)
{
    co_return http::json({{"status", "healthy"}, {"service", "auth-service"}});
}

} // namespace

void add_routes(http::router& r, std::shared_ptr<auth_state> const& state)
{
    // Bodies here are a few short strings: refuse anything bigger before reading it.
    constexpr http::route_options small_body{.max_body_bytes = 16 * 1024};
    r.get("/health", health);
    r.post("/register", http::bind<register_user>(state), small_body);
    r.post("/login", http::bind<login>(state), small_body);
    r.post("/verify", http::bind<verify_token>(state), small_body);
    r.get("/users", http::bind<list_users>(state));
    r.get("/users/count", http::bind<count_users>(state));
    r.get("/users/{id:int}", http::bind<get_user>(state));
    r.patch("/users/{id:int}", http::bind<update_user>(state), small_body);
    r.post("/users/{id:int}/deactivate", http::bind<deactivate_user>(state), small_body);
    r.get("/internal/revocations", http::bind<list_revocations>(state));
}

} // namespace parley::auth_app
