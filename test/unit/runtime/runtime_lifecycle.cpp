#include "parley/runtime/runtime.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>
#include <thread>

using namespace parley;

BOOST_AUTO_TEST_SUITE(runtime_lifecycle)

BOOST_AUTO_TEST_CASE(offload_runs_on_a_worker_and_returns_to_the_caller)
{
    runtime rt({.io_threads = 1, .worker_threads = 2, .handle_signals = false});
    std::thread::id io_thread, worker_thread, resumed_thread;
    int result = 0;
    auto work = [&]() -> net::awaitable<void> {
        io_thread = std::this_thread::get_id();
        result = co_await rt.offload([&] {
            worker_thread = std::this_thread::get_id();
            return 42;
        });
        resumed_thread = std::this_thread::get_id();
        rt.stop();
    };
    net::co_spawn(rt.io(), work, net::detached);
    BOOST_TEST(rt.run() == 0);
    BOOST_TEST(result == 42);
    BOOST_TEST((worker_thread != io_thread));
    BOOST_TEST((resumed_thread == io_thread));
}

BOOST_AUTO_TEST_CASE(offload_propagates_exceptions)
{
    runtime rt({.handle_signals = false});
    std::string caught;
    auto work = [&]() -> net::awaitable<void> {
        try {
            co_await rt.offload([]() -> int { throw std::runtime_error("disk on fire"); });
        } catch (std::exception const& e) {
            caught = e.what();
        }
        rt.stop();
    };
    net::co_spawn(rt.io(), work, net::detached);
    rt.run();
    BOOST_TEST(caught == "disk on fire");
}

BOOST_AUTO_TEST_CASE(worker_pool_bounds_concurrency)
{
    runtime rt({.io_threads = 1, .worker_threads = 2, .handle_signals = false});
    std::atomic<int> running{0}, peak{0}, done{0};
    auto one = [&]() -> net::awaitable<void> {
        co_await rt.offload([&] {
            int now = ++running;
            int seen = peak.load();
            while (now > seen && !peak.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            --running;
        });
        if (++done == 8)
            rt.stop();
    };
    for (int i = 0; i < 8; ++i)
        net::co_spawn(rt.io(), one, net::detached);
    rt.run();
    BOOST_TEST(done.load() == 8);
    BOOST_TEST(peak.load() <= 2);
}

BOOST_AUTO_TEST_CASE(stop_hooks_run_in_order_and_run_returns_zero)
{
    runtime rt({.io_threads = 2, .handle_signals = false});
    std::vector<int> order;
    rt.on_stop([&]() -> net::awaitable<void> {
        order.push_back(1);
        co_return;
    });
    rt.on_stop([&]() -> net::awaitable<void> {
        order.push_back(2);
        co_return;
    });
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        rt.stop();
        rt.stop(); // idempotent
    });
    BOOST_TEST(rt.run() == 0);
    stopper.join();
    BOOST_TEST((order == std::vector<int>{1, 2}));
}

BOOST_AUTO_TEST_CASE(on_stopped_hooks_run_after_every_on_stop_hook)
{
    // Registered first, run last: a service's setup registers before the server's listen().
    runtime rt({.io_threads = 2, .handle_signals = false});
    std::vector<int> order;
    rt.on_stopped([&]() -> net::awaitable<void> {
        order.push_back(3);
        co_return;
    });
    rt.on_stop([&]() -> net::awaitable<void> {
        net::steady_timer slow(co_await net::this_coro::executor, std::chrono::milliseconds(50));
        co_await slow.async_wait(use_tuple);
        order.push_back(1);
    });
    rt.on_stop([&]() -> net::awaitable<void> {
        order.push_back(2);
        co_return;
    });
    std::thread stopper([&] { rt.stop(); });
    BOOST_TEST(rt.run() == 0);
    stopper.join();
    BOOST_TEST((order == std::vector<int>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(a_stuck_stop_hook_is_cut_off_at_the_deadline)
{
    runtime rt({.shutdown_deadline = std::chrono::milliseconds(200), .handle_signals = false});
    rt.on_stop([&]() -> net::awaitable<void> {
        net::steady_timer forever(co_await net::this_coro::executor, std::chrono::hours(1));
        co_await forever.async_wait(net::use_awaitable);
    });
    rt.stop();
    auto started = std::chrono::steady_clock::now();
    BOOST_TEST(rt.run() == 1);
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(5)));
}

BOOST_AUTO_TEST_CASE(the_drain_delay_comes_before_the_stop_hooks_and_stopping_is_true_during_it)
{
    runtime rt({.drain_delay = std::chrono::milliseconds(300), .handle_signals = false});
    auto hook_at = std::chrono::steady_clock::time_point{};
    rt.on_stop([&]() -> net::awaitable<void> {
        hook_at = std::chrono::steady_clock::now();
        co_return;
    });
    bool stopping_during_drain = false;
    auto started = std::chrono::steady_clock::now();
    auto probe = [&]() -> net::awaitable<void> {
        rt.stop();
        net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(100));
        co_await t.async_wait(net::use_awaitable);
        stopping_during_drain = rt.stopping() && hook_at == std::chrono::steady_clock::time_point{};
    };
    net::co_spawn(rt.io(), probe, net::detached);
    BOOST_TEST(rt.run() == 0);
    BOOST_TEST(stopping_during_drain);
    BOOST_TEST((hook_at - started >= std::chrono::milliseconds(300)));
}

BOOST_AUTO_TEST_SUITE_END()
