// Redis over Asio coroutines: a command client and the Redis implementation of bus::bus.
// RESP2 on one TCP connection per client; hiredis's reader parses the replies, Asio does the I/O.
//
//   auto where = redis::parse_url("redis://:secret@127.0.0.1:6379/0"); // result<endpoint,string>
//   redis::client redis(executor, *where);
//   auto r = co_await redis.command("HSET", key, field, value);   // result<reply>
//   if (r && r->type == redis::reply::kind::integer) ... r->integer ...
//   redis.publish("room:7", text);                                // fire and forget
//
// Commands from any threads and coroutines are pipelined: what was queued while the previous
// write was in flight goes out in one write, and replies are matched to commands in order. The
// connection is kept up: connect, AUTH, SELECT and a PING within connect_timeout; after any
// failure it reconnects with jittered exponential backoff. A PING checks an idle connection, and
// a connection that leaves a request unanswered for command_timeout is replaced. What waits to be
// sent is bounded by max_outbound_bytes: beyond it publishes are dropped (and counted in
// parley_redis_publish_dropped_total) and commands fail at once with error::buffer_full.
#pragma once

#include "parley/bus/bus.hpp"
#include "parley/net.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace parley::bus::redis {

// Where Redis is, from redis://[[user]:password@]host[:port][/db].
struct endpoint {
    std::string host;
    std::uint16_t port = 6379;
    std::string user;     // empty: the default user (AUTH <password>)
    std::string password; // empty: no AUTH
    int db = 0;           // SELECT when not 0
};

// The URL's problem in words on failure ("the port must be 1-65535", ...).
boost::system::result<endpoint, std::string> parse_url(std::string_view url);

// The Redis a configuration variable names (`variable` holds `url`): none when the value is
// empty; a malformed one throws config_error naming the variable, its password masked.
std::optional<endpoint> configured_endpoint(std::string_view url, std::string_view variable);

// One RESP2 reply.
struct reply {
    enum class kind { nil, status, error, integer, string, array };
    kind type = kind::nil;
    std::int64_t integer = 0;
    std::string text;            // status ("OK"), error ("ERR ..."), or bulk string
    std::vector<reply> elements; // array

    bool is_error() const noexcept { return type == kind::error; }
    bool is_nil() const noexcept { return type == kind::nil; }
};

enum class error {
    not_connected = 1, // no connection to Redis within the command's timeout: it was not sent
    timeout,           // sent, but no reply within command_timeout: it may have run
    connection_lost,   // sent, and the connection broke before the reply: it may have run
    buffer_full,       // the outbound buffer is full (Redis does not keep up): not sent
    auth_failed,       // Redis refused the credentials of the URL: not sent
    select_failed,     // Redis refused SELECT <db> (out of range?): not sent
    protocol_error,    // Redis sent something that is not a RESP2 reply to us
    closed,            // the client was closed
};
boost::system::error_code make_error_code(error e);

struct client_options {
    // Resolve, TCP connect, AUTH, SELECT and a PING.
    std::chrono::milliseconds connect_timeout{2'000};
    // A command's wait for its reply. A connection with a request unanswered this long (Redis
    // stopped, or the network ate the connection) is closed and replaced.
    std::chrono::milliseconds command_timeout{5'000};
    // A PING after this long without a reply or a write (0: none).
    std::chrono::milliseconds health_check_interval{2'000};
    // Reconnect delays: doubling from min to max per failed attempt, each jittered to 50-100%.
    std::chrono::milliseconds reconnect_min_delay{100};
    std::chrono::milliseconds reconnect_max_delay{5'000};
    // Bytes queued plus bytes being written.
    std::size_t max_outbound_bytes = 16 * 1024 * 1024;
    // A reply larger than this is a protocol error (the connection is replaced).
    std::size_t max_reply_bytes = 64 * 1024 * 1024;
    // Names the connection in logs and metric labels.
    std::string name = "redis";
};

namespace detail {
class command_connection;
}

class client {
public:
    // Starts connecting at once on `executor` (whose execution context must outlive the client).
    client(net::any_io_executor executor, endpoint where, client_options options = {});
    // Closes the connection; commands waiting for a reply fail with error::closed.
    ~client();
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;

    // One command: co_await redis.command("SET", key, value, "EX", "10"). A reply of type error
    // is a value (Redis refused the command); transport problems are errors (see `error`).
    // Thread-safe; the caller resumes on its own executor. The arguments are encoded before this
    // returns (GCC 12: no braced list inside a co_await expression, hence no initializer_list).
    template <class... Args>
    requires(sizeof...(Args) > 0 &&
             (std::is_convertible_v<Args const&, std::string_view> &&
              ...)) net::awaitable<boost::system::result<reply>> command(Args const&... args)
    {
        std::string_view const views[] = {std::string_view(args)...};
        return command(std::span<std::string_view const>(views));
    }
    net::awaitable<boost::system::result<reply>> command(std::span<std::string_view const> args);
    net::awaitable<boost::system::result<reply>> command(std::span<std::string const> args);

    // PUBLISH with the reply discarded: never blocks, never waits. False when dropped (the
    // outbound buffer is full, or the client is closed). Order is kept with commands.
    bool publish(std::string_view channel, std::string_view message);

    bool connected() const noexcept;
    // Until connected (true) or `limit` passes (false).
    net::awaitable<bool> wait_connected(std::chrono::milliseconds limit);
    // Bytes queued and being written now (bounded by max_outbound_bytes).
    std::size_t outbound_bytes() const noexcept;

private:
    std::shared_ptr<detail::command_connection> impl_;
};

// The Redis bus: PUBLISH pipelined on one connection, every subscription served by one
// subscriber connection per bus (a channel is SUBSCRIBEd while it has local subscriptions).
// Handlers run on that connection's strand (over `executor`), one at a time; all messages parsed
// from one read of its socket are delivered inside one ws::flush_scope. After a reconnect every
// channel is subscribed again and each subscription's gap handler is called once the new
// SUBSCRIBE is in effect; so it is after a channel's first SUBSCRIBE.
std::unique_ptr<bus> make_redis_bus(net::any_io_executor executor, endpoint where,
                                    client_options options = {});

} // namespace parley::bus::redis

template <> struct boost::system::is_error_code_enum<parley::bus::redis::error> : std::true_type {};
