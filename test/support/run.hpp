// Helpers for coroutine tests: run an awaitable with a time limit that turns a hang into a
// failure, and a server running on its own runtime thread on an ephemeral port.
#pragma once

#include "parley/http/server.hpp"
#include "parley/net.hpp"
#include "parley/runtime/runtime.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>

namespace parley::test {

// Runs `make()` on io until it completes or `limit` passes (then throws): a hang becomes a
// failure. Exceptions from the coroutine propagate; io may be run again afterwards.
template <class F>
auto run_coro(net::io_context& io, F make,
              std::chrono::milliseconds limit = std::chrono::seconds(20))
{
    using awaitable_type = decltype(make());
    using value_type = typename awaitable_type::value_type;
    std::exception_ptr error;
    std::optional<std::conditional_t<std::is_void_v<value_type>, bool, value_type>> result;
    auto done = [&](std::exception_ptr e, auto... value) {
        error = e;
        if constexpr (std::is_void_v<value_type>) // (clang: not on the lambda's own pack)
            result.emplace(true);
        else if (!e)
            result.emplace(std::move(value)...);
        io.stop();
    };
    io.restart();
    net::co_spawn(io, make(), done);
    io.run_for(limit);
    if (error)
        std::rethrow_exception(error);
    if (!result)
        throw std::runtime_error("coroutine did not finish within the time limit");
    if constexpr (!std::is_void_v<value_type>)
        return std::move(*result);
}

// The same on a fresh io_context.
template <class F> auto run_coro(F make, std::chrono::milliseconds limit = std::chrono::seconds(20))
{
    net::io_context io;
    return run_coro(io, std::move(make), limit);
}

// A runtime with an HTTP server on 127.0.0.1:<ephemeral>, running on a background thread.
// Configure routes in the `setup` callback; the destructor stops it gracefully and joins.
class running_server {
public:
    explicit running_server(std::function<void(http::server&)> setup,
                            http::server_options options = {}, runtime_options rt_options = {});
    ~running_server();

    std::uint16_t port() const noexcept { return port_; }
    parley::runtime& runtime() noexcept { return *rt_; }
    http::server& server() noexcept { return *server_; }
    // Stops (graceful) and waits; returns runtime::run()'s exit code.
    int stop();

private:
    std::unique_ptr<parley::runtime> rt_;
    std::unique_ptr<http::server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    int result_ = -1;
};

} // namespace parley::test
