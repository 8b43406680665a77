#include "parley/runtime/runtime.hpp"

#include "parley/log/log.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <optional>
#include <thread>

namespace parley {

struct runtime::state {
    explicit state(net::io_context& io) : work(io.get_executor()), signals(io) {}
    net::executor_work_guard<net::io_context::executor_type> work;
    net::signal_set signals;
    std::atomic<bool> stopping{false};
    bool deadline_missed = false;
};

runtime::runtime(runtime_options options)
    : options_(options), io_(static_cast<int>(std::max<std::size_t>(1, options.io_threads))),
      workers_(std::max<std::size_t>(1, options.worker_threads)),
      state_(std::make_unique<state>(io_))
{}

runtime::~runtime()
{
    workers_.join();
}

void runtime::on_stop(std::function<net::awaitable<void>()> hook)
{
    stop_hooks_.push_back(std::move(hook));
}

void runtime::on_stopped(std::function<net::awaitable<void>()> hook)
{
    stopped_hooks_.push_back(std::move(hook));
}

bool runtime::stopping() const noexcept
{
    return state_->stopping.load();
}

void runtime::stop()
{
    if (state_->stopping.exchange(true))
        return;
    auto finished = [this](std::exception_ptr e) {
        log::on_failure{"stop hook failed"}(e);
        boost::system::error_code ignored;
        state_->signals.cancel(ignored);
        state_->work.reset();
        io_.stop();
    };
    net::co_spawn(io_, run_stop_hooks(), finished);
}

net::awaitable<void> runtime::run_stop_hooks()
{
    if (options_.drain_delay.count() > 0) {
        log::info("draining", {{"delay_ms", options_.drain_delay.count()}});
        net::steady_timer drain(io_, options_.drain_delay);
        co_await drain.async_wait(use_tuple);
    }
    using namespace net::experimental::awaitable_operators;
    net::steady_timer deadline(io_, options_.shutdown_deadline);
    auto result = co_await (run_hooks_in_order() || deadline.async_wait(net::use_awaitable));
    if (result.index() == 1) {
        state_->deadline_missed = true;
        log::error("shutdown deadline passed; stopping with work still in flight",
                   {{"deadline_ms", options_.shutdown_deadline.count()}});
    }
}

net::awaitable<void> runtime::run_hooks_in_order()
{
    for (auto& hook : stop_hooks_)
        co_await hook();
    for (auto& hook : stopped_hooks_)
        co_await hook();
}

int runtime::run()
{
    if (options_.handle_signals) {
        state_->signals.add(SIGINT);
        state_->signals.add(SIGTERM);
        auto on_signal = [this](boost::system::error_code ec, int signal) {
            if (ec)
                return;
            log::info("stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
            stop();
        };
        state_->signals.async_wait(on_signal);
    }
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < options_.io_threads; ++i)
        threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& t : threads)
        t.join();
    return state_->deadline_missed ? 1 : 0;
}

} // namespace parley
