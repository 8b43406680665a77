// Runs several awaitables at once and waits for all of them: the gateway asks every instance of
// every service in parallel, so one slow instance costs one timeout, not one per instance.
#pragma once

#include "parley/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <memory>
#include <vector>

namespace parley::gateway_app {

namespace detail {
template <class T> struct gather_state {
    explicit gather_state(net::any_io_executor ex, std::size_t n) : done(ex), results(n), left(n) {}
    net::steady_timer done;
    std::vector<T> results;
    std::size_t left;
};
} // namespace detail

// Results in the order of `tasks`; a task that throws leaves T{} in its place. Must be awaited
// on a strand (a connection's executor): completions touch the shared state.
template <class T> net::awaitable<std::vector<T>> gather(std::vector<net::awaitable<T>> tasks)
{
    auto ex = co_await net::this_coro::executor;
    auto state = std::make_shared<detail::gather_state<T>>(ex, tasks.size());
    state->done.expires_at(net::steady_timer::time_point::max());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        auto finished = [state, i](std::exception_ptr e, T value) {
            if (!e)
                state->results[i] = std::move(value);
            if (--state->left == 0)
                state->done.cancel();
        };
        net::co_spawn(ex, std::move(tasks[i]), finished);
    }
    if (state->left > 0)
        co_await state->done.async_wait(use_tuple);
    co_return std::move(state->results);
}

} // namespace parley::gateway_app
