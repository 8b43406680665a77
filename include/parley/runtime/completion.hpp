// Completing an asynchronous operation that ran elsewhere (the store thread, a batch) on the
// caller's executor, written once:
//
//   auto work = track(handler, fallback);                 // when the operation starts
//   ... later, on any thread ...
//   complete_on(std::move(work), std::move(handler), result);
//
// While the operation runs, the caller's io_context is kept busy: it must not run out of work
// while the only thing left is this operation on another thread. The work guard travels with the
// completion and ends on the caller's thread: once the caller has resumed, its io_context may be
// gone, so no other thread may hold (and later release) a tracked executor of it. Nor may the
// caller resume while the completing thread is still inside post(): after queueing, post() wakes
// the caller's thread through its event loop's condition variable, which is destroyed with the
// io_context (a race ThreadSanitizer reports). So the completion waits, rarely more than a few
// instructions, until post() has returned.
#pragma once

#include "parley/net.hpp"

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <memory>
#include <thread>
#include <utility>

namespace parley {

using tracked_executor = decltype(net::prefer(std::declval<net::any_io_executor>(),
                                              net::execution::outstanding_work.tracked));

// The executor `handler` resumes on (else `fallback`), counted as outstanding work.
template <class Handler>
tracked_executor track(Handler const& handler, net::any_io_executor const& fallback)
{
    return net::prefer(net::any_io_executor(net::get_associated_executor(handler, fallback)),
                       net::execution::outstanding_work.tracked);
}

// Runs handler(args...) on `work`'s executor, releasing the work guard there.
template <class Handler, class... Args>
void complete_on(tracked_executor work, Handler handler, Args... args)
{
    auto target =
        net::prefer(net::any_io_executor(work), net::execution::outstanding_work.untracked);
    auto posted = std::make_shared<std::atomic<bool>>(false);
    auto complete = [handler = std::move(handler), work = std::move(work), posted,
                     ... args = std::move(args)]() mutable {
        while (!posted->load(std::memory_order_acquire))
            std::this_thread::yield();
        std::move(handler)(std::move(args)...);
    };
    net::post(target, std::move(complete));
    posted->store(true, std::memory_order_release);
}

} // namespace parley
