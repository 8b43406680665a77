// ws::client against the session server and against hand-written servers that misbehave.
#include "support/run.hpp"
#include "unit/ws/ws_test_support.hpp"
#include "ws/handshake.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::test;
using ws::detail::opcode;
using ws::detail::parse_event;

namespace {

tcp::acceptor local_acceptor(net::any_io_executor ex)
{
    tcp::acceptor a(ex, {net::ip::make_address("127.0.0.1"), 0});
    return a;
}

net::awaitable<ws::client> connect(std::uint16_t port, ws::client_options options = {})
{
    co_return co_await ws::client::connect(co_await net::this_coro::executor, "127.0.0.1", port,
                                           "/ws", std::move(options));
}

// Accepts one connection and answers its upgrade request with 101 (and the right accept key
// unless told otherwise).
net::awaitable<raw_connection> accept_upgrade(tcp::acceptor& acceptor, bool right_key = true)
{
    auto socket = co_await acceptor.async_accept(net::use_awaitable);
    std::string data;
    auto const n = co_await net::async_read_until(socket, net::dynamic_buffer(data), "\r\n\r\n",
                                                  net::use_awaitable);
    auto const at = data.find("Sec-WebSocket-Key: ") + 19;
    auto const key = data.substr(at, data.find("\r\n", at) - at);
    std::string const response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                 (right_key ? ws::detail::accept_key(key) : std::string("bogus")) +
                                 "\r\n\r\n";
    co_await net::async_write(socket, net::buffer(response), net::use_awaitable);
    co_return raw_connection{std::move(socket), data.substr(n), data.substr(0, n)};
}

net::awaitable<void> wrong_key_server(tcp::acceptor& acceptor)
{
    auto c = co_await accept_upgrade(acceptor, false);
}

net::awaitable<void> expect_wrong_key_refused(std::uint16_t port)
{
    try {
        co_await connect(port);
        BOOST_FAIL("connected despite a wrong Sec-WebSocket-Accept");
    } catch (ws::handshake_error const& e) {
        BOOST_TEST(e.status() == 101u);
        BOOST_TEST(e.body().find("Sec-WebSocket-Accept") != std::string::npos);
    }
}

// Sends a message and drops the TCP connection without a close frame.
net::awaitable<void> dropping_server(tcp::acceptor& acceptor)
{
    auto c = co_await accept_upgrade(acceptor);
    auto const f = ws::frame::text("last words");
    co_await net::async_write(c.socket, net::buffer(f.wire()), net::use_awaitable);
    c.socket.close();
}

net::awaitable<void> expect_message_then_drop(std::uint16_t port)
{
    auto c = co_await connect(port);
    auto const m = co_await c.read();
    BOOST_TEST_REQUIRE(m.has_value());
    BOOST_TEST(*m == "last words");
    BOOST_TEST(!(co_await c.read()).has_value());
    BOOST_TEST((c.close_code() == ws::close_code::none));
    BOOST_TEST(!(co_await c.read()).has_value()); // stays ended
}

// Pings the client, waits for its (masked) pong, then reports it.
net::awaitable<void> pinging_server(tcp::acceptor& acceptor)
{
    auto c = co_await accept_upgrade(acceptor);
    auto const ping = ws::frame::ping("knock");
    co_await net::async_write(c.socket, net::buffer(ping.wire()), net::use_awaitable);
    ws::detail::frame_parser parser(ws::detail::role::server, 1024);
    std::string reply;
    for (;;) {
        char chunk[512];
        auto const n = co_await c.socket.async_read_some(net::buffer(chunk), net::use_awaitable);
        std::size_t used = 0;
        auto const e = parser.parse(std::string_view(chunk, n), used);
        if (e == parse_event::pong) {
            reply = "pong:" + std::string(parser.control_payload());
            break;
        }
        BOOST_TEST_REQUIRE((e == parse_event::need_more));
    }
    auto const f = ws::frame::text(reply);
    co_await net::async_write(c.socket, net::buffer(f.wire()), net::use_awaitable);
    auto const close = ws::frame::close(1000, "");
    co_await net::async_write(c.socket, net::buffer(close.wire()), net::use_awaitable);
}

net::awaitable<void> expect_pong_reported(std::uint16_t port)
{
    auto c = co_await connect(port);
    auto const m = co_await c.read();
    BOOST_TEST_REQUIRE(m.has_value());
    BOOST_TEST(*m == "pong:knock");
    BOOST_TEST(!(co_await c.read()).has_value());
    BOOST_TEST((c.close_code() == ws::close_code::normal));
}

// Sends a masked frame (forbidden from a server) and returns the client's close code.
net::awaitable<void> masking_server(tcp::acceptor& acceptor, ws::close_code& client_code)
{
    auto c = co_await accept_upgrade(acceptor);
    auto const bad = masked(opcode::text, "masked by a server");
    co_await net::async_write(c.socket, net::buffer(bad), net::use_awaitable);
    ws::detail::frame_parser parser(ws::detail::role::server, 1024);
    for (;;) {
        char chunk[512];
        auto const n = co_await c.socket.async_read_some(net::buffer(chunk), net::use_awaitable);
        std::size_t used = 0;
        if (parser.parse(std::string_view(chunk, n), used) == parse_event::close) {
            client_code = parser.received_close_code();
            co_return;
        }
    }
}

net::awaitable<void> expect_protocol_failure(std::uint16_t port)
{
    auto c = co_await connect(port);
    BOOST_TEST(!(co_await c.read()).has_value());
}

net::awaitable<void> silent_server(tcp::acceptor& acceptor)
{
    auto socket = co_await acceptor.async_accept(net::use_awaitable);
    net::steady_timer t(acceptor.get_executor());
    t.expires_after(std::chrono::milliseconds(600));
    co_await t.async_wait(use_tuple); // holds the connection open, answering nothing
}

// Reads until the client's end of stream and reports whether a close frame came before it.
net::awaitable<void> end_of_stream_server(tcp::acceptor& acceptor, bool& saw_close_frame,
                                          bool& saw_end)
{
    auto c = co_await accept_upgrade(acceptor);
    ws::detail::frame_parser parser(ws::detail::role::server, 1024);
    for (;;) {
        char chunk[512];
        auto const [ec, n] = co_await c.socket.async_read_some(net::buffer(chunk), use_tuple);
        if (ec) {
            saw_end = ec == net::error::eof || ec == net::error::connection_reset;
            co_return;
        }
        std::size_t used = 0;
        if (parser.parse(std::string_view(chunk, n), used) == parse_event::close)
            saw_close_frame = true;
    }
}

net::awaitable<void> read_while_aborted(ws::client& c, bool& read_ended)
{
    read_ended = !(co_await c.read()).has_value();
}

net::awaitable<void> abort_soon(ws::client& c)
{
    net::steady_timer t(co_await net::this_coro::executor);
    t.expires_after(std::chrono::milliseconds(50));
    co_await t.async_wait(use_tuple);
    c.abort();
}

net::awaitable<void> expect_abort_ends_read(std::uint16_t port)
{
    auto c = co_await connect(port);
    bool read_ended = false;
    using namespace net::experimental::awaitable_operators;
    co_await (read_while_aborted(c, read_ended) && abort_soon(c));
    BOOST_TEST(read_ended);
    BOOST_TEST((c.close_code() == ws::close_code::none));
    BOOST_TEST(!(co_await c.read()).has_value()); // stays ended
    BOOST_CHECK_THROW(co_await c.send_text("after abort"), boost::system::system_error);
}

net::awaitable<void> abort_scenario(bool& saw_close_frame, bool& saw_end)
{
    auto acceptor = local_acceptor(co_await net::this_coro::executor);
    using namespace net::experimental::awaitable_operators;
    co_await (end_of_stream_server(acceptor, saw_close_frame, saw_end) &&
              expect_abort_ends_read(acceptor.local_endpoint().port()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(ws_client)

BOOST_AUTO_TEST_CASE(connect_to_a_closed_port_throws_system_error)
{
    std::uint16_t port = 0;
    {
        net::io_context io;
        port = local_acceptor(io.get_executor()).local_endpoint().port();
    }
    BOOST_CHECK_THROW(run_coro([&]() -> net::awaitable<void> { co_await connect(port); }),
                      boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(refused_upgrade_throws_handshake_error_with_status_and_body)
{
    auto rec = std::make_shared<recorder>();
    ws::session_options options;
    options.allowed_origins = {"https://chat.example"};
    ws_test_server server([rec] { return std::make_shared<echo_handler>(rec); }, options);
    run_coro([&]() -> net::awaitable<void> {
        ws::client_options co;
        co.headers.add("Origin", "https://evil.example");
        try {
            co_await connect(server.port(), co);
            BOOST_FAIL("upgrade from a forbidden origin succeeded");
        } catch (ws::handshake_error const& e) {
            BOOST_TEST(e.status() == 403u);
            BOOST_TEST(e.body().find("origin not allowed") != std::string::npos, e.body());
        }
        co.headers.set("Origin", "https://chat.example");
        auto c = co_await connect(server.port(), co);
        co_await c.close();
    });
}

BOOST_AUTO_TEST_CASE(wrong_accept_key_is_rejected)
{
    run_coro([]() -> net::awaitable<void> {
        auto acceptor = local_acceptor(co_await net::this_coro::executor);
        using namespace net::experimental::awaitable_operators;
        co_await (wrong_key_server(acceptor) &&
                  expect_wrong_key_refused(acceptor.local_endpoint().port()));
    });
}

BOOST_AUTO_TEST_CASE(handshake_times_out_against_a_silent_server)
{
    run_coro([]() -> net::awaitable<void> {
        auto acceptor = local_acceptor(co_await net::this_coro::executor);
        ws::client_options co;
        co.handshake_timeout = std::chrono::milliseconds(200);
        net::co_spawn(acceptor.get_executor(), silent_server(acceptor), net::detached);
        try {
            co_await connect(acceptor.local_endpoint().port(), co);
            BOOST_FAIL("handshake with a silent server succeeded");
        } catch (boost::system::system_error const& e) {
            BOOST_TEST((e.code() == net::error::timed_out));
        }
        acceptor.close();
    });
}

BOOST_AUTO_TEST_CASE(large_messages_round_trip)
{
    auto rec = std::make_shared<recorder>();
    ws::session_options options;
    options.max_message_bytes = 2 * 1024 * 1024;
    ws_test_server server([rec] { return std::make_shared<echo_handler>(rec); }, options);
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(server.port());
        std::string big(1024 * 1024 + 17, ' ');
        for (std::size_t i = 0; i < big.size(); ++i)
            big[i] = static_cast<char>('a' + i % 26);
        co_await c.send_text(big);
        co_await c.send_text("small");
        auto const a = co_await c.read();
        auto const b = co_await c.read();
        BOOST_TEST_REQUIRE((a.has_value() && b.has_value()));
        BOOST_TEST((*a == big));
        BOOST_TEST(*b == "small");
        co_await c.close();
    });
}

BOOST_AUTO_TEST_CASE(message_over_the_client_limit_fails_the_connection)
{
    auto rec = std::make_shared<recorder>();
    ws_test_server server([rec] { return std::make_shared<echo_handler>(rec); });
    run_coro([&]() -> net::awaitable<void> {
        ws::client_options co;
        co.max_message_bytes = 10;
        auto c = co_await connect(server.port(), co);
        co_await c.send_text("longer than ten bytes");
        BOOST_TEST(!(co_await c.read()).has_value());
    });
    // The client told the server why.
    BOOST_TEST(rec->wait([](recorder& r) { return !r.closes.empty(); }));
    BOOST_TEST((rec->closes.at(0) == ws::close_code::message_too_big));
}

BOOST_AUTO_TEST_CASE(dropped_connection_ends_reads_without_a_close_code)
{
    run_coro([]() -> net::awaitable<void> {
        auto acceptor = local_acceptor(co_await net::this_coro::executor);
        using namespace net::experimental::awaitable_operators;
        co_await (dropping_server(acceptor) &&
                  expect_message_then_drop(acceptor.local_endpoint().port()));
    });
}

BOOST_AUTO_TEST_CASE(abort_ends_a_pending_read_without_a_close_frame)
{
    bool saw_close_frame = false, saw_end = false;
    run_coro([&] { return abort_scenario(saw_close_frame, saw_end); });
    BOOST_TEST(saw_end);
    BOOST_TEST(!saw_close_frame);
}

BOOST_AUTO_TEST_CASE(client_answers_pings)
{
    run_coro([]() -> net::awaitable<void> {
        auto acceptor = local_acceptor(co_await net::this_coro::executor);
        using namespace net::experimental::awaitable_operators;
        co_await (pinging_server(acceptor) &&
                  expect_pong_reported(acceptor.local_endpoint().port()));
    });
}

BOOST_AUTO_TEST_CASE(masked_server_frame_fails_with_1002)
{
    ws::close_code client_code = ws::close_code::none;
    run_coro([&]() -> net::awaitable<void> {
        auto acceptor = local_acceptor(co_await net::this_coro::executor);
        using namespace net::experimental::awaitable_operators;
        co_await (masking_server(acceptor, client_code) &&
                  expect_protocol_failure(acceptor.local_endpoint().port()));
    });
    BOOST_TEST((client_code == ws::close_code::protocol_error));
}

BOOST_AUTO_TEST_SUITE_END()
