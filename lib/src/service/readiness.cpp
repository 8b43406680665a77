#include "parley/service/readiness.hpp"

#include "parley/http/server.hpp"
#include "parley/runtime/runtime.hpp"

#include <boost/json/array.hpp>

namespace parley {

void readiness::require(std::string name, std::function<bool()> check)
{
    std::lock_guard lock(mutex_);
    checks_.emplace_back(std::move(name), std::move(check));
}

std::vector<std::string> readiness::failing() const
{
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (auto const& [name, check] : checks_)
        if (!check())
            out.push_back(name);
    return out;
}

namespace {

net::awaitable<http::response> live(http::request_context&)
{
    co_return http::json({{"status", "alive"}});
}

net::awaitable<http::response> ready(runtime const& rt, readiness const& r)
{
    if (rt.stopping())
        co_return http::json(http::status::service_unavailable, {{"status", "draining"}});
    auto const failing = r.failing();
    if (!failing.empty()) {
        boost::json::array names;
        for (auto const& n : failing)
            names.emplace_back(n);
        co_return http::json(http::status::service_unavailable,
                             {{"status", "unavailable"}, {"failing", std::move(names)}});
    }
    co_return http::json({{"status", "ready"}});
}

} // namespace

void expose_readiness(http::server& server, runtime const& rt, std::shared_ptr<readiness> r)
{
    server.routes().get("/live", live);
    // Not a coroutine itself (GCC 12 and capturing lambda coroutines): it hands off to one.
    auto answer = [&rt, r](http::request_context&) { return ready(rt, *r); };
    server.routes().get("/ready", answer);
}

} // namespace parley
