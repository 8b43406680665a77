// Test support for the WebSocket suites: a server on 127.0.0.1:<ephemeral> whose accept loop
// reads the upgrade request with Beast, answers with ws::detail::upgrade_response and runs
// ws::detail::serve on a strand of a two-thread io_context; a recording handler; and a raw
// client for frames ws::client would never send.
#pragma once

#include "parley/http/error.hpp"
#include "parley/net.hpp"
#include "parley/ws/client.hpp"
#include "parley/ws/session.hpp"
#include "ws/codec.hpp"
#include "ws/upgrade.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// GCC 12 false positive on Asio coroutine frames (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace parley::test {

using tcp = net::ip::tcp;

// What a server handler saw, readable from the test thread.
struct recorder {
    std::mutex mutex;
    std::condition_variable changed;
    int opens = 0;
    std::vector<std::string> messages;
    std::vector<ws::close_code> closes;
    std::vector<std::weak_ptr<ws::session>> sessions; // weak: a session owns its handler
    std::vector<std::string> subprotocols;

    template <class Pred>
    bool wait(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10))
    {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return pred(*this); });
    }
    std::shared_ptr<ws::session> session(std::size_t i)
    {
        std::lock_guard lock(mutex);
        return i < sessions.size() ? sessions[i].lock() : nullptr;
    }
};

// Echoes every message (unless told not to); "boom" throws.
class echo_handler : public ws::handler {
public:
    explicit echo_handler(std::shared_ptr<recorder> rec, bool echo = true)
        : rec_(std::move(rec)), echo_(echo)
    {}

    net::awaitable<void> on_open(ws::session& s) override
    {
        {
            std::lock_guard lock(rec_->mutex);
            ++rec_->opens;
            rec_->sessions.push_back(s.shared_from_this());
            rec_->subprotocols.push_back(s.subprotocol());
        }
        rec_->changed.notify_all();
        co_return;
    }

    net::awaitable<void> on_text(ws::session& s, std::string_view message) override
    {
        if (message == "boom")
            throw std::runtime_error("boom requested by the test");
        {
            std::lock_guard lock(rec_->mutex);
            rec_->messages.emplace_back(message);
        }
        rec_->changed.notify_all();
        if (echo_)
            s.send(ws::frame::text(message));
        co_return;
    }

    void on_close(ws::session&, ws::close_code code) override
    {
        {
            std::lock_guard lock(rec_->mutex);
            rec_->closes.push_back(code);
        }
        rec_->changed.notify_all();
    }

private:
    std::shared_ptr<recorder> rec_;
    bool echo_;
};

class ws_test_server {
public:
    using handler_factory = std::function<std::shared_ptr<ws::handler>()>;

    explicit ws_test_server(handler_factory make, ws::session_options options = {})
        : make_(std::move(make)), options_(std::move(options)), acceptor_(io_)
    {
        tcp::endpoint const endpoint(net::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.bind(endpoint);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        net::co_spawn(io_, accept_loop(this), net::detached);
        for (int i = 0; i < 2; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }

    ~ws_test_server()
    {
        // Graceful: end every session, give them time to finish, then stop.
        net::post(acceptor_.get_executor(), [this] { acceptor_.close(); });
        stop_all();
        for (int i = 0; i < 200 && (sessions() > 0 || live_ > 0); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        io_.stop();
        for (auto& t : threads_)
            t.join();
    }

    std::uint16_t port() const noexcept { return port_; }
    // Live sessions, and the graceful stop of them all (what http::server does on SIGTERM).
    std::size_t sessions() const
    {
        std::lock_guard lock(mutex_);
        return std::count_if(stops_.begin(), stops_.end(),
                             [](auto const& w) { return !w.expired(); });
    }
    void stop_all()
    {
        std::vector<std::shared_ptr<http::upgraded_connection::stop_hook>> live;
        {
            std::lock_guard lock(mutex_);
            for (auto const& w : stops_)
                if (auto hook = w.lock())
                    live.push_back(std::move(hook));
        }
        for (auto const& hook : live)
            hook->fire();
    }

private:
    static net::awaitable<void> accept_loop(ws_test_server* self)
    {
        for (;;) {
            auto [ec, socket] =
                co_await self->acceptor_.async_accept(net::make_strand(self->io_), use_tuple);
            if (ec)
                co_return;
            ++self->live_;
            auto const executor = socket.get_executor();
            net::co_spawn(executor, connection(self, std::move(socket)),
                          [self](std::exception_ptr) { --self->live_; });
        }
    }

    static net::awaitable<void> connection(ws_test_server* self, tcp::socket socket)
    {
        namespace bhttp = boost::beast::http;
        boost::beast::flat_buffer buffer;
        bhttp::request_parser<bhttp::string_body> parser;
        auto const [ec, n] = co_await bhttp::async_read(socket, buffer, parser, use_tuple);
        if (ec)
            co_return;
        auto const& msg = parser.get();
        http::request req;
        req.method_name = std::string(msg.method_string());
        req.method = http::method_from_string(req.method_name);
        req.target = std::string(msg.target());
        for (auto const& field : msg)
            req.headers.add(field.name_string(), field.value());
        auto const remote = socket.remote_endpoint();
        req.remote_address = remote.address().to_string() + ":" + std::to_string(remote.port());

        http::response res;
        bool upgraded = true;
        try {
            res = ws::detail::upgrade_response(req, self->options_);
        } catch (http::error const& e) {
            res = e.to_response();
            upgraded = false;
        }
        std::string raw = "HTTP/1.1 " + std::to_string(res.status_code()) + " " +
                          std::string(http::reason_phrase(res.status)) + "\r\n";
        for (auto const& [name, value] : res.headers)
            raw += name + ": " + value + "\r\n";
        if (!upgraded)
            raw +=
                "Content-Length: " + std::to_string(res.body.size()) + "\r\nConnection: close\r\n";
        raw += "\r\n" + res.body;
        auto const [wec, wn] = co_await net::async_write(socket, net::buffer(raw), use_tuple);
        if (wec || !upgraded)
            co_return;
        auto const data = buffer.data();
        std::string leftover(static_cast<char const*>(data.data()), data.size());
        std::string subprotocol(res.headers.get("Sec-WebSocket-Protocol").value_or(""));
        http::upgraded_connection conn(std::move(socket), std::move(leftover), req.remote_address);
        {
            std::lock_guard lock(self->mutex_);
            self->stops_.push_back(conn.stop());
        }
        co_await ws::detail::serve(std::move(conn), self->make_(), self->options_,
                                   std::move(subprotocol));
    }

    handler_factory make_;
    ws::session_options options_;
    mutable std::mutex mutex_;
    // Sessions' stop hooks (expired when their session ended); outlive the io_context's coroutines.
    std::vector<std::weak_ptr<http::upgraded_connection::stop_hook>> stops_;
    std::atomic<int> live_{0};
    net::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::vector<std::thread> threads_;
};

// A connection that did the handshake by hand and then speaks raw bytes.
struct raw_connection {
    tcp::socket socket;
    std::string buffered; // bytes read past the response head
    std::string head;     // the HTTP response head
};

inline net::awaitable<raw_connection> raw_request(std::uint16_t port, std::string request)
{
    tcp::socket socket(co_await net::this_coro::executor);
    co_await socket.async_connect({net::ip::make_address("127.0.0.1"), port}, net::use_awaitable);
    socket.set_option(tcp::no_delay(true));
    co_await net::async_write(socket, net::buffer(request), net::use_awaitable);
    std::string data;
    auto const n = co_await net::async_read_until(socket, net::dynamic_buffer(data), "\r\n\r\n",
                                                  net::use_awaitable);
    raw_connection c{std::move(socket), data.substr(n), data.substr(0, n)};
    co_return c;
}

inline std::string upgrade_request(std::string_view extra_headers = {},
                                   std::string_view version = "13",
                                   std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==")
{
    std::string r =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    if (!version.empty())
        r.append("Sec-WebSocket-Version: ").append(version).append("\r\n");
    if (!key.empty())
        r.append("Sec-WebSocket-Key: ").append(key).append("\r\n");
    r.append(extra_headers).append("\r\n");
    return r;
}

inline net::awaitable<raw_connection> raw_connect(std::uint16_t port)
{
    auto c = co_await raw_request(port, upgrade_request());
    if (c.head.rfind("HTTP/1.1 101", 0) != 0)
        throw std::runtime_error("upgrade refused: " + c.head);
    co_return c;
}

inline std::string masked(ws::detail::opcode op, std::string_view payload, bool fin = true)
{
    std::string out;
    ws::detail::append_masked_frame(out, op, payload, 0x5a3c9e17u);
    if (!fin)
        out[0] = static_cast<char>(out[0] & 0x7f);
    return out;
}

struct raw_event {
    ws::detail::parse_event type;
    std::string payload;                        // message or control payload
    ws::close_code code = ws::close_code::none; // close frames
};

// The next event the server sends (client-role parsing); throws if the connection ends first.
inline net::awaitable<raw_event> raw_next(raw_connection& c, ws::detail::frame_parser& parser)
{
    using ws::detail::parse_event;
    for (;;) {
        std::size_t used = 0;
        auto const event = parser.parse(c.buffered, used);
        c.buffered.erase(0, used);
        switch (event) {
        case parse_event::need_more:
            break;
        case parse_event::text:
            co_return raw_event{event, std::string(parser.message())};
        case parse_event::ping:
        case parse_event::pong:
            co_return raw_event{event, std::string(parser.control_payload())};
        case parse_event::close:
            co_return raw_event{event, std::string(parser.close_reason()),
                                parser.received_close_code()};
        case parse_event::error:
            throw std::runtime_error("server sent a bad frame: " +
                                     std::string(parser.error_reason()));
        }
        char chunk[4096];
        auto const [ec, n] = co_await c.socket.async_read_some(net::buffer(chunk), use_tuple);
        if (ec)
            throw std::runtime_error("connection ended: " + ec.message());
        c.buffered.append(chunk, n);
    }
}

// Reads until the server's close frame and returns its code.
inline net::awaitable<ws::close_code> raw_close_code(raw_connection& c)
{
    ws::detail::frame_parser parser(ws::detail::role::client, 1 << 20);
    for (;;) {
        auto const e = co_await raw_next(c, parser);
        if (e.type == ws::detail::parse_event::close)
            co_return e.code;
    }
}

} // namespace parley::test
