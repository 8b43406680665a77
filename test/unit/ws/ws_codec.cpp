// The frame parser, encoders, UTF-8 validation and handshake helpers, without sockets.
#include "parley/text/utf8.hpp"
#include "parley/ws/frame.hpp"
#include "ws/codec.hpp"
#include "ws/handshake.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using namespace parley;
using ws::detail::frame_parser;
using ws::detail::opcode;
using ws::detail::parse_event;
using ws::detail::role;

namespace {

std::string masked(opcode op, std::string_view payload, bool fin = true)
{
    std::string out;
    ws::detail::append_masked_frame(out, op, payload, 0xa1b2c3d4u);
    if (!fin)
        out[0] = static_cast<char>(out[0] & 0x7f);
    return out;
}

struct event {
    parse_event type;
    std::string data;
    ws::close_code code = ws::close_code::none;
};

// Feeds `bytes` in chunks of `step` and collects every event up to the first error.
std::vector<event> feed(frame_parser& p, std::string_view bytes, std::size_t step)
{
    std::vector<event> events;
    while (!bytes.empty()) {
        auto chunk = bytes.substr(0, step);
        bytes.remove_prefix(chunk.size());
        while (!chunk.empty()) {
            std::size_t used = 0;
            auto const e = p.parse(chunk, used);
            chunk.remove_prefix(used);
            switch (e) {
            case parse_event::need_more:
                break;
            case parse_event::text:
                events.push_back({e, std::string(p.message())});
                break;
            case parse_event::ping:
            case parse_event::pong:
                events.push_back({e, std::string(p.control_payload())});
                break;
            case parse_event::close:
                events.push_back({e, std::string(p.close_reason()), p.received_close_code()});
                break;
            case parse_event::error:
                events.push_back({e, std::string(p.error_reason()), p.error_code()});
                return events;
            }
        }
    }
    return events;
}

// The close code the server parser fails with on `bytes` (none if it does not fail).
ws::close_code server_error(std::string_view bytes, std::size_t max = 1024)
{
    frame_parser p(role::server, max);
    auto const events = feed(p, bytes, bytes.size());
    if (!events.empty() && events.back().type == parse_event::error)
        return events.back().code;
    return ws::close_code::none;
}

std::string close_payload(std::uint16_t code, std::string_view reason = {})
{
    std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    return p.append(reason);
}

} // namespace

BOOST_AUTO_TEST_SUITE(ws_codec)

BOOST_AUTO_TEST_CASE(parser_handles_input_one_byte_at_a_time)
{
    // A fragmented message whose fragments split "é" (C3 A9) and "€" (E2 82 AC), with a ping
    // between the fragments, then a plain message and a close.
    std::string wire = masked(opcode::text, "caf\xC3", false);
    wire += masked(opcode::ping, "p1");
    wire += masked(opcode::continuation, "\xA9 \xE2\x82", false);
    wire += masked(opcode::continuation, "\xAC!");
    wire += masked(opcode::text, "hello");
    wire += masked(opcode::close, close_payload(1000, "bye"));
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, wire.size()}) {
        frame_parser p(role::server, 1024);
        auto const events = feed(p, wire, step);
        BOOST_TEST_CONTEXT("step " << step)
        {
            BOOST_TEST_REQUIRE(events.size() == 4u);
            BOOST_TEST((events[0].type == parse_event::ping));
            BOOST_TEST(events[0].data == "p1");
            BOOST_TEST((events[1].type == parse_event::text));
            BOOST_TEST(events[1].data == "caf\xC3\xA9 \xE2\x82\xAC!");
            BOOST_TEST((events[2].type == parse_event::text));
            BOOST_TEST(events[2].data == "hello");
            BOOST_TEST((events[3].type == parse_event::close));
            BOOST_TEST((events[3].code == ws::close_code::normal));
            BOOST_TEST(events[3].data == "bye");
        }
    }
}

BOOST_AUTO_TEST_CASE(server_frames_round_trip_through_a_client_parser_at_every_length_class)
{
    for (std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 200000u}) {
        std::string payload(size, 'x');
        for (std::size_t i = 0; i < size; ++i)
            payload[i] = static_cast<char>('a' + i % 26);
        auto const f = ws::frame::text(payload);
        std::size_t const header = size < 126 ? 2 : size <= 65535 ? 4 : 10;
        BOOST_TEST(f.size() == header + size);
        BOOST_TEST(static_cast<unsigned char>(f.wire()[0]) == 0x81u);       // FIN + text
        BOOST_TEST((static_cast<unsigned char>(f.wire()[1]) & 0x80) == 0u); // unmasked
        frame_parser p(role::client, 1 << 20);
        auto const events = feed(p, f.wire(), size < 1000 ? 1 : 4096);
        BOOST_TEST_REQUIRE(events.size() == 1u);
        BOOST_TEST(events[0].data == payload);
    }
}

BOOST_AUTO_TEST_CASE(masked_client_frames_round_trip_through_a_server_parser)
{
    std::string const payload(70000, 'z');
    frame_parser p(role::server, 1 << 20);
    auto const events = feed(p, masked(opcode::text, payload), 777);
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].data == payload);
}

BOOST_AUTO_TEST_CASE(control_frame_encoders)
{
    auto const ping = ws::frame::ping("abc");
    BOOST_TEST(ping.wire() == std::string_view("\x89\x03"
                                               "abc",
                                               5));
    auto const pong = ws::frame::pong(std::string(300, 'p')); // truncated to the 125-byte limit
    BOOST_TEST(pong.size() == 127u);
    BOOST_TEST(static_cast<unsigned char>(pong.wire()[0]) == 0x8Au);
    auto const close = ws::frame::close(4008, "slow consumer");
    BOOST_TEST(close.wire() == std::string_view("\x88\x0f\x0f\xa8slow consumer", 17));

    // A long reason is cut to fit 125 bytes without splitting a code point.
    std::string reason;
    for (int i = 0; i < 100; ++i)
        reason += "\xC3\xA9"; // é
    auto const long_close = ws::frame::close(1000, reason);
    BOOST_TEST(long_close.size() <= 127u);
    frame_parser p(role::client, 1024);
    auto const events = feed(p, long_close.wire(), 1);
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST((events[0].type == parse_event::close));
    BOOST_TEST(events[0].data.size() == 122u);
    BOOST_TEST(text::valid_utf8(events[0].data));
    BOOST_TEST(!ws::frame());
}

BOOST_AUTO_TEST_CASE(close_code_names)
{
    BOOST_TEST(ws::to_string(ws::close_code::slow_consumer) == "slow_consumer");
    BOOST_TEST(ws::to_string(ws::close_code::going_away) == "going_away");
    BOOST_TEST(ws::to_string(static_cast<ws::close_code>(1234)) == "unknown");
}

BOOST_AUTO_TEST_CASE(protocol_violations_fail_with_1002)
{
    using ws::close_code;
    BOOST_TEST(
        (server_error(std::string(ws::frame::text("hi").wire())) == close_code::protocol_error));
    std::string rsv = masked(opcode::text, "hi");
    rsv[0] = static_cast<char>(rsv[0] | 0x40);
    BOOST_TEST((server_error(rsv) == close_code::protocol_error));
    std::string bad_opcode = masked(opcode::text, "hi");
    bad_opcode[0] = static_cast<char>(0x83);
    BOOST_TEST((server_error(bad_opcode) == close_code::protocol_error));
    bad_opcode[0] = static_cast<char>(0x8B);
    BOOST_TEST((server_error(bad_opcode) == close_code::protocol_error));
    BOOST_TEST((server_error(masked(opcode::ping, "x", false)) == close_code::protocol_error));
    BOOST_TEST(
        (server_error(masked(opcode::ping, std::string(126, 'x'))) == close_code::protocol_error));
    BOOST_TEST((server_error(masked(opcode::continuation, "x")) == close_code::protocol_error));
    BOOST_TEST((server_error(masked(opcode::text, "a", false) + masked(opcode::text, "b")) ==
                close_code::protocol_error));
    // 64-bit length with the top bit set.
    std::string const huge("\x81\xFF\x80\x00\x00\x00\x00\x00\x00\x01"
                           "abcd",
                           14);
    BOOST_TEST((server_error(huge, std::size_t(-1)) == close_code::protocol_error));
    // A client-role parser refuses masked frames.
    frame_parser client(role::client, 1024);
    auto const events = feed(client, masked(opcode::text, "hi"), 1);
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST((events[0].code == close_code::protocol_error));
}

BOOST_AUTO_TEST_CASE(close_frame_payloads_are_validated)
{
    using ws::close_code;
    BOOST_TEST((server_error(masked(opcode::close, "x")) == close_code::protocol_error));
    for (std::uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
        BOOST_TEST(
            (server_error(masked(opcode::close, close_payload(bad))) == close_code::protocol_error),
            "code " << bad);
    // Like text that is not UTF-8 (issue 13's conformance list; Autobahn 7.5.1).
    BOOST_TEST((server_error(masked(opcode::close, close_payload(1000, "\xC3"))) ==
                close_code::invalid_payload));

    frame_parser p(role::server, 1024);
    auto events = feed(p, masked(opcode::close, ""), 1);
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST((events[0].type == parse_event::close));
    BOOST_TEST((events[0].code == close_code::none));
    frame_parser q(role::server, 1024);
    events = feed(q, masked(opcode::close, close_payload(4001, "expired")), 2);
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST((events[0].code == close_code::unauthorized));
    BOOST_TEST(events[0].data == "expired");
}

BOOST_AUTO_TEST_CASE(binary_messages_fail_with_1003)
{
    BOOST_TEST(
        (server_error(masked(opcode::binary, "\x01\x02")) == ws::close_code::unsupported_data));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_fails_with_1007)
{
    BOOST_TEST(
        (server_error(masked(opcode::text, "ok \xED\xA0\x80")) == ws::close_code::invalid_payload));
    // Truncated at the end of the final fragment.
    BOOST_TEST((server_error(masked(opcode::text, "ok", false) +
                             masked(opcode::continuation, "\xE2\x82")) ==
                ws::close_code::invalid_payload));
}

BOOST_AUTO_TEST_CASE(oversized_messages_fail_with_1009_from_the_header_alone)
{
    // Only the header of a 2000-byte frame: the parser fails before any payload arrives.
    std::string const wire = masked(opcode::text, std::string(2000, 'x')).substr(0, 8);
    frame_parser p(role::server, 1000);
    auto const events = feed(p, wire, 1);
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST((events[0].code == ws::close_code::message_too_big));
    BOOST_TEST(p.buffered_message_bytes() == 0u);

    // The sum of fragments counts.
    std::string const fragments = masked(opcode::text, std::string(600, 'a'), false) +
                                  masked(opcode::continuation, std::string(600, 'b'));
    BOOST_TEST((server_error(fragments, 1000) == ws::close_code::message_too_big));
    // Exactly the limit is fine.
    frame_parser exact(role::server, 1000);
    auto const ok = feed(exact, masked(opcode::text, std::string(1000, 'a')), 100);
    BOOST_TEST_REQUIRE(ok.size() == 1u);
    BOOST_TEST((ok[0].type == parse_event::text));
}

BOOST_AUTO_TEST_CASE(parser_stays_failed_after_an_error)
{
    frame_parser p(role::server, 1024);
    std::size_t used = 0;
    auto const bad = masked(opcode::binary, "x");
    BOOST_TEST((p.parse(bad, used) == parse_event::error));
    BOOST_TEST(p.failed());
    used = 0;
    BOOST_TEST((p.parse(masked(opcode::text, "fine"), used) == parse_event::error));
}

BOOST_AUTO_TEST_CASE(accept_key_matches_rfc_6455_example)
{
    BOOST_TEST(ws::detail::accept_key("dGhlIHNhbXBsZSBub25jZQ==") ==
               "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    BOOST_TEST(ws::detail::valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    BOOST_TEST(!ws::detail::valid_key("dGhlIHNhbXBsZSBub25jZQ"));   // no padding
    BOOST_TEST(!ws::detail::valid_key("c2hvcnQ="));                 // 5 bytes
    BOOST_TEST(!ws::detail::valid_key("dGhlIHNhbXBsZSBub25j!Q==")); // not base64
    BOOST_TEST(ws::detail::has_token("keep-alive, Upgrade", "upgrade"));
    BOOST_TEST(!ws::detail::has_token("keep-alive, upgrades", "upgrade"));
}

BOOST_AUTO_TEST_SUITE_END()
