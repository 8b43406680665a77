// The process: I/O threads running the event loop, a bounded worker pool for blocking work
// (SQLite, password hashing), and a graceful stop on SIGTERM/SIGINT.
//
//   runtime rt({.io_threads = 2, .worker_threads = 2});
//   auto hash = co_await rt.offload([&] { return hash_password(pw); });   // off the I/O thread
//   return rt.run();                                                      // until SIGTERM
#pragma once

#include "parley/net.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

namespace parley {

struct runtime_options {
    std::size_t io_threads = 1;
    std::size_t worker_threads = 2;
    // After SIGTERM: how long the service keeps serving normally while reporting not ready
    // (load balancers move away), before the stop hooks run.
    std::chrono::milliseconds drain_delay{0};
    // Then how long stop hooks (closing sessions, draining requests) may take.
    std::chrono::milliseconds shutdown_deadline{10'000};
    bool handle_signals = true; // tests run several runtimes in one process and stop them directly
};

class runtime {
public:
    explicit runtime(runtime_options options = {});
    ~runtime();
    runtime(runtime const&) = delete;
    runtime& operator=(runtime const&) = delete;

    net::io_context& io() noexcept { return io_; }
    net::any_io_executor executor() { return io_.get_executor(); }
    runtime_options const& options() const noexcept { return options_; }

    // Runs f() on the worker pool and resumes the caller on its own executor with the result
    // (or exception). At most worker_threads calls run at once; the rest wait their turn.
    template <class F> auto offload(F f) -> net::awaitable<std::invoke_result_t<F&>>
    {
        using result = std::invoke_result_t<F&>;
        auto work = [f = std::move(f)]() mutable -> net::awaitable<result> { co_return f(); };
        co_return co_await net::co_spawn(workers_.get_executor(), std::move(work),
                                         net::use_awaitable);
    }

    // Called in registration order when the runtime stops; each may take until the deadline.
    void on_stop(std::function<net::awaitable<void>()> hook);
    // Called, in registration order, once every on_stop hook has finished (the HTTP server's
    // among them: no request or WebSocket is left), within the same deadline: for work that must
    // see everything the drain produced, e.g. a last flush of counters.
    void on_stopped(std::function<net::awaitable<void>()> hook);

    // Runs the I/O threads (the calling thread is one of them) until stop() completes; returns
    // the process exit code: 0 after a graceful stop, 1 when the stop hooks missed the deadline.
    int run();
    // Begins the graceful stop (thread-safe, idempotent): the drain delay, the stop hooks, then
    // the event loop ends.
    void stop();
    // True from the start of the stop: readiness answers "draining".
    bool stopping() const noexcept;

private:
    net::awaitable<void> run_stop_hooks();
    net::awaitable<void> run_hooks_in_order();

    runtime_options options_;
    net::io_context io_;
    net::thread_pool workers_;
    std::vector<std::function<net::awaitable<void>()>> stop_hooks_;
    std::vector<std::function<net::awaitable<void>()>> stopped_hooks_;
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace parley
