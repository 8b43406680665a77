// An io_context run by background threads for the life of a test, as a service's runtime runs
// one: code under test runs there while the test thread waits for results. run() turns a hang
// into a failure; wait_until() polls a condition with a time limit.
#pragma once

#include "parley/net.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace parley::test {

class io_threads {
public:
    explicit io_threads(std::size_t threads = 2) : work_(io_.get_executor())
    {
        for (std::size_t i = 0; i < threads; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }
    ~io_threads() { stop(); }
    io_threads(io_threads const&) = delete;
    io_threads& operator=(io_threads const&) = delete;

    net::any_io_executor executor() { return io_.get_executor(); }
    net::io_context& io() noexcept { return io_; }

    // Stops the threads (pending work is abandoned) and joins them.
    void stop()
    {
        work_.reset();
        io_.stop();
        for (auto& t : threads_)
            if (t.joinable())
                t.join();
    }

    // Runs make() (a function object returning an awaitable, kept alive by co_spawn) on the
    // threads and waits for its result (exceptions propagate). After `limit` the threads are
    // stopped first, so that the coroutine cannot outlive what it refers to.
    template <class F> auto run(F make, std::chrono::milliseconds limit = std::chrono::seconds(20))
    {
        auto done = net::co_spawn(io_, std::move(make), net::use_future);
        if (done.wait_for(limit) != std::future_status::ready) {
            stop();
            throw std::runtime_error("coroutine did not finish within the time limit");
        }
        return done.get();
    }

private:
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::vector<std::thread> threads_;
};

// Polls `condition` every few milliseconds until it holds (true) or `limit` passes (false).
inline bool wait_until(std::function<bool()> const& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10))
{
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

} // namespace parley::test
