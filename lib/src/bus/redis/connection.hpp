// One connection to Redis, kept up. On its strand: connect (resolve, TCP, AUTH, SELECT, PING)
// within connect_timeout; then a reader, a writer and a watchdog until the connection fails;
// then a jittered, exponentially growing pause and the next attempt.
//
// Bytes to send go into the outbox from any thread (under mutex_); the writer takes everything
// queued in one swap and one write, so a burst of commands or publishes costs one system call.
// The outbox and the buffer being written together stay within max_outbound_bytes.
//
// The two kinds of connection (command_connection: replies matched to requests in order;
// subscriber_connection: pushed messages) add their bookkeeping through the hooks.
#pragma once

#include "bus/redis/resp.hpp"
#include "parley/bus/redis.hpp"
#include "parley/metrics/metrics.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <string>
#include <vector>

namespace parley::bus::redis::detail {

using tcp = net::ip::tcp;
using boost::system::error_code;
using strand_type = net::strand<net::any_io_executor>;

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(net::any_io_executor executor, endpoint where, client_options options,
               bool share_message_payloads);
    virtual ~connection();
    connection(connection const&) = delete;
    connection& operator=(connection const&) = delete;

    // Spawns the connection's life on its strand.
    void start();
    // Thread-safe, idempotent: the connection ends and is not replaced.
    void close();

    bool connected() const;
    std::size_t outbound_bytes() const;
    client_options const& options() const noexcept { return options_; }
    strand_type const& strand() const noexcept { return strand_; }

protected:
    // ---- under mutex_
    bool fits_locked(std::size_t bytes) const noexcept
    {
        return outbox_.size() + writing_bytes_ + bytes <= options_.max_outbound_bytes;
    }
    // Appends a command whose bytes expect `replies` replies and wakes the writer. The caller
    // checked fits_locked().
    void append_locked(std::span<std::string_view const> args, std::size_t replies);
    void append_encoded_locked(std::string_view bytes, std::size_t replies);

    // ---- hooks
    // On the strand, after the handshake (connected_ is already true).
    virtual void on_connected() {}
    // On the strand: the bytes of one read. False: out of step with Redis (reconnect).
    virtual bool on_read(std::string_view bytes) = 0;
    // Under mutex_: the writer took the outbox, with `replies` expected replies.
    virtual void on_taken_locked(std::size_t replies) {}
    // Under mutex_: the connection ended (connected_ is false again).
    virtual void on_disconnected_locked() {}
    // Under mutex_: an attempt failed.
    virtual void on_connect_failed_locked(error_code ec) {}
    // Under mutex_: queue a PING (the connection has been quiet for health_check_interval).
    virtual void queue_ping_locked() = 0;
    // Under mutex_: close() ended the connection for good.
    virtual void on_closed_locked() {}

    // On the strand: `n` replies that answer requests arrived (the watchdog's bookkeeping).
    void replies_arrived(std::size_t n) noexcept { awaiting_ -= std::min(n, awaiting_); }
    // On the strand: ends the current connection (a reconnect follows unless closed).
    void end_session(error_code ec, std::string_view why);
    // Under mutex_, any thread: end_session on the strand, if this session still runs then.
    void end_session_soon_locked(error_code ec, std::string_view why);

    endpoint const where_;
    client_options const options_;
    strand_type strand_;
    resp_reader reader_; // strand

    mutable std::mutex mutex_;
    std::string outbox_;             // mutex_: bytes not yet taken by the writer
    std::size_t unsent_replies_ = 0; // mutex_: replies the outbox's bytes will produce
    bool connected_ = false;         // mutex_: handshake done, session running
    bool closed_ = false;            // mutex_: close() was called
    error_code last_failure_;        // mutex_: of the last attempt, cleared on success
    std::uint64_t session_ = 0;      // mutex_ (written on the strand): sessions started

private:
    net::awaitable<void> run();
    net::awaitable<error_code> connect_once();
    net::awaitable<error_code> connect_and_handshake();
    net::awaitable<void> reader();
    net::awaitable<void> writer();
    net::awaitable<void> watchdog();
    void wake_writer_locked();
    std::chrono::milliseconds backoff(unsigned failures);
    void log_failure(error_code ec);

    // strand
    tcp::socket socket_;
    tcp::resolver resolver_;
    net::steady_timer wake_;
    net::steady_timer watchdog_timer_;
    net::steady_timer deadline_;
    net::steady_timer backoff_timer_;
    std::vector<char> read_buffer_;
    std::string writing_;
    std::size_t awaiting_ = 0; // replies expected for bytes written
    clock::time_point waiting_since_{};
    clock::time_point last_read_{};
    clock::time_point last_activity_{};
    bool session_over_ = true;
    bool closing_ = false;
    error_code session_error_;
    std::string session_why_;
    std::string handshake_error_; // Redis's words when it refused AUTH/SELECT/PING
    std::uint64_t attempt_ = 0;
    bool attempt_timed_out_ = false;
    std::uint64_t jitter_state_;
    std::string last_logged_failure_;
    clock::time_point last_failure_log_{};

    // mutex_
    bool writer_waiting_ = false;
    std::size_t writing_bytes_ = 0;

    metrics::gauge_series& connected_gauge_;
    metrics::counter_series& reconnects_;
};

} // namespace parley::bus::redis::detail
