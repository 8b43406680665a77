#include "gateway/gather.hpp"
#include "gateway/handlers/handlers.hpp"

namespace parley::gateway_app {

net::awaitable<bool> service_up(upstream& u)
{
    std::vector<net::awaitable<boost::json::value>> asks;
    for (auto& probe : u.probes)
        asks.push_back(probe_json(*probe, "/health"));
    for (auto const& answer : co_await gather(std::move(asks)))
        if (!answer.is_null())
            co_return true;
    co_return false;
}

net::awaitable<http::response> health(gateway_state& g, http::request_context&)
{
    std::vector<net::awaitable<bool>> asks;
    asks.push_back(service_up(g.auth));
    asks.push_back(service_up(g.user));
    asks.push_back(service_up(g.chat));
    auto up = co_await gather(std::move(asks));
    bool const all_up = up[0] && up[1] && up[2];
    co_return http::json(
        all_up ? http::status::ok : http::status::service_unavailable,
        {{"status", all_up ? "healthy" : "degraded"},
         {"service", "gateway"},
         {"services", {{"auth", bool(up[0])}, {"user", bool(up[1])}, {"chat", bool(up[2])}}}});
}

} // namespace parley::gateway_app
