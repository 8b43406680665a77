// The server side of a WebSocket: a session reads text messages into its handler and writes
// frames from a bounded queue with one writer that puts everything queued into one socket write.
//
//   struct echo : ws::handler {
//       net::awaitable<void> on_text(ws::session& s, std::string_view text) override
//       {
//           s.send(ws::frame::text(text));
//           co_return;
//       }
//   };
//   auto accept = [](http::request_context&) { return std::make_shared<echo>(); };
//   router.upgrade("/echo", ws::endpoint(accept));
#pragma once

#include "parley/http/upgrade.hpp"
#include "parley/net.hpp"
#include "parley/ws/close_code.hpp"
#include "parley/ws/frame.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::http {
class request_context;
}

namespace parley::ws {

struct session_options {
    std::size_t max_message_bytes = 64 * 1024;       // larger incoming messages close with 1009
    std::size_t max_queued_frames = 1024;            // outbound queue bounds: past either,
    std::size_t max_queued_bytes = 4 * 1024 * 1024;  //   the session closes with 4008
    std::chrono::milliseconds ping_interval{20'000}; // ping when the peer has been quiet this long
    std::chrono::milliseconds idle_timeout{60'000};  // close (1001) when quiet this long
    std::chrono::milliseconds close_timeout{5'000};  // wait this long for the peer's close reply
    // TCP_NODELAY. On by default: with Nagle, a second small frame to an idle peer (an ack after
    // a broadcast) waits for the peer's delayed ACK, up to 40 ms. Coalescing under load comes
    // from the session's queue and ws::flush_scope instead.
    bool no_delay = true;
    // Allowed Origin header values; empty allows any. A mismatch refuses the upgrade with 403.
    std::vector<std::string> allowed_origins;
    // Subprotocols offered by the server, in preference order (e.g. "parley.v1").
    std::vector<std::string> subprotocols;
};

class session : public std::enable_shared_from_this<session> {
public:
    virtual ~session() = default;

    // Queue a frame. Thread-safe and non-blocking; on overflow the session closes with 4008 and
    // returns false. After close, frames are dropped (false).
    virtual bool send(frame f) = 0;
    bool send_text(std::string_view text) { return send(frame::text(text)); }

    // Start the closing handshake (thread-safe): queued frames are discarded.
    virtual void close(close_code code, std::string_view reason = {}) = 0;
    // Close with `code` at `when` (thread-safe), unless a later call moves the deadline: e.g. the
    // time allowed to authenticate, then the token's expiry. clock::time_point::max() clears it.
    // The session's one timer keeps it: no timer of the handler's own per session.
    virtual void close_at(clock::time_point when, close_code code, std::string_view reason) = 0;

    virtual std::uint64_t id() const noexcept = 0;
    virtual std::string const& remote_address() const noexcept = 0;
    // The subprotocol chosen at the handshake, or empty.
    virtual std::string const& subprotocol() const noexcept = 0;
    virtual std::size_t queued_bytes() const noexcept = 0;
};

// What an application provides for each accepted session. Calls for one session never overlap.
class handler {
public:
    virtual ~handler() = default;
    virtual net::awaitable<void> on_open(session& s) { co_return; }
    // One complete text message (valid UTF-8, at most max_message_bytes).
    virtual net::awaitable<void> on_text(session& s, std::string_view message) = 0;
    // The session ended, for whatever reason; `code` is what was sent or received.
    virtual void on_close(session& s, close_code code) {}
};

// Runs before the handshake with the upgrade request: throw http::error to refuse (401, 403 ...),
// or return the handler that serves this session.
using accept_handler = std::function<std::shared_ptr<handler>(http::request_context&)>;

// The upgrade route of a WebSocket endpoint (router.upgrade("/ws", ws::endpoint(accept))): the
// opening handshake (400/426 for a bad one, 403 for an Origin not allowed), then `accept`, then
// a session per connection.
http::upgrade_handler endpoint(accept_handler accept, session_options options = {});

} // namespace parley::ws
