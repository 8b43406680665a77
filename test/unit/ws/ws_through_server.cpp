// WebSocket sessions reached through the HTTP server's router: upgrade, refusal before the
// handshake, and the graceful stop closing sessions with 1001.
#include "parley/http/server.hpp"
#include "parley/ws/client.hpp"
#include "parley/ws/session.hpp"
#include "support/http.hpp"
#include "support/run.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>

using namespace parley;
using parley::test::run_coro;
using parley::test::running_server;

namespace {

struct echo final : ws::handler {
    std::atomic<int>* closes;
    explicit echo(std::atomic<int>* c) : closes(c) {}
    net::awaitable<void> on_text(ws::session& s, std::string_view text) override
    {
        s.send_text(text);
        co_return;
    }
    void on_close(ws::session&, ws::close_code) override { ++*closes; }
};

std::atomic<int> closed_sessions{0};

void routes(http::server& s)
{
    ws::session_options options;
    options.allowed_origins = {"http://app.example"};
    auto accept = [](http::request_context& ctx) -> std::shared_ptr<ws::handler> {
        if (ctx.query("token") != std::optional<std::string>("ok"))
            throw http::unauthorized("Invalid token");
        return std::make_shared<echo>(&closed_sessions);
    };
    s.routes().upgrade("/ws", ws::endpoint(accept, options));
}

ws::client_options from_app()
{
    ws::client_options o;
    o.headers.set("Origin", "http://app.example");
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ws_through_server)

BOOST_AUTO_TEST_CASE(upgrade_through_the_router_and_echo)
{
    running_server srv(routes);
    auto port = srv.port();
    auto reply = run_coro([port]() -> net::awaitable<std::string> {
        auto c = co_await ws::client::connect(co_await net::this_coro::executor, "127.0.0.1", port,
                                              "/ws?token=ok", from_app());
        co_await c.send_text("hello");
        auto msg = co_await c.read();
        co_await c.close();
        co_return msg.value_or("<closed>");
    });
    BOOST_TEST(reply == "hello");
}

BOOST_AUTO_TEST_CASE(accept_hook_refuses_with_its_http_error)
{
    running_server srv(routes);
    auto port = srv.port();
    auto status = run_coro([port]() -> net::awaitable<unsigned> {
        try {
            co_await ws::client::connect(co_await net::this_coro::executor, "127.0.0.1", port,
                                         "/ws?token=bad", from_app());
        } catch (ws::handshake_error const& e) {
            BOOST_TEST(e.body() == R"({"error":"Invalid token"})");
            co_return e.status();
        }
        co_return 0u;
    });
    BOOST_TEST(status == 401u);
}

BOOST_AUTO_TEST_CASE(foreign_origin_is_refused_with_403)
{
    running_server srv(routes);
    auto port = srv.port();
    auto status = run_coro([port]() -> net::awaitable<unsigned> {
        ws::client_options o;
        o.headers.set("Origin", "http://evil.example");
        try {
            co_await ws::client::connect(co_await net::this_coro::executor, "127.0.0.1", port,
                                         "/ws?token=ok", o);
        } catch (ws::handshake_error const& e) {
            co_return e.status();
        }
        co_return 0u;
    });
    BOOST_TEST(status == 403u);
}

BOOST_AUTO_TEST_CASE(plain_get_on_a_websocket_route_is_refused)
{
    running_server srv(routes);
    auto r = parley::test::http_call(srv.port(), "GET", "/ws?token=ok");
    BOOST_TEST(r.status >= 400u);
    BOOST_TEST(r.status < 500u);
}

BOOST_AUTO_TEST_CASE(graceful_stop_closes_open_sessions_with_1001)
{
    closed_sessions = 0;
    running_server srv(routes);
    auto port = srv.port();
    std::thread stopper;
    auto code = run_coro([&, port]() -> net::awaitable<ws::close_code> {
        std::vector<ws::client> clients;
        for (int i = 0; i < 5; ++i)
            clients.push_back(co_await ws::client::connect(
                co_await net::this_coro::executor, "127.0.0.1", port, "/ws?token=ok", from_app()));
        co_await clients[0].send_text("ready?");
        co_await clients[0].read();
        stopper = std::thread([&] { srv.stop(); });
        ws::close_code last = ws::close_code::none;
        for (auto& c : clients) {
            while (co_await c.read()) {
            }
            last = c.close_code();
            BOOST_TEST((c.close_code() == ws::close_code::going_away));
        }
        co_return last;
    });
    stopper.join();
    BOOST_TEST((code == ws::close_code::going_away));
    BOOST_TEST(closed_sessions.load() == 5);
    BOOST_TEST(srv.stop() == 0);
}

// The session runs on completion handlers after the upgrade (no coroutine the server awaits):
// the server must still count each WebSocket as an open connection (its limits, the graceful
// stop's wait) until the session ends, and then no longer.
BOOST_AUTO_TEST_CASE(a_session_counts_as_an_open_connection_until_it_ends)
{
    running_server srv(routes);
    auto port = srv.port();
    auto& server = srv.server();
    auto wait_for = [&](std::size_t n) {
        for (int i = 0;
             i < 200 && (server.open_connections() != n || server.open_websockets() != n); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return server.open_connections() == n && server.open_websockets() == n;
    };
    run_coro([&, port]() -> net::awaitable<void> {
        std::vector<ws::client> clients;
        for (int i = 0; i < 3; ++i)
            clients.push_back(co_await ws::client::connect(
                co_await net::this_coro::executor, "127.0.0.1", port, "/ws?token=ok", from_app()));
        for (auto& c : clients) { // each session is past its open and reading
            co_await c.send_text("up?");
            BOOST_TEST((co_await c.read()).value_or("") == "up?");
        }
        BOOST_TEST(server.open_connections() == 3u);
        BOOST_TEST(server.open_websockets() == 3u);
        co_await clients[0].close();
        BOOST_TEST(wait_for(2));
        // Still counted: the others keep working.
        co_await clients[1].send_text("still here");
        BOOST_TEST((co_await clients[1].read()).value_or("") == "still here");
        co_await clients[1].close();
        co_await clients[2].close();
        BOOST_TEST(wait_for(0));
    });
}

BOOST_AUTO_TEST_SUITE_END()
