// Server sessions over real sockets: ws::detail::upgrade_response + serve behind a test acceptor.
#include "parley/ws/flush_scope.hpp"
#include "support/run.hpp"
#include "unit/ws/ws_test_support.hpp"
#include "ws/stats.hpp"

#include <atomic>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>
#include <thread>

using namespace parley;
using namespace parley::test;
using ws::detail::opcode;
using ws::detail::parse_event;

namespace {

struct echo_server {
    explicit echo_server(ws::session_options options = {}, bool echo = true)
        : rec(std::make_shared<recorder>()),
          server([r = rec, echo] { return std::make_shared<echo_handler>(r, echo); },
                 std::move(options))
    {}
    std::shared_ptr<recorder> rec;
    ws_test_server server;
};

net::awaitable<ws::client> connect(std::uint16_t port, ws::client_options options = {})
{
    co_return co_await ws::client::connect(co_await net::this_coro::executor, "127.0.0.1", port,
                                           "/ws", std::move(options));
}

// Sends `bytes` raw over a fresh upgraded connection and returns the server's close code.
ws::close_code close_code_after(std::uint16_t port, std::string bytes)
{
    return run_coro([&]() -> net::awaitable<ws::close_code> {
        auto c = co_await raw_connect(port);
        co_await net::async_write(c.socket, net::buffer(bytes), net::use_awaitable);
        co_return co_await raw_close_code(c);
    });
}

net::awaitable<void> send_after(ws::client& c, std::chrono::milliseconds delay, std::string text)
{
    net::steady_timer t(co_await net::this_coro::executor);
    t.expires_after(delay);
    co_await t.async_wait(net::use_awaitable);
    co_await c.send_text(text);
}

bool closed_with(recorder& rec, ws::close_code code)
{
    return rec.wait([&](recorder& r) { return !r.closes.empty() && r.closes.back() == code; });
}

} // namespace

BOOST_AUTO_TEST_SUITE(ws_session)

BOOST_AUTO_TEST_CASE(echo_round_trip_through_ws_client)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        co_await c.send_text(R"({"type":"hello"})");
        auto const reply = co_await c.read();
        BOOST_TEST_REQUIRE(reply.has_value());
        BOOST_TEST(*reply == R"({"type":"hello"})");
        co_await c.send_text("");
        auto const empty = co_await c.read();
        BOOST_TEST_REQUIRE(empty.has_value());
        BOOST_TEST(empty->empty());
        co_await c.close();
        BOOST_TEST((c.close_code() == ws::close_code::normal));
        BOOST_TEST(!(co_await c.read()).has_value());
    });
    BOOST_TEST(closed_with(*s.rec, ws::close_code::normal));
    BOOST_TEST(s.rec->wait([](recorder& r) { return r.opens == 1 && r.closes.size() == 1; }));
    BOOST_TEST(s.rec->wait([&](recorder&) { return s.server.sessions() == 0; }));
}

BOOST_AUTO_TEST_CASE(frames_written_one_byte_at_a_time_are_reassembled)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        std::string const wire = masked(opcode::text, "slow ", false) + masked(opcode::ping, "p") +
                                 masked(opcode::continuation, "and steady \xE2\x82\xAC");
        for (char byte : wire)
            co_await c.send_raw(std::string_view(&byte, 1));
        auto const reply = co_await c.read(); // the pong in between is skipped
        BOOST_TEST_REQUIRE(reply.has_value());
        BOOST_TEST(*reply == "slow and steady \xE2\x82\xAC");
        co_await c.close();
    });
}

BOOST_AUTO_TEST_CASE(bytes_sent_with_the_upgrade_request_are_not_lost)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await raw_request(s.server.port(),
                                      upgrade_request() + masked(opcode::text, "early"));
        BOOST_TEST(c.head.rfind("HTTP/1.1 101", 0) == 0u);
        ws::detail::frame_parser parser(ws::detail::role::client, 1024);
        auto const e = co_await raw_next(c, parser);
        BOOST_TEST((e.type == parse_event::text));
        BOOST_TEST(e.payload == "early");
    });
}

// Echoes each message after a short wait: the session's reader is suspended with the rest of
// what it read still to parse.
class suspending_echo : public ws::handler {
public:
    net::awaitable<void> on_text(ws::session& s, std::string_view message) override
    {
        std::string const copy(message);
        net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(1));
        co_await pause.async_wait(net::use_awaitable);
        s.send(ws::frame::text(copy));
    }
};

// A burst far larger than the session's small read buffer comes in one write while the handler
// suspends on every message; another session reads its burst meanwhile on the same threads.
// Every message comes back whole and in order on both.
BOOST_AUTO_TEST_CASE(a_burst_read_while_the_handler_suspends_loses_nothing)
{
    ws_test_server server([] { return std::make_shared<suspending_echo>(); });
    auto const burst = [](char tag) {
        std::string wire;
        for (int i = 0; i < 60; ++i)
            wire += masked(opcode::text, tag + std::to_string(i) + std::string(300, tag));
        return wire;
    };
    auto const echoes = [&](char tag) -> net::awaitable<std::vector<std::string>> {
        auto c = co_await raw_connect(server.port());
        auto const wire = burst(tag);
        co_await net::async_write(c.socket, net::buffer(wire), net::use_awaitable);
        ws::detail::frame_parser parser(ws::detail::role::client, 4096);
        std::vector<std::string> out;
        while (out.size() < 60) {
            auto const e = co_await raw_next(c, parser);
            if (e.type != parse_event::text)
                break;
            out.push_back(e.payload);
        }
        co_return out;
    };
    std::string const tags = "abcdefgh";
    std::vector<std::vector<std::string>> received(tags.size());
    std::vector<std::thread> clients;
    for (std::size_t i = 0; i < tags.size(); ++i)
        clients.emplace_back([&, i] { received[i] = run_coro([&] { return echoes(tags[i]); }); });
    for (auto& t : clients)
        t.join();
    for (std::size_t t = 0; t < tags.size(); ++t) {
        BOOST_TEST_REQUIRE(received[t].size() == 60u);
        for (int i = 0; i < 60; ++i)
            BOOST_TEST(received[t][i] == tags[t] + std::to_string(i) + std::string(300, tags[t]));
    }
}

BOOST_AUTO_TEST_CASE(ping_is_answered_with_pong)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await raw_connect(s.server.port());
        std::string const wire =
            masked(opcode::ping, "are you there") + masked(opcode::text, "after");
        co_await net::async_write(c.socket, net::buffer(wire), net::use_awaitable);
        ws::detail::frame_parser parser(ws::detail::role::client, 1024);
        auto const first = co_await raw_next(c, parser);
        BOOST_TEST((first.type == parse_event::pong));
        BOOST_TEST(first.payload == "are you there");
        auto const second = co_await raw_next(c, parser);
        BOOST_TEST((second.type == parse_event::text));
        BOOST_TEST(second.payload == "after");
    });
}

BOOST_AUTO_TEST_CASE(oversized_message_closes_with_1009)
{
    ws::session_options options;
    options.max_message_bytes = 1000;
    echo_server s(options);
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        co_await c.send_text(std::string(1000, 'a')); // exactly the limit is fine
        auto const ok = co_await c.read();
        BOOST_TEST_REQUIRE(ok.has_value());
        co_await c.send_text(std::string(100000, 'a'));
        BOOST_TEST(!(co_await c.read()).has_value());
        BOOST_TEST((c.close_code() == ws::close_code::message_too_big));
    });
    BOOST_TEST(closed_with(*s.rec, ws::close_code::message_too_big));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_closes_with_1007)
{
    echo_server s;
    BOOST_TEST((close_code_after(s.server.port(), masked(opcode::text, "bad \xC0\xAF")) ==
                ws::close_code::invalid_payload));
    BOOST_TEST(closed_with(*s.rec, ws::close_code::invalid_payload));
    BOOST_TEST(s.rec->messages.empty());
}

BOOST_AUTO_TEST_CASE(protocol_violations_close_with_1002)
{
    echo_server s;
    std::string unmasked(ws::frame::text("hi").wire());
    std::string rsv = masked(opcode::text, "hi");
    rsv[0] = static_cast<char>(rsv[0] | 0x20);
    std::string bad_opcode = masked(opcode::text, "hi");
    bad_opcode[0] = static_cast<char>(0x85);
    std::string const fragmented_ping = masked(opcode::ping, "x", false);
    std::string const stray_continuation = masked(opcode::continuation, "x");
    for (auto const& wire : {unmasked, rsv, bad_opcode, fragmented_ping, stray_continuation})
        BOOST_TEST((close_code_after(s.server.port(), wire) == ws::close_code::protocol_error));
    BOOST_TEST(s.rec->wait([](recorder& r) { return r.closes.size() == 5; }));
    for (auto code : s.rec->closes)
        BOOST_TEST((code == ws::close_code::protocol_error));
}

BOOST_AUTO_TEST_CASE(binary_message_closes_with_1003)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        std::string const wire = masked(opcode::binary, "\x01\x02\x03");
        co_await c.send_raw(wire);
        BOOST_TEST(!(co_await c.read()).has_value());
        BOOST_TEST((c.close_code() == ws::close_code::unsupported_data));
    });
    BOOST_TEST(closed_with(*s.rec, ws::close_code::unsupported_data));
}

BOOST_AUTO_TEST_CASE(handler_exception_closes_with_1011)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        co_await c.send_text("boom");
        BOOST_TEST(!(co_await c.read()).has_value());
        BOOST_TEST((c.close_code() == ws::close_code::internal_error));
    });
    BOOST_TEST(closed_with(*s.rec, ws::close_code::internal_error));
}

BOOST_AUTO_TEST_CASE(server_close_sends_code_and_reason)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        BOOST_TEST_REQUIRE(s.rec->wait([](recorder& r) { return r.opens == 1; }));
        auto session = s.rec->session(0);
        BOOST_TEST_REQUIRE(session != nullptr);
        session->close(ws::close_code::unauthorized, "token expired");
        BOOST_TEST(!session->send_text("dropped after close"));
        BOOST_TEST(!(co_await c.read()).has_value());
        BOOST_TEST((c.close_code() == ws::close_code::unauthorized));
        BOOST_TEST(c.close_reason() == "token expired");
    });
    BOOST_TEST(closed_with(*s.rec, ws::close_code::unauthorized));
}

BOOST_AUTO_TEST_CASE(close_all_closes_clients_with_1001)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto a = co_await connect(s.server.port());
        auto b = co_await connect(s.server.port());
        BOOST_TEST_REQUIRE(s.rec->wait([](recorder& r) { return r.opens == 2; }));
        std::thread([&] { s.server.stop_all(); }).join();
        for (auto* c : {&a, &b}) {
            BOOST_TEST(!(co_await c->read()).has_value());
            BOOST_TEST((c->close_code() == ws::close_code::going_away));
            BOOST_TEST(c->close_reason() == "server shutting down");
        }
    });
    BOOST_TEST(
        s.rec->wait([&](recorder& r) { return r.closes.size() == 2 && s.server.sessions() == 0; }));
    for (auto code : s.rec->closes)
        BOOST_TEST((code == ws::close_code::going_away));
}

BOOST_AUTO_TEST_CASE(silent_peer_is_pinged_then_closed_with_1001)
{
    ws::session_options options;
    options.ping_interval = std::chrono::milliseconds(50);
    options.idle_timeout = std::chrono::milliseconds(300);
    echo_server s(options);
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await raw_connect(s.server.port());
        ws::detail::frame_parser parser(ws::detail::role::client, 1024);
        int pings = 0;
        for (;;) {
            auto const e = co_await raw_next(c, parser); // never answers
            if (e.type == parse_event::ping)
                ++pings;
            if (e.type == parse_event::close) {
                BOOST_TEST((e.code == ws::close_code::going_away));
                break;
            }
        }
        BOOST_TEST(pings >= 1);
    });
    BOOST_TEST(closed_with(*s.rec, ws::close_code::going_away));
}

BOOST_AUTO_TEST_CASE(peer_answering_pings_is_not_idle)
{
    ws::session_options options;
    options.ping_interval = std::chrono::milliseconds(20);
    options.idle_timeout = std::chrono::milliseconds(400);
    echo_server s(options);
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        // The client answers the server's pings while it waits in read(); the message sent after
        // two and a half idle timeouts still comes back.
        using namespace net::experimental::awaitable_operators;
        auto const reply =
            co_await (c.read() && send_after(c, std::chrono::milliseconds(1000), "still here"));
        BOOST_TEST_REQUIRE(reply.has_value());
        BOOST_TEST(*reply == "still here");
        co_await c.close();
    });
    BOOST_TEST(closed_with(*s.rec, ws::close_code::normal));
}

BOOST_AUTO_TEST_CASE(frames_sent_from_another_thread_arrive_in_order_exactly_once)
{
    ws::session_options options;
    options.max_queued_frames = 20000;
    echo_server s(options, false);
    constexpr int count = 10000;
    auto const writes_before = ws::detail::stats().writes.value();
    auto const out_before = ws::detail::stats().messages_out.value();
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        BOOST_TEST_REQUIRE(s.rec->wait([](recorder& r) { return r.opens == 1; }));
        auto session = s.rec->session(0);
        BOOST_TEST_REQUIRE(session != nullptr);
        std::atomic<int> refused{0};
        std::thread sender([&] {
            for (int i = 0; i < count; ++i)
                if (!session->send(ws::frame::text(std::to_string(i))))
                    ++refused;
        });
        int expected = 0;
        while (expected < count) {
            auto const m = co_await c.read();
            if (!m)
                break;
            BOOST_TEST_REQUIRE(*m == std::to_string(expected));
            ++expected;
        }
        sender.join();
        BOOST_TEST(refused == 0);
        BOOST_TEST(expected == count);
        co_await c.close();
    });
    auto const writes = ws::detail::stats().writes.value() - writes_before;
    auto const out = ws::detail::stats().messages_out.value() - out_before;
    BOOST_TEST(out >= static_cast<std::uint64_t>(count));
    BOOST_TEST_MESSAGE("10000 frames in " << writes << " socket writes");
}

BOOST_AUTO_TEST_CASE(a_flush_scope_writes_a_burst_in_one_system_call)
{
    echo_server s({}, false);
    constexpr int count = 50;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        BOOST_TEST_REQUIRE(s.rec->wait([](recorder& r) { return r.opens == 1; }));
        auto session = s.rec->session(0);
        BOOST_TEST_REQUIRE(session != nullptr);
        auto const writes_before = ws::detail::stats().writes.value();
        std::thread sender([&] {
            ws::flush_scope burst;
            for (int i = 0; i < count; ++i)
                session->send(ws::frame::text(std::to_string(i)));
            // Nothing is written before the scope closes.
            BOOST_TEST(ws::detail::stats().writes.value() == writes_before);
        });
        sender.join();
        for (int expected = 0; expected < count; ++expected) {
            auto const m = co_await c.read();
            BOOST_TEST_REQUIRE(m.has_value());
            BOOST_TEST_REQUIRE(*m == std::to_string(expected));
        }
        // All 50 arrived: in one write (counted once it has happened, which on a loaded machine
        // may be on the session's thread after the scope closed, not before join() returns).
        BOOST_TEST(ws::detail::stats().writes.value() - writes_before == 1u);
        co_await c.close();
    });
}

BOOST_AUTO_TEST_CASE(frames_from_several_threads_keep_per_thread_order)
{
    ws::session_options options;
    options.max_queued_frames = 20000;
    echo_server s(options, false);
    constexpr int threads = 4, per_thread = 2500;
    run_coro([&]() -> net::awaitable<void> {
        auto c = co_await connect(s.server.port());
        BOOST_TEST_REQUIRE(s.rec->wait([](recorder& r) { return r.opens == 1; }));
        auto session = s.rec->session(0);
        std::vector<std::thread> senders;
        for (int t = 0; t < threads; ++t)
            senders.emplace_back([&, t] {
                for (int i = 0; i < per_thread; ++i)
                    session->send(ws::frame::text(std::to_string(t) + ":" + std::to_string(i)));
            });
        std::vector<int> next(threads, 0);
        for (int n = 0; n < threads * per_thread; ++n) {
            auto const m = co_await c.read();
            BOOST_TEST_REQUIRE(m.has_value());
            auto const colon = m->find(':');
            int const t = std::stoi(m->substr(0, colon));
            BOOST_TEST_REQUIRE(std::stoi(m->substr(colon + 1)) == next[t]);
            ++next[t];
        }
        for (auto& th : senders)
            th.join();
        for (int t = 0; t < threads; ++t)
            BOOST_TEST(next[t] == per_thread);
        co_await c.close();
    });
}

BOOST_AUTO_TEST_CASE(slow_consumer_is_closed_with_4008_and_others_keep_receiving)
{
    ws::session_options options;
    options.max_queued_bytes = 1024 * 1024;
    options.close_timeout = std::chrono::milliseconds(300);
    echo_server s(options, false);
    run_coro([&]() -> net::awaitable<void> {
        auto slow = co_await raw_connect(s.server.port()); // never reads
        BOOST_TEST_REQUIRE(s.rec->wait([](recorder& r) { return r.opens == 1; }));
        auto fast = co_await connect(s.server.port());
        BOOST_TEST_REQUIRE(s.rec->wait([](recorder& r) { return r.opens == 2; }));
        auto slow_session = s.rec->session(0);
        auto fast_session = s.rec->session(1);
        auto const big = ws::frame::text(std::string(64 * 1024, 'x'));
        bool refused = false;
        // Kernel buffers absorb some megabytes; then the queue fills and overflows.
        for (int i = 0; i < 100000 && !refused; ++i) {
            refused = !slow_session->send(big);
            if (i % 64 == 0)
                std::this_thread::yield();
        }
        BOOST_TEST(refused);
        BOOST_TEST(!slow_session->send(ws::frame::text("after overflow")));
        BOOST_TEST(closed_with(*s.rec, ws::close_code::slow_consumer));

        BOOST_TEST(fast_session->send_text("still delivered"));
        auto const m = co_await fast.read();
        BOOST_TEST_REQUIRE(m.has_value());
        BOOST_TEST(*m == "still delivered");
        co_await fast.close();
    });
    BOOST_TEST(ws::detail::stats().slow_consumer_closes.value() >= 1u);
}

BOOST_AUTO_TEST_CASE(upgrade_validation_over_the_wire)
{
    echo_server s;
    run_coro([&]() -> net::awaitable<void> {
        auto bad_version = co_await raw_request(s.server.port(), upgrade_request({}, "8"));
        BOOST_TEST(bad_version.head.rfind("HTTP/1.1 426", 0) == 0u, bad_version.head);
        BOOST_TEST(bad_version.head.find("Sec-WebSocket-Version: 13") != std::string::npos);
        auto no_key = co_await raw_request(s.server.port(), upgrade_request({}, "13", ""));
        BOOST_TEST(no_key.head.rfind("HTTP/1.1 400", 0) == 0u, no_key.head);
        auto ok = co_await raw_request(s.server.port(), upgrade_request());
        BOOST_TEST(ok.head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") !=
                   std::string::npos);
    });
}

BOOST_AUTO_TEST_CASE(upgrade_response_validates_the_request)
{
    auto const valid = [] {
        http::request r;
        r.headers.add("Host", "localhost");
        r.headers.add("Upgrade", "WebSocket");
        r.headers.add("Connection", "keep-alive, Upgrade");
        r.headers.add("Sec-WebSocket-Version", "13");
        r.headers.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        return r;
    };
    auto const status_of = [](http::request const& r, ws::session_options const& o = {}) {
        try {
            return ws::detail::upgrade_response(r, o).status_code();
        } catch (http::error const& e) {
            return static_cast<unsigned>(e.status());
        }
    };
    ws::session_options const defaults;
    auto const res = ws::detail::upgrade_response(valid(), defaults);
    BOOST_TEST(res.status_code() == 101u);
    BOOST_TEST(res.headers.get("Sec-WebSocket-Accept").value_or("") ==
               "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    BOOST_TEST(http::iequals(res.headers.get("Upgrade").value_or(""), "websocket"));
    BOOST_TEST(!res.headers.contains("Sec-WebSocket-Protocol"));

    auto r = valid();
    r.method = http::method::post;
    BOOST_TEST(status_of(r) == 400u);
    r = valid();
    r.headers.erase("Upgrade");
    BOOST_TEST(status_of(r) == 400u);
    r = valid();
    r.headers.set("Connection", "keep-alive");
    BOOST_TEST(status_of(r) == 400u);
    r = valid();
    r.headers.set("Sec-WebSocket-Version", "12");
    BOOST_TEST(status_of(r) == 426u);
    try {
        ws::detail::upgrade_response(r, defaults);
    } catch (http::error const& e) {
        BOOST_TEST(e.headers().get("Sec-WebSocket-Version").value_or("") == "13");
    }
    r = valid();
    r.headers.erase("Sec-WebSocket-Version");
    BOOST_TEST(status_of(r) == 426u);
    r = valid();
    r.headers.erase("Sec-WebSocket-Key");
    BOOST_TEST(status_of(r) == 400u);
    r = valid();
    r.headers.set("Sec-WebSocket-Key", "c2hvcnQ=");
    BOOST_TEST(status_of(r) == 400u);

    ws::session_options origins;
    origins.allowed_origins = {"https://chat.example"};
    r = valid();
    r.headers.add("Origin", "https://evil.example");
    BOOST_TEST(status_of(r, origins) == 403u);
    r.headers.set("Origin", "https://chat.example");
    BOOST_TEST(status_of(r, origins) == 101u);
    // A second Origin line is checked too, whatever the order.
    r.headers.add("Origin", "https://evil.example");
    BOOST_TEST(status_of(r, origins) == 403u);
}

BOOST_AUTO_TEST_CASE(subprotocol_is_the_servers_first_choice_among_those_offered)
{
    ws::session_options options;
    options.subprotocols = {"parley.v2", "parley.v1"};
    auto r = http::request();
    r.headers.add("Upgrade", "websocket");
    r.headers.add("Connection", "Upgrade");
    r.headers.add("Sec-WebSocket-Version", "13");
    r.headers.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    r.headers.add("Sec-WebSocket-Protocol", "chat, parley.v1");
    r.headers.add("Sec-WebSocket-Protocol", "parley.v2");
    BOOST_TEST(ws::detail::upgrade_response(r, options)
                   .headers.get("Sec-WebSocket-Protocol")
                   .value_or("") == "parley.v2");
    r.headers.set("Sec-WebSocket-Protocol", "chat");
    BOOST_TEST(
        !ws::detail::upgrade_response(r, options).headers.contains("Sec-WebSocket-Protocol"));

    echo_server s(options);
    run_coro([&]() -> net::awaitable<void> {
        ws::client_options co;
        co.subprotocols = {"chat", "parley.v1"};
        auto c = co_await connect(s.server.port(), co);
        BOOST_TEST(c.subprotocol() == "parley.v1");
        co_await c.close();
    });
    BOOST_TEST_REQUIRE(s.rec->wait([](recorder& r) { return r.opens == 1; }));
    BOOST_TEST(s.rec->subprotocols.at(0) == "parley.v1");
}

BOOST_AUTO_TEST_SUITE_END()
