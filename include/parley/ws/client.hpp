// A WebSocket client (RFC 6455, client role: masked frames) for tests and the bench.
//
//   auto c = co_await ws::client::connect(ex, "127.0.0.1", port, "/ws", {});
//   co_await c.send_text(R"({"type":"join","room_id":1})");
//   while (auto msg = co_await c.read()) handle(*msg);
//   // c.close_code() says why the server closed
//
// One reader and one writer may run at once (on one strand): a send waits for a pong or close
// the reader is writing, and control frames queue behind a send in flight.
#pragma once

#include "parley/http/message.hpp"
#include "parley/net.hpp"
#include "parley/ws/close_code.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley::ws {

struct client_options {
    http::fields headers;                  // e.g. Origin, Authorization
    std::vector<std::string> subprotocols; // Sec-WebSocket-Protocol offer
    std::size_t max_message_bytes = 16 * 1024 * 1024;
    std::chrono::milliseconds handshake_timeout{5'000};
};

// The server refused the upgrade: its HTTP status and body.
class handshake_error : public std::runtime_error {
public:
    handshake_error(unsigned status, std::string body)
        : std::runtime_error("websocket upgrade refused with HTTP " + std::to_string(status)),
          status_(status), body_(std::move(body))
    {}
    unsigned status() const noexcept { return status_; }
    std::string const& body() const noexcept { return body_; }

private:
    unsigned status_;
    std::string body_;
};

class client {
public:
    // Connects and completes the handshake. Throws handshake_error when refused, and
    // boost::system::system_error on network failure.
    static net::awaitable<client> connect(net::any_io_executor executor, std::string host,
                                          std::uint16_t port, std::string target,
                                          client_options options = {});
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;
    ~client();

    net::awaitable<void> send_text(std::string_view text);
    // Arbitrary bytes on the socket, for tests of malformed frames.
    net::awaitable<void> send_raw(std::string_view bytes);
    net::awaitable<void> send_ping(std::string_view payload = {});

    // The next text message; nothing once the connection has ended (see close_code()). Pings are
    // answered; pongs skipped.
    net::awaitable<std::optional<std::string>> read();

    // Sends a close frame without reading: for a client whose reader coroutine is running (that
    // reader then sees the server's close reply and ends). A proxy passes a close code on this way.
    net::awaitable<void> send_close(ws::close_code code, std::string_view reason = {});

    // Sends a close frame and waits (bounded) for the server's close reply.
    net::awaitable<void> close(ws::close_code code = close_code::normal,
                               std::string_view reason = {});

    // Drops the connection at once, without a close frame (what the server sees when a network
    // fails): a read() in progress returns nothing, a send in progress throws. For the bench's
    // reconnect storm and for tests of abrupt disconnects.
    void abort() noexcept;

    // The code of the server's close frame (none if the connection dropped without one).
    ws::close_code close_code() const noexcept;
    std::string const& close_reason() const noexcept;
    std::string const& subprotocol() const noexcept;

private:
    struct impl;
    explicit client(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

} // namespace parley::ws
