#include "chat/stats/stats_flusher.hpp"

#include "parley/json/json.hpp"
#include "parley/log/log.hpp"
#include "parley/metrics/metrics.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace parley::chat_app {

namespace {

// Counted per user whose increments were given up.
metrics::counter_series& dropped(std::string_view reason)
{
    return metrics::counter("parley_chat_stats_dropped_total",
                            "Per-user statistics increments given up: rejected by the user "
                            "service, failed max_attempts times, or left unsent at shutdown",
                            {{"reason", std::string(reason)}});
}

} // namespace

stats_flusher::stats_flusher(net::any_io_executor executor, stats_options options)
    : options_(std::move(options)),
      client_(executor, http::client_options{.addresses = {options_.user_service_url},
                                             .connect_timeout = std::chrono::milliseconds(1'000),
                                             .request_timeout = std::chrono::milliseconds(5'000)}),
      timer_(executor)
{}

void stats_flusher::message_sent(std::int64_t user_id)
{
    std::lock_guard lock(mutex_);
    auto& c = pending_[user_id];
    ++c.messages_sent;
    c.last_seen = true;
}

void stats_flusher::room_created(std::int64_t user_id)
{
    std::lock_guard lock(mutex_);
    ++pending_[user_id].rooms_created;
}

std::size_t stats_flusher::pending_users() const
{
    std::lock_guard lock(mutex_);
    return pending_.size();
}

void stats_flusher::start()
{
    net::co_spawn(
        timer_.get_executor(), [self = shared_from_this()] { return self->loop(); },
        log::on_failure{"stats flusher stopped"});
}

net::awaitable<void> stats_flusher::loop()
{
    int failures = 0; // consecutive
    for (;;) {
        auto pause = options_.interval;
        for (int i = 0; i < failures && pause < options_.max_backoff; ++i)
            pause *= 2;
        timer_.expires_after(std::min(pause, std::max(options_.max_backoff, options_.interval)));
        co_await timer_.async_wait(use_tuple); // cancelled by stop()
        {
            std::lock_guard lock(mutex_);
            if (stopping_)
                co_return;
        }
        auto const result = co_await flush();
        failures = result == outcome::failed ? failures + 1 : 0;
    }
}

net::awaitable<void> stats_flusher::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    timer_.cancel();
    // Everything, batch after batch, one attempt each.
    for (;;) {
        auto const result = co_await flush();
        if (result != outcome::sent && result != outcome::rejected)
            break;
    }
    if (auto const left = pending_users(); left > 0) {
        log::warn("stats not delivered at shutdown", {{"users", left}});
        dropped("shutdown").inc(left);
    }
}

net::awaitable<stats_flusher::outcome> stats_flusher::flush()
{
    std::map<std::int64_t, counts> batch;
    {
        std::lock_guard lock(mutex_);
        if (pending_.empty())
            co_return outcome::nothing;
        if (pending_.size() <= options_.max_users_per_batch) {
            batch.swap(pending_);
        } else {
            auto it = pending_.begin();
            for (std::size_t i = 0; i < options_.max_users_per_batch; ++i)
                batch.insert(pending_.extract(it++));
        }
    }
    boost::json::array increments;
    for (auto const& [user_id, c] : batch) {
        boost::json::object o{{"user_id", user_id}};
        if (c.messages_sent)
            o["messages_sent"] = c.messages_sent;
        if (c.rooms_created)
            o["rooms_created"] = c.rooms_created;
        if (c.last_seen)
            o["last_seen"] = true;
        increments.push_back(std::move(o));
    }
    http::fields headers;
    headers.set("X-Parley-Service-Token", options_.service_token);
    auto body = json::serialize(boost::json::object{{"increments", std::move(increments)}});
    // Named first: GCC 12 mishandles temporaries inside a co_await expression.
    std::string target = "/stats/batch";
    auto request = client_.post_json(std::move(target), std::move(body), std::move(headers));
    auto result = co_await std::move(request);
    if (result && result->status_code() < 300)
        co_return outcome::sent;

    auto const what = result ? std::string("HTTP ") + std::to_string(result->status_code())
                             : result.error().message();
    auto const code = result ? result->status_code() : 0u;
    // The user service understood the batch and refused it: the same batch would be refused
    // again. 408 and 429 say "later", like a 5xx or no answer.
    if (code >= 400 && code < 500 && code != 408 && code != 429) {
        log::error("stats batch rejected by the user service; dropped",
                   {{"users", batch.size()}, {"error", what}});
        dropped("rejected").inc(batch.size());
        co_return outcome::rejected;
    }
    std::size_t given_up = 0;
    {
        std::lock_guard lock(mutex_);
        for (auto const& [user_id, c] : batch) { // merge back with what arrived meanwhile
            if (c.attempts + 1 >= options_.max_attempts) {
                ++given_up;
                continue;
            }
            auto& p = pending_[user_id];
            p.messages_sent += c.messages_sent;
            p.rooms_created += c.rooms_created;
            p.last_seen = p.last_seen || c.last_seen;
            p.attempts = std::max(p.attempts, c.attempts + 1);
        }
    }
    log::warn("stats flush failed; will retry",
              {{"users", batch.size() - given_up}, {"given_up", given_up}, {"error", what}});
    if (given_up > 0)
        dropped("failed").inc(given_up);
    co_return outcome::failed;
}

} // namespace parley::chat_app
