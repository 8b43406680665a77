// The graceful stop of the real chat binary: readiness turns false first while the service keeps
// serving for the drain delay, then WebSockets close with 1001 after their queued frames, every
// acknowledged message is stored, and the process exits 0.
#include "chat_fixture.hpp"

#include <csignal>
#include <thread>

using namespace chat_test;

namespace {

std::string status_of(test::http_reply const& r)
{
    return std::string(r.json().at("status").as_string());
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_shutdown)

BOOST_AUTO_TEST_CASE(live_and_ready_answer_while_running)
{
    chat_server srv;
    auto live = srv.get("/live");
    BOOST_TEST(live.status == 200u);
    BOOST_TEST(status_of(live) == "alive");
    auto ready = srv.get("/ready");
    BOOST_TEST(ready.status == 200u);
    BOOST_TEST(status_of(ready) == "ready");
}

BOOST_AUTO_TEST_CASE(sigterm_turns_readiness_false_first_then_closes_websockets_with_1001)
{
    chat_server srv(env{{"PARLEY_DRAIN_DELAY", "1500ms"}});
    auto const token = srv.token(1, "ann");
    net::io_context io;
    ws::close_code seen = ws::close_code::none;
    bool acked_before_stop = false;
    std::int64_t acked_seq = 0;
    std::string ready_during_drain, health_during_drain;
    unsigned ready_status_during_drain = 0;
    bool websocket_open_during_drain = false;

    auto client = [&]() -> net::awaitable<void> {
        auto c = co_await login(srv.port(), token);
        co_await join(c, 1);
        co_await send_message(c, 1, "before the stop", "m1");
        auto ack = co_await next_of(c, "ack");
        acked_before_stop = true;
        acked_seq = ack.at("seq").as_int64();

        ::kill(srv.process.pid(), SIGTERM);
        // During the drain delay the service still serves: HTTP and this WebSocket.
        net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(400));
        co_await pause.async_wait(net::use_awaitable);
        auto probe = [&] {
            auto ready = srv.get("/ready");
            ready_status_during_drain = ready.status;
            ready_during_drain = status_of(ready);
            health_during_drain = status_of(srv.get("/health"));
        };
        std::thread(probe).join();
        co_await c.send_text(R"({"type":"ping"})");
        co_await next_of(c, "pong");
        websocket_open_during_drain = true;
        // Then the close: 1001, going away.
        while (co_await c.read()) {
        }
        seen = c.close_code();
    };
    test::run_coro(io, client, std::chrono::seconds(20));

    BOOST_TEST(acked_before_stop);
    BOOST_TEST(ready_status_during_drain == 503u);
    BOOST_TEST(ready_during_drain == "draining");
    BOOST_TEST(health_during_drain == "healthy");
    BOOST_TEST(websocket_open_during_drain);
    BOOST_TEST((seen == ws::close_code::going_away));
    BOOST_TEST(srv.process.stop() == 0);

    // The acknowledged message is stored: a fresh process on the same data finds it.
    chat_server again(env{{"PARLEY_DATA_DIR", srv.dir.path()}});
    auto history = again.get("/rooms/1/messages");
    BOOST_TEST_REQUIRE(history.status == 200u);
    auto const body = history.json();
    auto const& list = body.as_array();
    BOOST_TEST_REQUIRE(!list.empty());
    BOOST_TEST(list.back().at("seq").as_int64() == acked_seq);
}

BOOST_AUTO_TEST_SUITE_END()
