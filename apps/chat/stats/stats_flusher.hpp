// Message statistics for the user service, sent in batches (once per interval), never per
// message: POST <user service>/stats/batch with X-Parley-Service-Token and
//   {"increments":[{"user_id":1,"messages_sent":3,"rooms_created":1,"last_seen":true}]}
// Recording never blocks and never waits for the network. A batch the user service refuses
// (4xx other than 408/429: sending it again cannot help) is dropped, logged and counted in
// parley_chat_stats_dropped_total{reason="rejected"}. A batch that failed (5xx, 408, 429, timeout,
// unreachable) keeps its counts (merged with newer ones) for the next try, after a pause that
// doubles with each consecutive failure (up to max_backoff); counts that failed max_attempts
// times are dropped ({reason="failed"}). stop() makes one last attempt: run it once nothing can
// record any more (after the server has stopped and the message writer is idle).
#pragma once

#include "parley/http/client.hpp"
#include "parley/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace parley::chat_app {

struct stats_options {
    std::string user_service_url = "http://127.0.0.1:5002";
    std::string service_token;
    std::chrono::milliseconds interval{1'000};
    std::size_t max_users_per_batch = 1'000;
    int max_attempts = 10;                         // per count, before it is dropped
    std::chrono::milliseconds max_backoff{30'000}; // the longest pause after failures
};

class stats_flusher : public std::enable_shared_from_this<stats_flusher> {
public:
    stats_flusher(net::any_io_executor executor, stats_options options);

    // Thread-safe, O(1), no I/O.
    void message_sent(std::int64_t user_id);
    void room_created(std::int64_t user_id);

    void start();
    // Stops the periodic loop and tries one last flush (bounded by the client's timeouts).
    net::awaitable<void> stop();

    std::size_t pending_users() const;

private:
    struct counts {
        std::int64_t messages_sent = 0;
        std::int64_t rooms_created = 0;
        bool last_seen = false;
        int attempts = 0; // failed sends of these counts so far
    };
    enum class outcome { sent, nothing, rejected, failed };
    net::awaitable<void> loop();
    net::awaitable<outcome> flush();

    stats_options options_;
    http::client client_;
    net::steady_timer timer_;
    mutable std::mutex mutex_;
    std::map<std::int64_t, counts> pending_;
    bool stopping_ = false;
};

} // namespace parley::chat_app
