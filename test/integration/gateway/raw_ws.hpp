// WebSocket peers on plain sockets, for what a well-behaved client library cannot do: write a
// frame one byte at a time, see pings and pongs, stop reading, vanish without a close; and a
// chat stand-in that sends scripted bytes after its 101 (e.g. dies in the middle of a stream).
#pragma once

#include "parley/http/context.hpp"
#include "parley/http/server.hpp"
#include "parley/ws/handshake.hpp"
#include "support/run.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace parley::test::gateway {

using tcp = net::ip::tcp;

struct raw_frame {
    std::uint8_t opcode = 0;
    bool fin = true;
    std::string payload;
};

// One frame as a server sends it (unmasked) or a client (masked with a fixed key).
inline std::string encode_frame(std::uint8_t opcode, std::string_view payload, bool masked,
                                bool fin = true)
{
    std::string f;
    f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    auto const m = masked ? 0x80 : 0;
    if (payload.size() < 126) {
        f.push_back(static_cast<char>(m | payload.size()));
    } else if (payload.size() < 65536) {
        f.push_back(static_cast<char>(m | 126));
        f.push_back(static_cast<char>(payload.size() >> 8));
        f.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        f.push_back(static_cast<char>(m | 127));
        for (int b = 7; b >= 0; --b)
            f.push_back(
                static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> (8 * b)) & 0xff));
    }
    if (!masked)
        return f + std::string(payload);
    unsigned char const key[4] = {0x12, 0x34, 0x56, 0x78};
    f.append(reinterpret_cast<char const*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
    return f;
}

// Takes one complete frame off the front of `in`, if there is one.
inline std::optional<raw_frame> take_frame(std::string& in)
{
    if (in.size() < 2)
        return std::nullopt;
    auto const b0 = static_cast<unsigned char>(in[0]), b1 = static_cast<unsigned char>(in[1]);
    std::size_t header = 2;
    std::uint64_t len = b1 & 0x7f;
    if (len == 126) {
        if (in.size() < 4)
            return std::nullopt;
        len = (static_cast<unsigned char>(in[2]) << 8) | static_cast<unsigned char>(in[3]);
        header = 4;
    } else if (len == 127) {
        if (in.size() < 10)
            return std::nullopt;
        len = 0;
        for (int b = 0; b < 8; ++b)
            len = (len << 8) | static_cast<unsigned char>(in[2 + b]);
        header = 10;
    }
    bool const masked = b1 & 0x80;
    if (masked)
        header += 4;
    if (in.size() < header + len)
        return std::nullopt;
    raw_frame f;
    f.opcode = b0 & 0x0f;
    f.fin = b0 & 0x80;
    f.payload = in.substr(header, static_cast<std::size_t>(len));
    if (masked)
        for (std::size_t i = 0; i < f.payload.size(); ++i)
            f.payload[i] = static_cast<char>(f.payload[i] ^ in[header - 4 + i % 4]);
    in.erase(0, header + static_cast<std::size_t>(len));
    return f;
}

// A browser on a plain socket. Writes go out `write_chunk` bytes at a time (0: at once).
class raw_client {
public:
    explicit raw_client(net::any_io_executor ex) : socket_(ex) {}

    // Connects and upgrades; returns the response head (throws when it is not 101).
    // (`origin` must outlive the call: a literal or a named string.)
    net::awaitable<std::string> connect(std::uint16_t port, std::string_view origin,
                                        std::size_t write_chunk = 0)
    {
        write_chunk_ = write_chunk;
        tcp::endpoint to(net::ip::make_address("127.0.0.1"), port);
        co_await socket_.async_connect(to, net::use_awaitable);
        socket_.set_option(tcp::no_delay(true));
        std::string const request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: " +
                                    std::string(origin) + "\r\n\r\n";
        co_await write(request);
        for (;;) {
            auto end = in_.find("\r\n\r\n");
            if (end != std::string::npos) {
                auto head = in_.substr(0, end + 4);
                in_.erase(0, end + 4);
                if (head.rfind("HTTP/1.1 101", 0) != 0)
                    throw std::runtime_error("upgrade refused: " + head);
                co_return head;
            }
            if (!co_await read_more())
                throw std::runtime_error("connection closed during the upgrade");
        }
    }

    net::awaitable<void> send(std::uint8_t opcode, std::string_view payload, bool fin = true)
    {
        auto const frame = encode_frame(opcode, payload, true, fin);
        co_await write(frame);
    }
    net::awaitable<void> send_text(std::string_view text) { co_await send(0x1, text); }

    // The next frame; nothing when the connection ended.
    net::awaitable<std::optional<raw_frame>> read()
    {
        for (;;) {
            if (auto f = take_frame(in_))
                co_return f;
            if (!co_await read_more())
                co_return std::nullopt;
        }
    }

    // The next text message, answering pings as a browser does.
    net::awaitable<std::optional<std::string>> read_text()
    {
        for (;;) {
            auto f = co_await read();
            if (!f || f->opcode == 0x8)
                co_return std::nullopt;
            if (f->opcode == 0x9)
                co_await send(0xA, f->payload);
            else if (f->opcode == 0x1)
                co_return std::move(f->payload);
        }
    }

    // Gone without a close frame: reset (or a plain FIN).
    void vanish(bool reset = true)
    {
        boost::system::error_code ignored;
        if (reset)
            socket_.set_option(net::socket_base::linger(true, 0), ignored);
        socket_.close(ignored);
    }

    tcp::socket& socket() { return socket_; }

private:
    net::awaitable<void> write(std::string_view bytes)
    {
        if (write_chunk_ == 0) {
            co_await net::async_write(socket_, net::buffer(bytes), net::use_awaitable);
            co_return;
        }
        for (std::size_t i = 0; i < bytes.size(); i += write_chunk_) {
            auto const piece = bytes.substr(i, write_chunk_);
            co_await net::async_write(socket_, net::buffer(piece), net::use_awaitable);
        }
    }

    net::awaitable<bool> read_more()
    {
        char buffer[64 * 1024];
        auto [ec, n] = co_await socket_.async_read_some(net::buffer(buffer), use_tuple);
        in_.append(buffer, n);
        co_return !ec || n > 0;
    }

    tcp::socket socket_;
    std::string in_;
    std::size_t write_chunk_ = 0;
};

// A chat stand-in whose /ws upgrades and then runs `script` on the raw socket.
using upstream_script = std::function<net::awaitable<void>(tcp::socket&)>;

inline net::awaitable<void> run_script(upstream_script script, http::upgraded_connection conn)
{
    co_await script(conn.socket());
}

inline net::awaitable<http::upgrade> scripted_upgrade(upstream_script script,
                                                      http::request_context& ctx)
{
    http::upgrade u;
    u.res = ws::upgrade_response(ctx.request(), {});
    u.run = [script](http::upgraded_connection conn) {
        return run_script(script, std::move(conn));
    };
    co_return u;
}

class scripted_upstream {
public:
    explicit scripted_upstream(upstream_script script)
        : server_([script](http::server& s) {
              auto answer = [script](http::request_context& ctx) {
                  return scripted_upgrade(script, ctx);
              };
              s.routes().upgrade("/ws", answer);
          })
    {}
    std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }

private:
    running_server server_;
};

} // namespace parley::test::gateway
