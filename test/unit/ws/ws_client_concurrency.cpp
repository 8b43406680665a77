// ws::client with a reader coroutine and a writer at once, as a proxy uses it.
#include "support/run.hpp"
#include "unit/ws/ws_test_support.hpp"
#include "ws/handshake.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::test;

namespace {

constexpr int pings = 100;
constexpr int texts = 200;
// A masked one-byte text frame is 7 bytes; a masked empty pong 6.
constexpr std::size_t expected_bytes = texts * 7 + pings * 6;

// Answers the upgrade, sends a burst of pings, then reads until every text and pong arrived
// and drops the connection.
net::awaitable<std::size_t> pinging_server(tcp::acceptor& acceptor)
{
    auto socket = co_await acceptor.async_accept(net::use_awaitable);
    std::string data;
    co_await net::async_read_until(socket, net::dynamic_buffer(data), "\r\n\r\n",
                                   net::use_awaitable);
    auto const at = data.find("Sec-WebSocket-Key: ") + 19;
    auto const key = data.substr(at, data.find("\r\n", at) - at);
    std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                      ws::detail::accept_key(key) + "\r\n\r\n";
    for (int i = 0; i < pings; ++i)
        out += std::string("\x89\x00", 2);
    co_await net::async_write(socket, net::buffer(out), net::use_awaitable);
    std::size_t received = 0;
    char buf[4096];
    while (received < expected_bytes) {
        auto [ec, n] = co_await socket.async_read_some(net::buffer(buf), use_tuple);
        if (ec)
            break;
        received += n;
    }
    socket.close();
    co_return received;
}

net::awaitable<void> read_all(ws::client& c)
{
    for (;;) {
        auto message = co_await c.read();
        if (!message)
            break;
    }
}

net::awaitable<void> send_many(ws::client& c)
{
    for (int i = 0; i < texts; ++i)
        co_await c.send_text("x");
}

net::awaitable<std::size_t> client_side(std::uint16_t port)
{
    auto c =
        co_await ws::client::connect(co_await net::this_coro::executor, "127.0.0.1", port, "/ws");
    using namespace net::experimental::awaitable_operators;
    co_await (read_all(c) && send_many(c));
    co_return 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ws_client_concurrency)

BOOST_AUTO_TEST_CASE(sends_wait_for_pongs_the_reader_is_writing)
{
    std::size_t received = 0;
    run_coro([&]() -> net::awaitable<void> {
        tcp::acceptor acceptor(co_await net::this_coro::executor,
                               {net::ip::make_address("127.0.0.1"), 0});
        using namespace net::experimental::awaitable_operators;
        auto [server_bytes, ignored] =
            co_await (pinging_server(acceptor) && client_side(acceptor.local_endpoint().port()));
        received = server_bytes;
    });
    // Every text and every pong reached the server: no send failed, no pong was lost.
    BOOST_TEST(received == expected_bytes);
}

BOOST_AUTO_TEST_CASE(send_close_ends_the_running_reader_with_the_echoed_code)
{
    auto rec = std::make_shared<recorder>();
    ws_test_server server([rec] { return std::make_shared<echo_handler>(rec); });
    ws::close_code seen = ws::close_code::none;
    std::vector<std::string> messages;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await ws::client::connect(co_await net::this_coro::executor, "127.0.0.1",
                                              server.port(), "/ws");
        co_await c.send_text("hello");
        auto first = co_await c.read();
        if (first)
            messages.push_back(*first);
        co_await c.send_close(static_cast<ws::close_code>(4000), "bye");
        // The reader sees the server's close reply and ends.
        while (auto m = co_await c.read())
            messages.push_back(*m);
        seen = c.close_code();
    });
    BOOST_TEST(messages == std::vector<std::string>{"hello"});
    BOOST_TEST(static_cast<int>(seen) == 4000);
    BOOST_TEST(rec->wait([](recorder& r) { return !r.closes.empty(); }));
    BOOST_TEST(static_cast<int>(rec->closes.front()) == 4000);
}

BOOST_AUTO_TEST_SUITE_END()
