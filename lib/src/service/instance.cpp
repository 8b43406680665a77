#include "parley/service/instance.hpp"

#include "parley/http/server.hpp"

#include <atomic>
#include <climits>
#include <mutex>
#include <unistd.h>

#ifndef PARLEY_VERSION
#define PARLEY_VERSION "0.0.0"
#endif

namespace parley {

std::string_view version() noexcept
{
    return PARLEY_VERSION;
}

namespace {

std::string host_name()
{
    char name[HOST_NAME_MAX + 1] = {};
    if (::gethostname(name, sizeof name - 1) != 0)
        return "localhost";
    return name;
}

// Shared by the middleware (counting) and the handler (reporting); lives as long as the server's
// routes hold it.
struct instance_state {
    std::string service;
    std::string host = host_name();
    clock::time_point started = clock::now();
    std::atomic<std::uint64_t> requests{0};

    std::mutex mutex; // guards the rate sample below
    clock::time_point sample_time = started;
    std::uint64_t sample_requests = 0;
    double rate = 0.0;

    // The rate over the time since the previous sample; a new sample at most once a second so
    // that several pollers do not shrink the window to nothing.
    double requests_per_s()
    {
        std::lock_guard lock(mutex);
        auto now = clock::now();
        auto elapsed = std::chrono::duration<double>(now - sample_time).count();
        auto total = requests.load();
        if (elapsed >= 1.0 || sample_time == started) {
            if (elapsed > 0)
                rate = static_cast<double>(total - sample_requests) / elapsed;
            if (elapsed >= 1.0) {
                sample_time = now;
                sample_requests = total;
            }
        }
        return rate;
    }
};

boost::json::object describe(instance_state& state, http::server const& server)
{
    auto uptime = std::chrono::duration<double>(clock::now() - state.started).count();
    return {
        {"service", state.service},
        {"instance",
         state.host + ":" + std::to_string(server.port()) + "/" + std::to_string(::getpid())},
        {"version", PARLEY_VERSION},
        {"uptime_s", uptime},
        {"open_connections", server.open_connections()},
        {"open_websockets", server.open_websockets()},
        {"requests_per_s", state.requests_per_s()},
    };
}

net::awaitable<http::response> report_instance(std::shared_ptr<instance_state> state,
                                               http::server const& server)
{
    co_return http::json(describe(*state, server));
}

} // namespace

instance_reporter expose_instance(http::server& server, std::string service_name)
{
    auto state = std::make_shared<instance_state>();
    state->service = std::move(service_name);

    auto count = [state](http::request_context& ctx, http::next_handler const& next) {
        state->requests.fetch_add(1, std::memory_order_relaxed);
        return next(ctx);
    };
    server.use(count);

    // Not a coroutine itself (GCC 12 and capturing lambda coroutines): it hands off to one.
    auto report = [state, &server](http::request_context&) {
        return report_instance(state, server);
    };
    server.routes().get("/internal/instance", report);
    return [state, &server] { return describe(*state, server); };
}

} // namespace parley
