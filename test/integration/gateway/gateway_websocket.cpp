// /ws through the gateway: text both ways, close codes both ways, and a chat service that is
// down or goes away.
#include "integration/gateway/fakes.hpp"
#include "parley/ws/client.hpp"

#include <boost/test/unit_test.hpp>
#include <thread>

using namespace parley;
using namespace parley::test;
using namespace parley::test::gateway;

namespace {

net::awaitable<ws::client> connect(std::uint16_t port, std::string origin = "http://localhost:8080")
{
    ws::client_options options;
    options.headers.set("Origin", origin);
    co_return co_await ws::client::connect(co_await net::this_coro::executor, "127.0.0.1", port,
                                           "/ws", options);
}

template <class Pred> bool eventually(Pred pred)
{
    for (int i = 0; i < 200; ++i) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_websocket)

BOOST_AUTO_TEST_CASE(text_flows_both_ways_and_the_browser_close_code_reaches_chat)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    std::vector<std::string> got;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(gw.port());
        auto hello = co_await c.read(); // pushed by the chat side unprompted
        got.push_back(hello.value_or("<none>"));
        for (int i = 0; i < 50; ++i) {
            co_await c.send_text("m" + std::to_string(i));
            auto echo = co_await c.read();
            got.push_back(echo.value_or("<none>"));
        }
        co_await c.close(static_cast<ws::close_code>(4000), "done");
    });
    BOOST_TEST(got.size() == 51u);
    BOOST_TEST(got[0] == R"({"type":"hello"})");
    BOOST_TEST(got[1] == "echo:m0");
    BOOST_TEST(got[50] == "echo:m49");
    BOOST_TEST(eventually([&] {
        std::lock_guard lock(record->mutex);
        return !record->closes.empty();
    }));
    std::lock_guard lock(record->mutex);
    BOOST_TEST(record->closes.front() == 4000);
    // The browser's Origin is passed on, so the chat service can check it too.
    BOOST_TEST(record->origins.front() == "http://localhost:8080");
}

BOOST_AUTO_TEST_CASE(chat_close_codes_reach_the_browser)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    for (int code : {4001, 4008, 1008}) {
        ws::close_code seen = ws::close_code::none;
        run_coro([&]() -> net::awaitable<void> {
            auto c = co_await connect(gw.port());
            co_await c.read(); // hello
            co_await c.send_text("close:" + std::to_string(code));
            for (;;) {
                auto m = co_await c.read();
                if (!m)
                    break;
            }
            seen = c.close_code();
        });
        BOOST_TEST(static_cast<int>(seen) == code);
    }
}

BOOST_AUTO_TEST_CASE(chat_down_closes_with_1013_and_chat_going_away_with_1001)
{
    fake_service auth{"auth"}, user{"user"};
    auto dead = "127.0.0.1:" + std::to_string(closed_port());
    gateway_under_test down{auth.address(), user.address(), dead};
    ws::close_code seen = ws::close_code::none;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(down.port());
        auto m = co_await c.read();
        BOOST_TEST(!m.has_value());
        seen = c.close_code();
    });
    BOOST_TEST(static_cast<int>(seen) == 1013);

    // A chat service that stops (graceful: 1001) while the browser is connected.
    auto record = std::make_shared<ws_record>();
    auto chat = std::make_unique<fake_service>("chat", record);
    gateway_under_test gw{auth.address(), user.address(), chat->address()};
    seen = ws::close_code::none;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(gw.port());
        co_await c.read(); // hello
        chat.reset();      // stops the fake chat service
        for (;;) {
            auto m = co_await c.read();
            if (!m)
                break;
        }
        seen = c.close_code();
    });
    BOOST_TEST(static_cast<int>(seen) == 1001);
}

BOOST_AUTO_TEST_CASE(forbidden_origins_are_refused_when_configured)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record};
    gateway_under_test gw{auth.address(),
                          user.address(),
                          chat.address(),
                          {{"PARLEY_WS_ORIGINS", "http://localhost:8080"}}};
    unsigned status = 0;
    run_coro([&]() -> net::awaitable<void> {
        try {
            co_await connect(gw.port(), "http://evil.example");
        } catch (ws::handshake_error const& e) {
            status = e.status();
        }
    });
    BOOST_TEST(status == 403u);
}

// Issue 13 item 13: without origins of its own the gateway answers chat's refusal with 403
// before any upgrade (it used to upgrade, then close with 1008).
BOOST_AUTO_TEST_CASE(origins_refused_by_chat_get_403_before_any_upgrade)
{
    auto record = std::make_shared<ws_record>();
    ws::session_options chat_options;
    chat_options.allowed_origins = {"http://localhost:8080"};
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record, nullptr, chat_options};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    unsigned status = 0;
    std::string allowed;
    run_coro([&]() -> net::awaitable<void> {
        try {
            co_await connect(gw.port(), "http://evil.example");
        } catch (ws::handshake_error const& e) {
            status = e.status();
        }
        auto c = co_await connect(gw.port());
        auto hello = co_await c.read();
        allowed = hello.value_or("<none>");
        co_await c.close();
    });
    BOOST_TEST(status == 403u);
    BOOST_TEST(allowed == R"({"type":"hello"})");
}

BOOST_AUTO_TEST_SUITE_END()
