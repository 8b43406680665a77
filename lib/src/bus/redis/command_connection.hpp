// The command connection: requests and their replies in order. Each request written has a sink
// in sinks_ (in the order of the bytes): a command's waiting coroutine, or a run of publishes
// whose replies are dropped. A run of publishes costs one sink, not one per publish.
#pragma once

#include "bus/redis/connection.hpp"

#include <deque>
#include <optional>

namespace parley::bus::redis::detail {

class command_connection final : public connection {
public:
    command_connection(net::any_io_executor executor, endpoint where, client_options options);

    // Any thread; never blocks. False when dropped (buffer full or closed).
    bool publish(std::string_view channel, std::string_view message);
    // Runs on the strand: queue `bytes` (one encoded command) and wait for its reply.
    net::awaitable<boost::system::result<reply>> execute(std::string bytes);

private:
    struct command_wait {
        explicit command_wait(strand_type const& s) : timer(s) {}
        net::steady_timer timer; // cancelled when `result` is set
        std::optional<boost::system::result<reply>> result;
        std::uint64_t begin = 0; // its bytes in the stream of everything queued
        std::uint64_t end = 0;
    };
    struct sink {
        std::uint32_t discard = 0;    // a run of this many replies to drop, or
        command_wait* wait = nullptr; // the reply of one command
    };

    bool on_read(std::string_view bytes) override;
    void on_taken_locked(std::size_t replies) override;
    void on_disconnected_locked() override;
    void on_connect_failed_locked(error_code ec) override;
    void queue_ping_locked() override;
    void on_closed_locked() override;

    void abandon(command_wait& w);
    void fail_locked(std::size_t requests, error_code ec); // the first `requests` sinks
    void complete(command_wait& w, boost::system::result<reply> r);
    void note_publish_error(std::string_view text);

    // mutex_
    std::deque<sink> sinks_;
    std::size_t written_requests_ = 0; // the first ones in sinks_ went to the socket
    std::uint64_t stream_end_ = 0;     // bytes ever queued, minus those taken back
    // strand
    std::size_t discard_credit_ = 0; // replies of a run already taken off sinks_
    clock::time_point last_error_log_{};

    metrics::counter_series& dropped_;
    metrics::counter_series& publish_errors_;
};

} // namespace parley::bus::redis::detail
