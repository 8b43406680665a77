// WebSocket conformance: the case groups of the Autobahn test suite (its numbers in brackets),
// written as raw bytes to a real server (the suite itself needs Python 2, which Debian 12 lacks).
// Shared by test/integration/chat/chat_conformance.cpp (the chat service directly) and
// test/integration/gateway/gateway_conformance.cpp (the same service through the gateway), so
// that both are held to the same cases; the results are in docs/conformance.md.
//
// The server speaks the chat protocol: a text message gets an answer only when it is a valid
// chat frame, so "the message arrived whole" is checked with {"type":"ping",...} and its
// {"type":"pong"} reply (padded or split as the case needs). Each connection authenticates as a
// user of its own, so that no per-user limit carries over between cases.
//
// "Then the TCP close" means: after its close frame the server sends FIN (the read side sees
// the end of the stream), without waiting for the client.
#pragma once

#include "support/raw_ws.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::test::conformance {

using op = raw_ws::opcode;

struct endpoint {
    std::uint16_t port = 0;
    std::function<std::string(std::int64_t user_id)> token; // signs a token the chat accepts
    raw_ws::headers headers;
};

inline std::string f(std::uint8_t code, std::string_view payload = {}, bool fin = true,
                     std::uint8_t rsv = 0)
{
    return raw_ws::frame(code, payload, {.fin = fin, .masked = true, .rsv = rsv});
}

// {"type":"ping","pad":"xx…"} of exactly `bytes` bytes (>= 24).
inline std::string ping_of_size(std::size_t bytes)
{
    std::string const head = R"({"type":"ping","pad":")";
    std::string const tail = R"("})";
    return head + std::string(bytes - head.size() - tail.size(), 'x') + tail;
}

inline std::string const chat_ping = R"({"type":"ping"})";

inline std::string describe_close(raw_ws const& c)
{
    if (!c.last_close())
        return c.timed_out() ? "timed out" : "connection ended without a close frame";
    return "close " + std::to_string(c.last_close()->close_code());
}

// A new connection, authenticated (the server's `connected` frame read).
inline std::unique_ptr<raw_ws> open(endpoint const& ep)
{
    static std::atomic<std::int64_t> next_user{1000};
    auto c = std::make_unique<raw_ws>(ep.port, "/ws", ep.headers);
    auto const user = next_user.fetch_add(1);
    auto const auth = R"({"type":"auth","token":")" + ep.token(user) + R"("})";
    BOOST_TEST_REQUIRE(c->write(f(op::text, auth)));
    auto hello = c->read_text();
    BOOST_TEST_REQUIRE(hello.has_value(), "no connected frame: " << describe_close(*c));
    BOOST_TEST_REQUIRE(hello->find(R"("type":"connected")") != std::string::npos, *hello);
    return c;
}

// The next text message is the chat's pong (control frames before it are collected). Not
// fatal: the case goes on (a close frame that came instead is kept for read_close_code).
inline bool expect_chat_pong(raw_ws& c, std::vector<raw_ws::received>* control = nullptr)
{
    auto reply = c.read_text(control);
    BOOST_TEST(reply.has_value(), "no reply: " << describe_close(c));
    if (!reply)
        return false;
    BOOST_TEST(reply->find(R"("type":"pong")") != std::string::npos, *reply);
    return true;
}

// The server closes with `code` (text and control frames before it are skipped), then FIN.
inline void expect_close(raw_ws& c, int code)
{
    int const got = c.read_close_code();
    BOOST_TEST(got == code, "expected close " << code << ", got " << got
                                              << (c.timed_out() ? " (timed out)" : ""));
    if (got >= 0)
        BOOST_TEST(c.read_eof(), "no TCP close after the close frame");
}

// Fails the connection with `code` on `bytes` (written at once, or one byte per write).
inline void expect_failure(endpoint const& ep, std::string const& bytes, int code,
                           bool bytewise = false)
{
    auto c = open(ep);
    BOOST_TEST_REQUIRE((bytewise ? c->write_bytewise(bytes) : c->write(bytes)));
    expect_close(*c, code);
}

// The pongs among `frames`, in order.
inline std::vector<std::string> pongs(std::vector<raw_ws::received> const& frames)
{
    std::vector<std::string> out;
    for (auto const& fr : frames)
        if (fr.op == op::pong)
            out.push_back(fr.payload);
    return out;
}

// ---------------------------------------------------------------------------------------------
// 1 Framing: payload lengths around the 7/16/64-bit length encodings, 1-byte writes.

inline void framing(endpoint const& ep)
{
    for (std::size_t size : {125u, 126u, 127u, 128u, 65535u, 65536u}) {
        BOOST_TEST_CONTEXT("[1.1] text message of " << size << " bytes")
        {
            auto c = open(ep);
            BOOST_TEST_REQUIRE(c->write(f(op::text, ping_of_size(size))));
            expect_chat_pong(*c);
        }
    }
    BOOST_TEST_CONTEXT("[1.1.1] empty text message: answered (not JSON), connection stays")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::text, "")));
        auto reply = c->read_text();
        BOOST_TEST_REQUIRE(reply.has_value(), describe_close(*c));
        BOOST_TEST(reply->find(R"("code":"bad_request")") != std::string::npos, *reply);
        BOOST_TEST_REQUIRE(c->write(f(op::text, chat_ping)));
        expect_chat_pong(*c);
    }
    BOOST_TEST_CONTEXT("[1.1.8] 1-byte writes of a 300-byte message (16-bit length)")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write_bytewise(f(op::text, ping_of_size(300))));
        expect_chat_pong(*c);
    }
    BOOST_TEST_CONTEXT("two messages in one write are both answered, in order")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::text, chat_ping) + f(op::text, ping_of_size(200))));
        expect_chat_pong(*c);
        expect_chat_pong(*c);
    }
    BOOST_TEST_CONTEXT("[1.2] binary message: 1003 (the chat protocol is text only)")
    {
        expect_failure(ep, f(op::binary, "\x01\x02\x03"), 1003);
    }
}

// ---------------------------------------------------------------------------------------------
// 2 Pings and pongs.

inline void pings(endpoint const& ep)
{
    auto ping_echoed = [&](std::string const& payload, bool bytewise) {
        auto c = open(ep);
        auto const bytes = f(op::ping, payload) + f(op::text, chat_ping);
        BOOST_TEST_REQUIRE((bytewise ? c->write_bytewise(bytes) : c->write(bytes)));
        std::vector<raw_ws::received> control;
        expect_chat_pong(*c, &control);
        BOOST_TEST_REQUIRE(pongs(control).size() == 1u);
        BOOST_TEST(pongs(control)[0] == payload);
    };
    BOOST_TEST_CONTEXT("[2.1] ping without payload: empty pong")
    {
        ping_echoed("", false);
    }
    BOOST_TEST_CONTEXT("[2.2] ping with text payload: echoed")
    {
        ping_echoed("Hello, world!", false);
    }
    BOOST_TEST_CONTEXT("[2.3] ping with binary payload: echoed")
    {
        ping_echoed(std::string("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8), false);
    }
    BOOST_TEST_CONTEXT("[2.4] ping with 125-byte payload: echoed")
    {
        ping_echoed(std::string(125, '\xfe'), false);
    }
    BOOST_TEST_CONTEXT("[2.6] ping with 125-byte payload in 1-byte writes: echoed")
    {
        ping_echoed(std::string(125, 'p'), true);
    }
    BOOST_TEST_CONTEXT("[2.5] ping with 126-byte payload: 1002")
    {
        expect_failure(ep, f(op::ping, std::string(126, 'x')), 1002);
    }
    BOOST_TEST_CONTEXT("[2.7, 2.8] unsolicited pongs are ignored")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::pong) + f(op::pong, "unsolicited pong payload") +
                                    f(op::text, chat_ping)));
        std::vector<raw_ws::received> control;
        expect_chat_pong(*c, &control);
        BOOST_TEST(pongs(control).empty());
    }
    BOOST_TEST_CONTEXT("[2.9] unsolicited pong, then ping: the ping's pong")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::pong, "unsolicited") + f(op::ping, "ping payload") +
                                    f(op::text, chat_ping)));
        std::vector<raw_ws::received> control;
        expect_chat_pong(*c, &control);
        BOOST_TEST_REQUIRE(pongs(control).size() == 1u);
        BOOST_TEST(pongs(control)[0] == "ping payload");
    }
}

// ---------------------------------------------------------------------------------------------
// 2.10, 2.11 Several pings before the server could answer. RFC 6455 5.5.3 lets an endpoint answer
// only the most recent of several pings, so a pong for the last one is required, any earlier
// pongs in order.

inline void many_pings(endpoint const& ep)
{
    auto check = [&](int count, bool bytewise) {
        auto c = open(ep);
        std::string bytes;
        for (int i = 0; i < count; ++i)
            bytes += f(op::ping, "payload-" + std::to_string(i));
        bytes += f(op::text, chat_ping);
        BOOST_TEST_REQUIRE((bytewise ? c->write_bytewise(bytes) : c->write(bytes)));
        std::vector<raw_ws::received> control;
        expect_chat_pong(*c, &control);
        auto const got = pongs(control);
        BOOST_TEST_REQUIRE(!got.empty());
        BOOST_TEST(got.back() == "payload-" + std::to_string(count - 1));
        for (std::size_t i = 1; i < got.size(); ++i)
            BOOST_TEST(got[i - 1] < got[i]);
    };
    BOOST_TEST_CONTEXT("[2.10] 10 pings in one write: the last one answered")
    {
        check(10, false);
    }
    // (3, not 10: with 1-byte writes how many pings one read gets depends on the load.)
    BOOST_TEST_CONTEXT("[2.11] 3 pings in 1-byte writes: the last one answered")
    {
        check(3, true);
    }
}

// ---------------------------------------------------------------------------------------------
// 3 Reserved bits (no extension was negotiated: any RSV bit fails the connection).

inline void reserved_bits(endpoint const& ep)
{
    BOOST_TEST_CONTEXT("[3.1] text with RSV1: 1002")
    {
        expect_failure(ep, f(op::text, chat_ping, true, 0x40), 1002);
    }
    BOOST_TEST_CONTEXT("[3.3] valid text, then text with RSV3, in 1-byte writes: 1002")
    {
        expect_failure(ep, f(op::text, chat_ping) + f(op::text, chat_ping, true, 0x10), 1002, true);
    }
    BOOST_TEST_CONTEXT("[3.5] ping with RSV1|RSV3: 1002")
    {
        expect_failure(ep, f(op::ping, "x", true, 0x50), 1002);
    }
    BOOST_TEST_CONTEXT("[3.7] close with all RSV bits: 1002 (not an echo)")
    {
        expect_failure(ep, f(op::close, raw_ws::close_payload(1000), true, 0x70), 1002);
    }
    BOOST_TEST_CONTEXT("a continuation frame with RSV1: 1002")
    {
        expect_failure(
            ep, f(op::text, "{\"type\":", false) + f(op::continuation, "\"ping\"}", true, 0x40),
            1002);
    }
}

// ---------------------------------------------------------------------------------------------
// 4 Opcodes.

inline void opcodes(endpoint const& ep)
{
    for (std::uint8_t code : {0x3, 0x4, 0x5, 0x6, 0x7}) {
        BOOST_TEST_CONTEXT("[4.1] reserved data opcode " << int(code) << ": 1002")
        {
            expect_failure(ep, f(code, "reserved"), 1002);
        }
    }
    for (std::uint8_t code : {0xB, 0xC, 0xD, 0xE, 0xF}) {
        BOOST_TEST_CONTEXT("[4.2] reserved control opcode " << int(code) << ": 1002")
        {
            expect_failure(ep, f(code, "reserved"), 1002);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5 Fragmentation, and control frames interleaved in a fragmented message.

inline void fragmentation(endpoint const& ep)
{
    BOOST_TEST_CONTEXT("[5.1] fragmented ping: 1002")
    {
        expect_failure(ep, f(op::ping, "a", false), 1002);
    }
    BOOST_TEST_CONTEXT("[5.2] fragmented pong: 1002")
    {
        expect_failure(ep, f(op::pong, "a", false), 1002);
    }
    BOOST_TEST_CONTEXT("fragmented close: 1002")
    {
        expect_failure(ep, f(op::close, raw_ws::close_payload(1000), false), 1002);
    }
    for (bool bytewise : {false, true}) {
        BOOST_TEST_CONTEXT((bytewise ? "[5.4]" : "[5.3]")
                           << " text in 2 fragments" << (bytewise ? ", 1-byte writes" : ""))
        {
            auto c = open(ep);
            auto const bytes =
                f(op::text, R"({"type":)", false) + f(op::continuation, R"("ping"})");
            BOOST_TEST_REQUIRE((bytewise ? c->write_bytewise(bytes) : c->write(bytes)));
            expect_chat_pong(*c);
        }
        BOOST_TEST_CONTEXT((bytewise ? "[5.7]" : "[5.6]")
                           << " ping between two fragments: its pong, then the message"
                           << (bytewise ? ", 1-byte writes" : ""))
        {
            auto c = open(ep);
            auto const bytes = f(op::text, R"({"type":)", false) + f(op::ping, "between") +
                               f(op::continuation, R"("ping"})");
            BOOST_TEST_REQUIRE((bytewise ? c->write_bytewise(bytes) : c->write(bytes)));
            std::vector<raw_ws::received> control;
            expect_chat_pong(*c, &control);
            BOOST_TEST_REQUIRE(pongs(control).size() == 1u);
            BOOST_TEST(pongs(control)[0] == "between");
        }
    }
    BOOST_TEST_CONTEXT(
        "[5.19, 5.20] 5 fragments with a ping and a pong between each, 1-byte writes")
    {
        auto c = open(ep);
        std::string const parts[] = {R"({"ty)", R"(pe":)", R"("pi)", R"(ng")", "}"};
        std::string bytes;
        for (int i = 0; i < 5; ++i) {
            bytes += f(i == 0 ? op::text : op::continuation, parts[i], i == 4);
            if (i < 4)
                bytes += f(op::ping, "p" + std::to_string(i)) + f(op::pong, "unsolicited");
        }
        BOOST_TEST_REQUIRE(c->write_bytewise(bytes));
        std::vector<raw_ws::received> control;
        expect_chat_pong(*c, &control);
        std::vector<std::string> const expected{"p0", "p1", "p2", "p3"};
        BOOST_TEST(pongs(control) == expected, boost::test_tools::per_element());
    }
    BOOST_TEST_CONTEXT("a message in 100 fragments (empty ones among them)")
    {
        auto c = open(ep);
        auto const message = ping_of_size(100);
        std::string bytes = f(op::text, "", false);
        for (std::size_t i = 0; i < message.size(); ++i)
            bytes += f(op::continuation, message.substr(i, 1), i + 1 == message.size());
        BOOST_TEST_REQUIRE(c->write(bytes));
        expect_chat_pong(*c);
    }
    BOOST_TEST_CONTEXT("[5.9] continuation without a message (final): 1002")
    {
        expect_failure(ep, f(op::continuation, "x"), 1002);
    }
    BOOST_TEST_CONTEXT("[5.10] continuation without a message (not final): 1002")
    {
        expect_failure(ep, f(op::continuation, "x", false), 1002);
    }
    BOOST_TEST_CONTEXT("[5.18] a new text message inside a fragmented one: 1002")
    {
        expect_failure(ep, f(op::text, "fragment1", false) + f(op::text, "fragment2"), 1002);
    }
}

// ---------------------------------------------------------------------------------------------
// 6 UTF-8 in text messages and close reasons, a code point split across fragments.

inline void utf8(endpoint const& ep)
{
    std::string const emoji = "\xF0\x9F\x98\x80"; // U+1F600, 4 bytes
    std::string const text = R"({"type":"ping","text":"κόσμε € )" + emoji + R"("})";
    BOOST_TEST_CONTEXT("[6.2] valid multi-byte UTF-8 in one frame")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::text, text)));
        expect_chat_pong(*c);
    }
    auto const at = text.find(emoji);
    for (std::size_t cut = 1; cut < 4; ++cut) {
        BOOST_TEST_CONTEXT("[6.2.3] a 4-byte code point split " << cut << "|" << 4 - cut
                                                                << " across fragments")
        {
            auto c = open(ep);
            BOOST_TEST_REQUIRE(c->write(f(op::text, text.substr(0, at + cut), false) +
                                        f(op::continuation, text.substr(at + cut))));
            expect_chat_pong(*c);
        }
    }
    BOOST_TEST_CONTEXT("[6.2.4] valid UTF-8 in 1-byte fragments")
    {
        auto c = open(ep);
        std::string bytes;
        for (std::size_t i = 0; i < text.size(); ++i)
            bytes +=
                f(i == 0 ? op::text : op::continuation, text.substr(i, 1), i + 1 == text.size());
        BOOST_TEST_REQUIRE(c->write(bytes));
        expect_chat_pong(*c);
    }
    struct bad_case {
        char const* name;
        std::string bytes;
    };
    std::vector<bad_case> const invalid{
        {"[6.3] invalid sequence C3 28", "\xC3\x28"},
        {"[6.6] lone continuation byte", "\x80"},
        {"[6.8] bytes FE / FF", "\xFE\xFF"},
        {"[6.10] overlong '/' C0 AF", "\xC0\xAF"},
        {"[6.11] overlong E0 80 AF", "\xE0\x80\xAF"},
        {"[6.18] surrogate U+D800 ED A0 80", "\xED\xA0\x80"},
        {"[6.14] past U+10FFFF F4 90 80 80", "\xF4\x90\x80\x80"},
        {"[6.5] truncated code point at the end of the message", "\xE2\x82"},
    };
    for (auto const& bad : invalid) {
        BOOST_TEST_CONTEXT(bad.name << ": 1007")
        {
            expect_failure(ep, f(op::text, "text then " + bad.bytes), 1007);
        }
    }
    BOOST_TEST_CONTEXT("[6.4] invalid split across fragments (E2 82 | 'a'): 1007")
    {
        expect_failure(ep, f(op::text, "\"\xE2\x82", false) + f(op::continuation, "a\""), 1007);
    }
    BOOST_TEST_CONTEXT("[6.4.1] fail fast: invalid bytes in a first fragment, no final one: 1007")
    {
        expect_failure(ep, f(op::text, "ok so far \xC0\xAF", false), 1007);
    }
    BOOST_TEST_CONTEXT("[6.4.4] fail fast in 1-byte writes")
    {
        expect_failure(ep, f(op::text, "ok \xF4\x90\x80\x80 and more", false), 1007, true);
    }
    BOOST_TEST_CONTEXT("[7.5.1] close reason that is not UTF-8: 1007")
    {
        expect_failure(ep, f(op::close, raw_ws::close_payload(1000, "\xCE\xBA\xE1\xBD")), 1007);
    }
    BOOST_TEST_CONTEXT("close reason of valid multi-byte UTF-8: the code echoed")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::close, raw_ws::close_payload(1000, "κόσμε " + emoji))));
        expect_close(*c, 1000);
    }
}

// ---------------------------------------------------------------------------------------------
// 7 Close frames: payloads, close codes sent by a client, frames after a close.

inline void close_codes(endpoint const& ep)
{
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                     3999, 4000, 4999}) {
        BOOST_TEST_CONTEXT("[7.7] valid close code " << code << ": echoed")
        {
            auto c = open(ep);
            BOOST_TEST_REQUIRE(c->write(
                f(op::close, raw_ws::close_payload(static_cast<std::uint16_t>(code), "ok"))));
            expect_close(*c, code);
        }
    }
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        BOOST_TEST_CONTEXT("[7.9] invalid close code " << code << ": 1002")
        {
            expect_failure(
                ep, f(op::close, raw_ws::close_payload(static_cast<std::uint16_t>(code))), 1002);
        }
    }
}

inline void close_frames(endpoint const& ep)
{
    BOOST_TEST_CONTEXT("[7.3.1] close without payload: answered with 1000 (or empty)")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::close)));
        int const code = c->read_close_code();
        BOOST_TEST((code == 1000 || code == 0), "got " << code);
        BOOST_TEST(c->read_eof());
    }
    BOOST_TEST_CONTEXT("[7.3.2] close with a 1-byte payload: 1002")
    {
        expect_failure(ep, f(op::close, "\x03"), 1002);
    }
    BOOST_TEST_CONTEXT("[7.3.5] close with a 123-byte reason: echoed")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(
            c->write(f(op::close, raw_ws::close_payload(1000, std::string(123, 'r')))));
        expect_close(*c, 1000);
    }
    BOOST_TEST_CONTEXT("[7.3.6] close with a 124-byte reason (126-byte payload): 1002")
    {
        expect_failure(ep, f(op::close, raw_ws::close_payload(1000, std::string(124, 'r'))), 1002);
    }
    BOOST_TEST_CONTEXT(
        "[7.1.2, 7.1.3, 7.1.4] after a close: another close, a ping, a text get nothing")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::close, raw_ws::close_payload(1000)) +
                                    f(op::close, raw_ws::close_payload(1001)) +
                                    f(op::ping, "after close") + f(op::text, chat_ping)));
        std::vector<raw_ws::received> before;
        BOOST_TEST(c->read_close_code(&before) == 1000);
        BOOST_TEST(before.empty());
        BOOST_TEST(c->read_eof(), "nothing but the end of the stream after the close");
    }
    BOOST_TEST_CONTEXT("[7.1.5] close inside a fragmented message: echoed")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(
            c->write(f(op::text, "fragment", false) + f(op::close, raw_ws::close_payload(1000))));
        expect_close(*c, 1000);
    }
}

// ---------------------------------------------------------------------------------------------
// What came before a violation or a close in the same write is answered first: Autobahn expects
// the echo of the earlier message, then the close.

inline void answers_before_a_violation_or_close(endpoint const& ep)
{
    BOOST_TEST_CONTEXT(
        "[3.2] valid text, then text with RSV2, then ping: the text answered, 1002, no pong")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::text, chat_ping) + f(op::text, chat_ping, true, 0x20) +
                                    f(op::ping, "after")));
        expect_chat_pong(*c);
        std::vector<raw_ws::received> before_close;
        BOOST_TEST(c->read_close_code(&before_close) == 1002);
        BOOST_TEST(pongs(before_close).empty(), "nothing is read after the violation");
    }
    BOOST_TEST_CONTEXT("[4.1.3] text, reserved opcode 5, ping: the text answered, 1002, no pong")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::text, chat_ping) + f(0x5, "x") + f(op::ping, "late")));
        std::vector<raw_ws::received> control;
        expect_chat_pong(*c, &control);
        std::vector<raw_ws::received> before_close;
        BOOST_TEST(c->read_close_code(&before_close) == 1002);
        BOOST_TEST(pongs(before_close).empty());
    }
    BOOST_TEST_CONTEXT("[5.15] a message, then an orphan continuation: the message, then 1002")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(
            c->write(f(op::text, R"({"type":)", false) + f(op::continuation, R"("ping"})") +
                     f(op::continuation, "fragment3", false) + f(op::text, "fragment4")));
        expect_chat_pong(*c);
        expect_close(*c, 1002);
    }
    BOOST_TEST_CONTEXT("[7.1.1] text, then close: the text answered, the close echoed")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(
            c->write(f(op::text, chat_ping) + f(op::close, raw_ws::close_payload(1000))));
        expect_chat_pong(*c);
        expect_close(*c, 1000);
    }
}

// ---------------------------------------------------------------------------------------------
// 9 Limits: messages over the server's max_message_bytes (64 KiB by default).

inline void limits(endpoint const& ep, std::size_t max_message_bytes)
{
    BOOST_TEST_CONTEXT("a message of max_message_bytes + 1 in one frame: 1009")
    {
        expect_failure(ep, f(op::text, ping_of_size(max_message_bytes + 1)), 1009);
    }
    BOOST_TEST_CONTEXT("fragments adding up to more than max_message_bytes: 1009")
    {
        std::string const chunk(max_message_bytes / 3 + 1, 'x');
        expect_failure(ep,
                       f(op::text, "\"" + chunk, false) + f(op::continuation, chunk, false) +
                           f(op::continuation, chunk + "\""),
                       1009);
    }
    BOOST_TEST_CONTEXT("a 64-bit length of 2^62 is refused before any payload: 1009")
    {
        std::string header = "\x81\xFF";
        for (int i = 7; i >= 0; --i)
            header += static_cast<char>(i == 7 ? 0x40 : 0);
        header += "\x01\x02\x03\x04";
        expect_failure(ep, header, 1009);
    }
    BOOST_TEST_CONTEXT("a 64-bit length with the high bit set: 1002")
    {
        std::string header = "\x81\xFF\x80";
        header += std::string(7, '\0') + "\x01\x02\x03\x04";
        expect_failure(ep, header, 1002);
    }
}

// ---------------------------------------------------------------------------------------------
// Unmasked client frames (RFC 6455 5.1).

inline void masking(endpoint const& ep)
{
    BOOST_TEST_CONTEXT("unmasked text frame: 1002")
    {
        expect_failure(ep, raw_ws::frame(op::text, chat_ping, {.masked = false}), 1002);
    }
    BOOST_TEST_CONTEXT("unmasked ping: 1002")
    {
        expect_failure(ep, raw_ws::frame(op::ping, "x", {.masked = false}), 1002);
    }
    BOOST_TEST_CONTEXT("unmasked close: 1002")
    {
        expect_failure(ep, raw_ws::frame(op::close, raw_ws::close_payload(1000), {.masked = false}),
                       1002);
    }
    BOOST_TEST_CONTEXT("an unmasked continuation after a masked first fragment: 1002")
    {
        expect_failure(
            ep, f(op::text, "{", false) + raw_ws::frame(op::continuation, "}", {.masked = false}),
            1002);
    }
}

// ---------------------------------------------------------------------------------------------
// The closing handshake, both ways, and the TCP close after it.

inline void close_handshake(endpoint const& ep)
{
    BOOST_TEST_CONTEXT("client-initiated: the close echoed, then the server closes TCP")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::close, raw_ws::close_payload(1000, "bye"))));
        auto reply = c->read_frame();
        BOOST_TEST_REQUIRE(reply.has_value());
        BOOST_TEST(int(reply->op) == int(op::close));
        BOOST_TEST(reply->close_code() == 1000);
        BOOST_TEST(!reply->masked);
        BOOST_TEST(c->read_eof(), "the server must close the TCP connection first");
    }
    BOOST_TEST_CONTEXT("client-initiated in 1-byte writes")
    {
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write_bytewise(f(op::close, raw_ws::close_payload(4000, "done"))));
        expect_close(*c, 4000);
    }
    BOOST_TEST_CONTEXT("server-initiated (4001: the first message is not auth): the client's "
                       "reply, then the TCP close")
    {
        raw_ws c(ep.port, "/ws", ep.headers);
        BOOST_TEST_REQUIRE(c.write(f(op::text, chat_ping)));
        auto close = c.read_frame();
        BOOST_TEST_REQUIRE(close.has_value(), describe_close(c));
        BOOST_TEST(int(close->op) == int(op::close));
        BOOST_TEST(close->close_code() == 4001);
        BOOST_TEST(!close->close_reason().empty());
        BOOST_TEST(c.write(f(op::close, raw_ws::close_payload(4001))));
        BOOST_TEST(c.read_eof(), "the server must close the TCP connection after the handshake");
    }
    BOOST_TEST_CONTEXT("server-initiated, the client half-closes without a close frame")
    {
        raw_ws c(ep.port, "/ws", ep.headers);
        BOOST_TEST_REQUIRE(c.write(f(op::text, chat_ping)));
        BOOST_TEST(c.read_close_code() == 4001);
        c.shutdown_write();
        BOOST_TEST(c.read_eof());
    }
    BOOST_TEST_CONTEXT("the client drops TCP mid-frame: the server goes on serving others")
    {
        {
            auto c = open(ep);
            BOOST_TEST_REQUIRE(c->write(f(op::text, ping_of_size(1000)).substr(0, 500)));
        }
        auto c = open(ep);
        BOOST_TEST_REQUIRE(c->write(f(op::text, chat_ping)));
        expect_chat_pong(*c);
    }
}

// ---------------------------------------------------------------------------------------------
// 12, 13 Compression: not offered, so not negotiated (the RSV1 cases above then apply).

inline void extensions(endpoint const& ep)
{
    BOOST_TEST_CONTEXT("[12, 13] permessage-deflate offered: not accepted")
    {
        auto headers = ep.headers;
        headers.emplace_back("Sec-WebSocket-Extensions",
                             "permessage-deflate; client_max_window_bits");
        raw_ws c(ep.port, "/ws", headers);
        auto const& response = c.handshake_response();
        BOOST_TEST(response.find("Sec-WebSocket-Extensions") == std::string::npos, response);
        BOOST_TEST(response.find("sec-websocket-extensions") == std::string::npos, response);
    }
}

} // namespace parley::test::conformance
