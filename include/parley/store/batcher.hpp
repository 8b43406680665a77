// Group commit: many submitters, one transaction per batch. Items submitted while a batch is in
// the store wait in a queue; when it commits, everything queued meanwhile becomes the next batch.
// Under load many items share one transaction (and one fsync); idle, an item goes alone at once.
//
//   auto writer = store::batcher<post, stored>::create(db, rt.executor(),
//       [](store::connection& c, std::span<post> items) {          // store thread, one transaction
//           std::vector<stored> out;
//           for (auto& p : items) out.push_back(insert(c, p));
//           return out;                                             // one result per item, in
//           order
//       },
//       [&](std::span<post> items, std::span<stored> results) {     // after the commit, in batch
//           publish(results);                                       // order, never concurrently
//       });
//   stored s = co_await writer->submit(post{...});                  // resumes on the caller's
//   executor
//
// An exception from `process` (or SQL) rolls the batch back and is rethrown to every submitter of
// that batch; `process` should therefore turn per-item problems into results, not exceptions.
#pragma once

#include "parley/log/log.hpp"
#include "parley/net.hpp"
#include "parley/runtime/completion.hpp"
#include "parley/store/database.hpp"

#include <atomic>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace parley::store {

struct batcher_options {
    std::size_t max_batch = 512; // items per transaction at most
    // Under load, a transaction starts at least this long after the previous one ended (0: at
    // once): more items per transaction and per commit hook call, for at most this much latency.
    // An item that finds the batcher idle for longer is committed at once.
    std::chrono::microseconds linger{0};
};

template <class Item, class Result>
class batcher : public std::enable_shared_from_this<batcher<Item, Result>> {
    static_assert(std::is_default_constructible_v<Result>,
                  "batcher results must be default-constructible");

public:
    using process_fn = std::function<std::vector<Result>(connection&, std::span<Item>)>;
    using committed_fn = std::function<void(std::span<Item>, std::span<Result>)>;

    // `db` must outlive the batcher. The drain loop runs on `executor` (as one coroutine at a
    // time, so `committed` calls never overlap and come in commit order).
    static std::shared_ptr<batcher> create(database& db, net::any_io_executor executor,
                                           process_fn process, committed_fn committed = {},
                                           batcher_options options = {})
    {
        return std::shared_ptr<batcher>(new batcher(db, std::move(executor), std::move(process),
                                                    std::move(committed), options));
    }

    // Queues the item and waits for its batch to commit; returns its result (or rethrows the
    // batch's exception). Thread-safe.
    net::awaitable<Result> submit(Item item)
    {
        auto initiate = [self = this->shared_from_this()](auto handler, Item it) {
            self->enqueue(std::move(it), std::move(handler));
        };
        return net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, Result)>(
            initiate, net::use_awaitable, std::move(item));
    }

    // True when nothing is queued or being committed (every submitted item has its result).
    bool idle() const
    {
        std::lock_guard lock(mutex_);
        return !draining_ && queue_.empty();
    }
    // Waits until idle(), checking every `poll` (for a graceful stop: after the last submitter
    // has gone, let the pending batches commit and their hooks run).
    net::awaitable<void> wait_idle(std::chrono::milliseconds poll = std::chrono::milliseconds(5))
    {
        net::steady_timer timer(co_await net::this_coro::executor);
        while (!idle()) {
            timer.expires_after(poll);
            co_await timer.async_wait(use_tuple);
        }
    }

    // Transactions committed or failed so far, and items processed (tests and metrics).
    std::uint64_t batches() const
    {
        std::lock_guard lock(mutex_);
        return batches_;
    }
    std::uint64_t items() const
    {
        std::lock_guard lock(mutex_);
        return items_;
    }

private:
    using completion = net::any_completion_handler<void(std::exception_ptr, Result)>;

    struct pending {
        Item item;
        completion done;
        // Keeps the submitter's event loop alive while its item waits (it may have nothing else).
        tracked_executor work;
    };

    batcher(database& db, net::any_io_executor executor, process_fn process, committed_fn committed,
            batcher_options options)
        : db_(db), executor_(std::move(executor)), process_(std::move(process)),
          committed_(std::move(committed)), options_(options)
    {
        if (options_.max_batch == 0)
            throw std::invalid_argument("batcher: max_batch must be positive");
    }

    template <class Handler> void enqueue(Item item, Handler handler)
    {
        auto work = track(handler, executor_);
        bool start = false;
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(
                pending{std::move(item), completion(std::move(handler)), std::move(work)});
            if (!draining_) {
                draining_ = true;
                start = true;
            }
        }
        if (start) {
            auto self = this->shared_from_this();
            net::co_spawn(
                executor_, [self] { return self->drain(); },
                log::on_failure{"batcher drain loop failed"});
        }
    }

    bool full() const
    {
        std::lock_guard lock(mutex_);
        return queue_.size() >= options_.max_batch;
    }

    // One batch after another until the queue is empty.
    net::awaitable<void> drain()
    {
        for (;;) {
            if (options_.linger.count() > 0) {
                auto const due = last_commit_ + options_.linger;
                if (clock::now() < due && !full()) {
                    net::steady_timer linger(executor_, due);
                    co_await linger.async_wait(use_tuple);
                }
            }
            std::vector<pending> batch;
            {
                std::lock_guard lock(mutex_);
                if (queue_.empty()) {
                    draining_ = false;
                    co_return;
                }
                auto const n = std::min(queue_.size(), options_.max_batch);
                batch.reserve(n);
                for (std::size_t i = 0; i < n; ++i) {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
            std::vector<Item> items;
            items.reserve(batch.size());
            for (auto& p : batch)
                items.push_back(std::move(p.item));

            std::vector<Result> results;
            std::exception_ptr error;
            try {
                auto job = [this, &items](connection& c) {
                    return process_(c, std::span<Item>(items));
                };
                results = co_await db_.run(job);
                if (results.size() != items.size())
                    throw std::logic_error("batcher: process returned the wrong number of results");
            } catch (...) {
                error = std::current_exception();
            }
            if (!error && committed_) {
                try {
                    committed_(std::span<Item>(items), std::span<Result>(results));
                } catch (std::exception const& ex) {
                    // The batch is stored: its submitters still get their results.
                    log::error("batcher commit hook failed", {{"error", ex.what()}});
                }
            }
            {
                std::lock_guard lock(mutex_);
                ++batches_;
                items_ += batch.size();
            }
            last_commit_ = clock::now();
            for (std::size_t i = 0; i < batch.size(); ++i) {
                auto& p = batch[i];
                Result r = error ? Result{} : std::move(results[i]);
                complete_on(std::move(p.work), std::move(p.done), error, std::move(r));
            }
        }
    }

    database& db_;
    net::any_io_executor executor_;
    process_fn process_;
    committed_fn committed_;
    batcher_options options_;
    mutable std::mutex mutex_;
    std::deque<pending> queue_;
    bool draining_ = false;
    clock::time_point last_commit_{}; // drain() only
    std::uint64_t batches_ = 0;
    std::uint64_t items_ = 0;
};

} // namespace parley::store
