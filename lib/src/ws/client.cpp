#include "parley/ws/client.hpp"

#include "http/resolve.hpp"
#include "parley/text/utf8.hpp"
#include "ws/codec.hpp"
#include "ws/handshake.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <random>

// GCC 12 false positive on Asio coroutine frames (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace parley::ws {

namespace {

using tcp = net::ip::tcp;
namespace bhttp = boost::beast::http;

constexpr std::size_t read_buffer_bytes = 16 * 1024;
constexpr std::size_t max_refusal_body_bytes = 1024 * 1024;
constexpr std::size_t max_pending_control_bytes = 1024;

// Masks only need to be unpredictable enough to defeat cache poisoning by intermediaries; a
// seeded xorshift keeps a thousand bench clients cheap.
class xorshift64 {
public:
    xorshift64()
    {
        std::random_device rd;
        state_ = (std::uint64_t{rd()} << 32) ^ rd();
        if (state_ == 0)
            state_ = 0x9E3779B97F4A7C15ull;
    }
    std::uint64_t next() noexcept
    {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }

private:
    std::uint64_t state_;
};

} // namespace

struct client::impl {
    impl(net::any_io_executor ex, client_options const& options)
        : socket(std::move(ex)), parser(detail::role::client, options.max_message_bytes),
          read_buffer(read_buffer_bytes), close_timeout(options.handshake_timeout)
    {}

    net::awaitable<void> handshake(std::string const& host, std::uint16_t port,
                                   std::string const& target, client_options const& options);
    // Any exception is returned rather than thrown, so that a race against a timer sees it.
    net::awaitable<std::exception_ptr> handshake_noexcept(std::string const& host,
                                                          std::uint16_t port,
                                                          std::string const& target,
                                                          client_options const& options);

    // One frame (or raw bytes) on the socket. A control frame produced while another write is in
    // flight (a pong from read() while the user's send is writing) is queued behind it.
    net::awaitable<void> write(detail::opcode op, std::string_view payload, bool raw = false);
    net::awaitable<void> write_close(ws::close_code code, std::string_view reason);
    net::awaitable<void> drain_until_close();
    void shut() noexcept;

    tcp::socket socket;
    detail::frame_parser parser;
    std::vector<char> read_buffer;
    std::size_t read_begin = 0;
    std::size_t read_end = 0;
    std::string out;
    std::string pending_control;
    bool writing = false;
    bool data_waiting = false;
    net::steady_timer write_idle{socket.get_executor()};
    bool close_sent = false;
    bool ended = false;
    xorshift64 rng;
    ws::close_code code = ws::close_code::none;
    std::string reason;
    std::string subprotocol;
    std::chrono::milliseconds close_timeout;
};

void client::impl::shut() noexcept
{
    ended = true;
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

net::awaitable<void> client::impl::handshake(std::string const& host, std::uint16_t port,
                                             std::string const& target,
                                             client_options const& options)
{
    // The lookup is bounded by the handshake timeout too: Asio's resolver could not be cancelled
    // by connect()'s timer, so a stalled DNS server held the connect past it.
    auto lookup = http::detail::resolve(host, std::to_string(port), options.handshake_timeout);
    auto resolved = co_await std::move(lookup);
    if (resolved.ec)
        throw boost::system::system_error(resolved.ec, "websocket connect: resolve " + host);
    co_await net::async_connect(socket, resolved.endpoints, net::use_awaitable);
    socket.set_option(tcp::no_delay(true));

    char nonce[16];
    auto const a = rng.next(), b = rng.next();
    std::memcpy(nonce, &a, 8);
    std::memcpy(nonce + 8, &b, 8);
    std::string const key = detail::base64_encode(std::string_view(nonce, 16));

    std::string request;
    request.reserve(512);
    request.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
    request.append(":").append(std::to_string(port));
    request.append(
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
    request.append("Sec-WebSocket-Key: ").append(key).append("\r\n");
    if (!options.subprotocols.empty()) {
        request.append("Sec-WebSocket-Protocol: ");
        for (std::size_t i = 0; i < options.subprotocols.size(); ++i)
            request.append(i ? ", " : "").append(options.subprotocols[i]);
        request.append("\r\n");
    }
    for (auto const& [name, value] : options.headers)
        request.append(name).append(": ").append(value).append("\r\n");
    request.append("\r\n");
    co_await net::async_write(socket, net::buffer(request), net::use_awaitable);

    boost::beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> response;
    response.body_limit(max_refusal_body_bytes);
    co_await bhttp::async_read_header(socket, buffer, response, net::use_awaitable);
    auto const& head = response.get();
    unsigned const status = head.result_int();
    if (status != 101) {
        // The refusal's body says why (e.g. {"error": "..."}); read it by its Content-Length.
        std::string body;
        if (!response.is_done()) {
            auto const [ec, n] = co_await bhttp::async_read(socket, buffer, response, use_tuple);
            (void)n;
        }
        body = response.get().body();
        throw handshake_error(status, std::move(body));
    }
    auto const upgrade = head[bhttp::field::upgrade];
    auto const connection = head[bhttp::field::connection];
    auto const accept = head["Sec-WebSocket-Accept"];
    if (!detail::has_token(upgrade, "websocket") || !detail::has_token(connection, "upgrade"))
        throw handshake_error(status,
                              "the 101 response lacks Upgrade: websocket / Connection: Upgrade");
    if (accept != detail::accept_key(key))
        throw handshake_error(status, "wrong Sec-WebSocket-Accept");
    if (auto const chosen = head["Sec-WebSocket-Protocol"]; !chosen.empty()) {
        auto const& offered = options.subprotocols;
        if (std::find(offered.begin(), offered.end(), chosen) == offered.end())
            throw handshake_error(status, "the server chose a subprotocol that was not offered");
        subprotocol = std::string(chosen);
    }
    // Frames the server sent right behind its 101.
    auto const leftover = buffer.data();
    if (leftover.size() > read_buffer.size())
        read_buffer.resize(leftover.size());
    std::memcpy(read_buffer.data(), leftover.data(), leftover.size());
    read_begin = 0;
    read_end = leftover.size();
}

net::awaitable<std::exception_ptr> client::impl::handshake_noexcept(std::string const& host,
                                                                    std::uint16_t port,
                                                                    std::string const& target,
                                                                    client_options const& options)
{
    std::exception_ptr error;
    try {
        co_await handshake(host, port, target, options);
    } catch (...) {
        error = std::current_exception();
    }
    co_return error;
}

net::awaitable<void> client::impl::write(detail::opcode op, std::string_view payload, bool raw)
{
    bool const control = static_cast<unsigned>(op) & 0x8;
    if (writing && control) {
        if (pending_control.size() < max_pending_control_bytes)
            detail::append_masked_frame(pending_control, op, payload,
                                        static_cast<std::uint32_t>(rng.next()));
        co_return;
    }
    // A data frame waits for the reader's pong or close in flight (one writer at a time; a
    // second concurrent send is a caller bug).
    if (writing && data_waiting)
        throw std::logic_error("ws::client: concurrent sends");
    while (writing) {
        data_waiting = true;
        write_idle.expires_at(net::steady_timer::time_point::max());
        co_await write_idle.async_wait(use_tuple);
        data_waiting = false;
    }
    writing = true;
    struct reset_flag {
        bool& flag;
        net::steady_timer& idle;
        ~reset_flag()
        {
            flag = false;
            idle.cancel(); // wakes a data frame waiting for this write
        }
    } reset{writing, write_idle};
    out.clear();
    if (raw)
        out.assign(payload);
    else
        detail::append_masked_frame(out, op, payload, static_cast<std::uint32_t>(rng.next()));
    co_await net::async_write(socket, net::buffer(out), net::use_awaitable);
    while (!pending_control.empty()) {
        out.swap(pending_control);
        pending_control.clear();
        co_await net::async_write(socket, net::buffer(out), net::use_awaitable);
    }
}

net::awaitable<void> client::impl::write_close(ws::close_code c, std::string_view why)
{
    close_sent = true;
    std::string payload;
    if (c != ws::close_code::none) {
        auto const v = static_cast<std::uint16_t>(c);
        payload.push_back(static_cast<char>(v >> 8));
        payload.push_back(static_cast<char>(v & 0xff));
        payload.append(text::truncate_utf8(why, 123));
    }
    co_await write(detail::opcode::close, payload);
}

net::awaitable<void> client::impl::drain_until_close()
{
    // Reads (and discards messages) until the server's close frame or end of stream.
    try {
        while (!ended) {
            while (read_begin < read_end) {
                std::size_t used = 0;
                auto const event = parser.parse(
                    std::string_view(read_buffer.data() + read_begin, read_end - read_begin), used);
                read_begin += used;
                if (event == detail::parse_event::close) {
                    code = parser.received_close_code();
                    reason = std::string(parser.close_reason());
                    co_return;
                }
                if (event == detail::parse_event::error)
                    co_return;
            }
            read_begin = read_end = 0;
            auto const [ec, n] =
                co_await socket.async_read_some(net::buffer(read_buffer), use_tuple);
            if (ec)
                co_return;
            read_end = n;
        }
    } catch (std::exception const&) {
    }
}

client::client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;
client::~client() = default;

net::awaitable<client> client::connect(net::any_io_executor executor, std::string host,
                                       std::uint16_t port, std::string target,
                                       client_options options)
{
    auto p = std::make_unique<impl>(executor, options);
    net::steady_timer timer(executor);
    timer.expires_after(options.handshake_timeout);
    using namespace net::experimental::awaitable_operators;
    auto const result = co_await (p->handshake_noexcept(host, port, target, options) ||
                                  timer.async_wait(net::use_awaitable));
    if (result.index() == 1)
        throw boost::system::system_error(net::error::timed_out, "websocket handshake");
    if (auto const& e = std::get<0>(result))
        std::rethrow_exception(e);
    co_return client(std::move(p));
}

net::awaitable<void> client::send_text(std::string_view text)
{
    co_await impl_->write(detail::opcode::text, text);
}

net::awaitable<void> client::send_raw(std::string_view bytes)
{
    co_await impl_->write(detail::opcode::text, bytes, true);
}

net::awaitable<void> client::send_ping(std::string_view payload)
{
    co_await impl_->write(detail::opcode::ping, payload);
}

net::awaitable<std::optional<std::string>> client::read()
{
    auto& d = *impl_;
    for (;;) {
        while (!d.ended && d.read_begin < d.read_end) {
            std::size_t used = 0;
            auto const event = d.parser.parse(
                std::string_view(d.read_buffer.data() + d.read_begin, d.read_end - d.read_begin),
                used);
            d.read_begin += used;
            switch (event) {
            case detail::parse_event::need_more:
            case detail::parse_event::pong:
                break;
            case detail::parse_event::text:
                co_return std::string(d.parser.message());
            case detail::parse_event::ping:
                try {
                    co_await d.write(detail::opcode::pong, d.parser.control_payload());
                } catch (boost::system::system_error const&) {
                    d.shut();
                }
                break;
            case detail::parse_event::close:
                d.code = d.parser.received_close_code();
                d.reason = std::string(d.parser.close_reason());
                if (!d.close_sent) {
                    try {
                        co_await d.write_close(d.code, {}); // echo the server's code
                    } catch (boost::system::system_error const&) {
                    }
                }
                d.shut();
                co_return std::nullopt;
            case detail::parse_event::error: {
                // The server broke the protocol: say why, then drop the connection.
                d.reason = std::string(d.parser.error_reason());
                try {
                    if (!d.close_sent)
                        co_await d.write_close(d.parser.error_code(), d.parser.error_reason());
                } catch (boost::system::system_error const&) {
                }
                d.shut();
                co_return std::nullopt;
            }
            }
        }
        if (d.ended)
            co_return std::nullopt;
        d.read_begin = d.read_end = 0;
        auto const [ec, n] =
            co_await d.socket.async_read_some(net::buffer(d.read_buffer), use_tuple);
        if (ec) {
            d.shut();
            co_return std::nullopt;
        }
        d.read_end = n;
    }
}

net::awaitable<void> client::send_close(ws::close_code code, std::string_view reason)
{
    auto& d = *impl_;
    if (d.ended || d.close_sent)
        co_return;
    try {
        co_await d.write_close(code, reason);
    } catch (boost::system::system_error const&) {
        d.shut();
    }
}

net::awaitable<void> client::close(ws::close_code code, std::string_view reason)
{
    auto& d = *impl_;
    if (d.ended)
        co_return;
    if (!d.close_sent) {
        try {
            co_await d.write_close(code, reason);
        } catch (boost::system::system_error const&) {
            d.shut();
            co_return;
        }
    }
    net::steady_timer timer(d.socket.get_executor());
    timer.expires_after(d.close_timeout);
    using namespace net::experimental::awaitable_operators;
    co_await (d.drain_until_close() || timer.async_wait(use_tuple));
    d.shut();
}

void client::abort() noexcept
{
    impl_->shut();
}

ws::close_code client::close_code() const noexcept
{
    return impl_->code;
}
std::string const& client::close_reason() const noexcept
{
    return impl_->reason;
}
std::string const& client::subprotocol() const noexcept
{
    return impl_->subprotocol;
}

} // namespace parley::ws
