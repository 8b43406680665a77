// The user service's routes, in one list.
#include "user/routes.hpp"

#include "user/handlers/handlers.hpp"

namespace parley::user_app {

namespace {

net::awaitable<http::response> health(http::request_context&)
{
    co_return http::json({{"status", "healthy"}, {"service", "user-service"}});
}

} // namespace

void add_routes(http::router& r, std::shared_ptr<user_state> const& state)
{
    constexpr http::route_options small_body{.max_body_bytes = 16 * 1024};
    constexpr http::route_options batch_body{.max_body_bytes = 256 * 1024};
    r.get("/health", health);
    r.get("/profiles", http::bind<list_profiles>(state));
    r.get("/profiles/{user_id:int}", http::bind<get_profile>(state));
    r.put("/profiles/{user_id:int}", http::bind<update_profile>(state), small_body);
    r.post("/profiles/{user_id:int}/stats", http::bind<add_stats>(state), small_body);
    r.post("/stats/batch", http::bind<add_stats_batch>(state), batch_body);
}

} // namespace parley::user_app
