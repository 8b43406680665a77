// /ws as a byte relay: what passes through untouched (bursts, 1-byte writes, pings, close
// handshakes, subprotocols, the upgrade's headers), and how the relay itself ends connections
// (chat gone, browser gone, graceful stop, idle, a browser that stops reading).
#include "integration/gateway/fakes.hpp"
#include "integration/gateway/raw_ws.hpp"
#include "parley/ws/client.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <thread>

using namespace parley;
using namespace parley::test;
using namespace parley::test::gateway;

namespace {

constexpr auto origin = "http://localhost:8080";

net::awaitable<ws::client> connect(std::uint16_t port, ws::client_options options = {})
{
    options.headers.set("Origin", origin);
    auto ex = co_await net::this_coro::executor;
    auto pending = ws::client::connect(ex, "127.0.0.1", port, "/ws", std::move(options));
    co_return co_await std::move(pending);
}

template <class Pred> bool eventually(Pred pred, std::chrono::milliseconds limit = 10s)
{
    auto const until = clock::now() + limit;
    while (clock::now() < until) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
}

std::vector<int> closes_of(ws_record& r)
{
    std::lock_guard lock(r.mutex);
    return r.closes;
}

// Resident memory of a process, in bytes.
std::uint64_t rss_bytes(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoull(line.substr(6)) * 1024;
    return 0;
}

std::string header_of(std::string const& head, std::string const& name)
{
    auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos)
        return {};
    at += name.size() + 4;
    return head.substr(at, head.find("\r\n", at) - at);
}

net::awaitable<void> pause_for(std::chrono::milliseconds d)
{
    net::steady_timer t(co_await net::this_coro::executor, d);
    co_await t.async_wait(use_tuple);
}

ws::session_options roomy_queue()
{
    ws::session_options o;
    o.max_queued_frames = 100'000;
    o.max_queued_bytes = 256 * 1024 * 1024;
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_ws_relay)

BOOST_AUTO_TEST_CASE(a_burst_from_chat_arrives_intact_and_in_order)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record, nullptr, roomy_queue()};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    int const n = 10'000;
    int received = 0, wrong = 0;
    std::size_t bytes = 0;
    run_coro(
        [&]() -> net::awaitable<void> {
            auto c = co_await connect(gw.port());
            co_await c.read(); // hello
            auto const command = "burst:" + std::to_string(n);
            co_await c.send_text(command);
            while (received < n) {
                auto m = co_await c.read();
                if (!m)
                    break;
                bytes += m->size();
                if (*m != burst_message(received))
                    ++wrong;
                ++received;
            }
            co_await c.close();
        },
        60s);
    BOOST_TEST(received == n);
    BOOST_TEST(wrong == 0);
    BOOST_TEST(bytes > 100u * 60 * 1024);
}

BOOST_AUTO_TEST_CASE(a_client_writing_one_byte_at_a_time_is_relayed)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    std::vector<std::string> got;
    run_coro([&]() -> net::awaitable<void> {
        raw_client c(co_await net::this_coro::executor);
        co_await c.connect(gw.port(), origin, 1); // the request too, byte by byte
        auto hello = co_await c.read_text();
        got.push_back(hello.value_or("<none>"));
        co_await c.send_text("slow");
        auto echo = co_await c.read_text();
        got.push_back(echo.value_or("<none>"));
        // A fragmented message with a ping between its fragments.
        co_await c.send(0x1, "frag", false);
        co_await c.send(0x9, "between");
        co_await c.send(0x0, "mented", true);
        for (;;) {
            auto f = co_await c.read();
            if (!f)
                break;
            if (f->opcode == 0xA)
                got.push_back("pong:" + f->payload);
            if (f->opcode == 0x1) {
                got.push_back(f->payload);
                break;
            }
        }
    });
    BOOST_TEST_REQUIRE(got.size() == 4u);
    BOOST_TEST(got[0] == R"({"type":"hello"})");
    BOOST_TEST(got[1] == "echo:slow");
    BOOST_TEST(got[2] == "pong:between");
    BOOST_TEST(got[3] == "echo:fragmented");
}

BOOST_AUTO_TEST_CASE(pings_and_pongs_pass_through)
{
    auto record = std::make_shared<ws_record>();
    ws::session_options o;
    o.ping_interval = 200ms;
    o.idle_timeout = 1s; // chat closes unless the browser's pongs reach it
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record, nullptr, o};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    int pings = 0;
    std::string pong, last;
    bool chat_closed = true;
    run_coro([&]() -> net::awaitable<void> {
        raw_client c(co_await net::this_coro::executor);
        co_await c.connect(gw.port(), origin);
        co_await c.send(0x9, "are you there");
        auto const until = clock::now() + 2500ms;
        while (clock::now() < until) {
            auto f = co_await c.read();
            if (!f)
                co_return;
            if (f->opcode == 0x9) {
                ++pings;
                co_await c.send(0xA, f->payload);
            } else if (f->opcode == 0xA) {
                pong = f->payload;
            }
        }
        co_await c.send_text("still here");
        auto echo = co_await c.read_text();
        last = echo.value_or("<closed>");
        chat_closed = !closes_of(*record).empty();
    });
    BOOST_TEST(pings >= 4);
    BOOST_TEST(pong == "are you there");
    BOOST_TEST(last == "echo:still here");
    BOOST_TEST(!chat_closed);
}

BOOST_AUTO_TEST_CASE(close_handshakes_pass_through_with_code_and_reason)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    ws::close_code code = ws::close_code::none;
    std::string reason;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(gw.port());
        co_await c.read(); // hello
        co_await c.send_text("close:4001");
        while (co_await c.read()) {
        }
        code = c.close_code();
        reason = c.close_reason();
        // And from the browser's side.
        auto d = co_await connect(gw.port());
        co_await d.read();
        co_await d.close(static_cast<ws::close_code>(4000), "bye");
    });
    BOOST_TEST(static_cast<int>(code) == 4001);
    BOOST_TEST(reason == "asked to");
    BOOST_TEST(eventually([&] { return closes_of(*record).size() == 2; }));
    BOOST_TEST(closes_of(*record).back() == 4000);
}

BOOST_AUTO_TEST_CASE(chat_sees_the_browser_origin_address_and_request_id)
{
    auto record = std::make_shared<ws_record>();
    ws::session_options o;
    o.subprotocols = {"parley.v1"};
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record, nullptr, o};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    std::string head, chosen;
    run_coro([&]() -> net::awaitable<void> {
        raw_client c(co_await net::this_coro::executor);
        head = co_await c.connect(gw.port(), origin);
        ws::client_options offer;
        offer.subprotocols = {"other", "parley.v1"};
        auto d = co_await connect(gw.port(), offer);
        chosen = d.subprotocol();
        co_await d.close();
    });
    std::lock_guard lock(record->mutex);
    BOOST_TEST_REQUIRE(record->origins.size() == 2u);
    BOOST_TEST(record->origins[0] == origin);
    BOOST_TEST(record->forwarded_for[0] == "127.0.0.1");
    BOOST_TEST(!record->request_ids[0].empty());
    BOOST_TEST(record->request_ids[0] == header_of(head, "X-Request-ID"));
    BOOST_TEST(chosen == "parley.v1");
}

// Chat dies after two messages (a reset, no close frame): the browser hears 1001.
BOOST_AUTO_TEST_CASE(chat_killed_mid_stream_gives_the_browser_1001)
{
    scripted_upstream chat([](tcp::socket& s) -> net::awaitable<void> {
        auto const frames = encode_frame(0x1, "one", false) + encode_frame(0x1, "two", false);
        co_await net::async_write(s, net::buffer(frames), net::use_awaitable);
        co_await pause_for(200ms);
        s.set_option(net::socket_base::linger(true, 0));
        s.close();
    });
    fake_service auth{"auth"}, user{"user"};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    std::vector<std::string> got;
    ws::close_code code = ws::close_code::none;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(gw.port());
        while (auto m = co_await c.read())
            got.push_back(*m);
        code = c.close_code();
    });
    BOOST_TEST(got == (std::vector<std::string>{"one", "two"}), boost::test_tools::per_element());
    BOOST_TEST(static_cast<int>(code) == 1001);
}

// Chat dies inside a frame: no close frame can follow half a frame, so the connection just ends.
BOOST_AUTO_TEST_CASE(chat_killed_inside_a_frame_ends_the_connection)
{
    scripted_upstream chat([](tcp::socket& s) -> net::awaitable<void> {
        auto const whole = encode_frame(0x1, "one", false);
        auto const half = encode_frame(0x1, std::string(1000, 'x'), false).substr(0, 300);
        auto const bytes = whole + half;
        co_await net::async_write(s, net::buffer(bytes), net::use_awaitable);
        co_await pause_for(200ms);
        s.close(); // FIN
    });
    fake_service auth{"auth"}, user{"user"};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    std::vector<std::string> got;
    run_coro([&]() -> net::awaitable<void> {
        raw_client c(co_await net::this_coro::executor);
        co_await c.connect(gw.port(), origin);
        while (auto f = co_await c.read())
            got.push_back(f->opcode == 0x8 ? "close" : f->payload);
    });
    BOOST_TEST(got == (std::vector<std::string>{"one"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_browser_that_vanishes_is_closed_upstream_with_1001)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    for (bool reset : {true, false}) {
        auto const before = closes_of(*record).size();
        run_coro([&]() -> net::awaitable<void> {
            raw_client c(co_await net::this_coro::executor);
            co_await c.connect(gw.port(), origin);
            co_await c.read_text(); // hello
            co_await c.send_text("hi");
            co_await c.read_text(); // echo:hi
            c.vanish(reset);
        });
        BOOST_TEST(eventually([&] { return closes_of(*record).size() == before + 1; }));
        BOOST_TEST(closes_of(*record).back() == 1001, (reset ? "reset" : "FIN"));
    }
}

BOOST_AUTO_TEST_CASE(a_graceful_stop_of_the_gateway_sends_1001_both_ways)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    ws::close_code code = ws::close_code::none;
    int status = -1;
    std::thread stopper;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(gw.port());
        co_await c.read(); // hello
        stopper = std::thread([&] { status = gw.process.stop(); });
        while (co_await c.read()) {
        }
        code = c.close_code();
    });
    stopper.join();
    BOOST_TEST(static_cast<int>(code) == 1001);
    BOOST_TEST(status == 0);
    BOOST_TEST(eventually([&] { return !closes_of(*record).empty(); }));
    BOOST_TEST(closes_of(*record).front() == 1001);
}

BOOST_AUTO_TEST_CASE(the_relay_ends_idle_connections)
{
    auto record = std::make_shared<ws_record>();
    ws::session_options o;
    o.ping_interval = 0ms; // chat neither pings nor times out here: the relay's limit acts
    o.idle_timeout = 0ms;
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record, nullptr, o};
    gateway_under_test gw{
        auth.address(), user.address(), chat.address(), {{"PARLEY_WS_RELAY_IDLE_TIMEOUT", "1s"}}};
    ws::close_code code = ws::close_code::none;
    std::string reason;
    auto const started = clock::now();
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(gw.port());
        co_await c.read(); // hello
        while (co_await c.read()) {
        }
        code = c.close_code();
        reason = c.close_reason();
    });
    auto const elapsed = clock::now() - started;
    BOOST_TEST(static_cast<int>(code) == 1001);
    BOOST_TEST(reason == "idle timeout");
    BOOST_TEST((elapsed >= 900ms && elapsed < 5s));
    BOOST_TEST(eventually([&] { return !closes_of(*record).empty(); }));
    BOOST_TEST(closes_of(*record).front() == 1001);
}

// The browser reads nothing while chat keeps sending: the relay holds at most one read for it,
// cuts it off after the stall limit and tells chat; the gateway's memory does not follow the
// flood.
BOOST_AUTO_TEST_CASE(a_browser_that_stops_reading_is_cut_off_without_growing_the_gateway)
{
    auto record = std::make_shared<ws_record>();
    fake_service auth{"auth"}, user{"user"}, chat{"chat", record, nullptr, roomy_queue()};
    gateway_under_test gw{
        auth.address(),
        user.address(),
        chat.address(),
        {{"PARLEY_WS_RELAY_STALL_TIMEOUT", "1s"}, {"PARLEY_WS_CLOSE_TIMEOUT", "1s"}}};
    std::uint64_t rss_before = 0, rss_peak = 0;
    bool ended = false;
    run_coro(
        [&]() -> net::awaitable<void> {
            raw_client c(co_await net::this_coro::executor);
            co_await c.connect(gw.port(), origin);
            co_await c.read_text(); // hello
            rss_before = rss_bytes(gw.process.pid());
            co_await c.send_text("flood");
            // Read nothing until chat heard of the cut-off.
            auto const until = clock::now() + 15s;
            while (closes_of(*record).empty() && clock::now() < until) {
                rss_peak = std::max(rss_peak, rss_bytes(gw.process.pid()));
                co_await pause_for(50ms);
            }
            // Now read: what the kernel still holds, then the end (4008 or a reset).
            while (co_await c.read()) {
            }
            ended = true;
        },
        30s);
    BOOST_TEST(ended);
    BOOST_TEST(record->flooded_bytes.load() > 8u * 1024 * 1024);
    BOOST_TEST_MESSAGE("flooded " << record->flooded_bytes.load() << " bytes; gateway RSS "
                                  << rss_before << " -> " << rss_peak);
    BOOST_TEST(rss_peak < rss_before + 4 * 1024 * 1024);
    auto closes = closes_of(*record);
    BOOST_TEST_REQUIRE(closes.size() == 1u);
    BOOST_TEST(closes.front() == 1001);
}

BOOST_AUTO_TEST_SUITE_END()
