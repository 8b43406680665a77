// Fuzz target: the WebSocket frame decoder (lib/src/ws/codec.hpp frame_parser) in both roles,
// on arbitrary bytes split into arbitrary chunks (a session gets whatever read_some returns).
//
// Input: byte 0 = role (bit 0: client) and chunking seed, byte 1 = max_message_bytes selector,
// the rest = the byte stream. Checks, beyond "no crash, no sanitizer report":
//   - parsing the stream whole and in small chunks gives the same events (incremental parsing
//     must not depend on where reads end);
//   - consumed bytes never exceed the input, need_more means everything was used;
//   - a text message is valid UTF-8 and within max_message_bytes; control payloads <= 125;
//   - a received close code is one a peer may send, its reason valid UTF-8;
//   - an error carries 1002, 1003, 1007 or 1009, and the parser stays failed;
//   - every text message re-encoded by the other side's encoder parses back to itself.
#include "check.hpp"
#include "parley/text/utf8.hpp"
#include "parley/ws/frame.hpp"
#include "ws/codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace parley;
using ws::detail::frame_parser;
using ws::detail::parse_event;
using ws::detail::role;

namespace {

struct event {
    parse_event type;
    std::string data;
    std::uint16_t code = 0;
    bool operator==(event const&) const = default;
};

void check_event(frame_parser const& p, parse_event e, std::size_t max_message_bytes)
{
    switch (e) {
    case parse_event::need_more:
        break;
    case parse_event::text:
        PARLEY_FUZZ_CHECK(p.message().size() <= max_message_bytes);
        PARLEY_FUZZ_CHECK(text::valid_utf8(p.message()));
        break;
    case parse_event::ping:
    case parse_event::pong:
        PARLEY_FUZZ_CHECK(p.control_payload().size() <= 125);
        break;
    case parse_event::close: {
        PARLEY_FUZZ_CHECK(p.control_payload().size() <= 125);
        auto const code = static_cast<std::uint16_t>(p.received_close_code());
        PARLEY_FUZZ_CHECK(code == 0 || ws::detail::valid_close_code(code));
        PARLEY_FUZZ_CHECK(text::valid_utf8(p.close_reason()));
        break;
    }
    case parse_event::error: {
        auto const code = p.error_code();
        PARLEY_FUZZ_CHECK(
            code == ws::close_code::protocol_error || code == ws::close_code::unsupported_data ||
            code == ws::close_code::invalid_payload || code == ws::close_code::message_too_big);
        PARLEY_FUZZ_CHECK(p.failed());
        break;
    }
    }
}

event record(frame_parser const& p, parse_event e)
{
    switch (e) {
    case parse_event::text:
        return {e, std::string(p.message())};
    case parse_event::ping:
    case parse_event::pong:
        return {e, std::string(p.control_payload())};
    case parse_event::close:
        return {e, std::string(p.control_payload()),
                static_cast<std::uint16_t>(p.received_close_code())};
    case parse_event::error:
        return {e, {}, static_cast<std::uint16_t>(p.error_code())};
    case parse_event::need_more:
        break;
    }
    return {e, {}, 0};
}

// Feeds `stream` in chunks whose sizes come from `seed` (0: all at once) and collects events up
// to the first error or close.
std::vector<event> parse_all(role r, std::size_t max, std::string_view stream, unsigned seed)
{
    frame_parser p(r, max);
    std::vector<event> events;
    unsigned state = seed * 2654435761u + 1;
    while (!stream.empty()) {
        std::size_t step = stream.size();
        if (seed != 0) {
            state = state * 1103515245u + 12345u;
            step = 1 + (state >> 16) % 17;
        }
        auto chunk = stream.substr(0, step);
        stream.remove_prefix(chunk.size());
        while (!chunk.empty()) {
            std::size_t used = 0;
            auto const e = p.parse(chunk, used);
            PARLEY_FUZZ_CHECK(used <= chunk.size());
            if (e == parse_event::need_more)
                PARLEY_FUZZ_CHECK(used == chunk.size());
            chunk.remove_prefix(used);
            check_event(p, e, max);
            if (e == parse_event::need_more)
                continue;
            events.push_back(record(p, e));
            if (e == parse_event::error) {
                std::size_t again = 0;
                PARLEY_FUZZ_CHECK(p.parse("x", again) == parse_event::error);
                return events;
            }
            if (e == parse_event::close)
                return events; // a session stops reading here
        }
    }
    return events;
}

// A text message sent by the other role parses back to itself.
void check_round_trip(role r, std::string const& message, std::size_t max)
{
    std::string wire;
    if (r == role::server) {
        ws::detail::append_masked_frame(wire, ws::detail::opcode::text, message, 0x1234abcdu);
    } else {
        wire = std::string(ws::frame::text(message).wire());
    }
    frame_parser p(r, max);
    std::size_t used = 0;
    auto const e = p.parse(wire, used);
    PARLEY_FUZZ_CHECK(e == parse_event::text);
    PARLEY_FUZZ_CHECK(used == wire.size());
    PARLEY_FUZZ_CHECK(p.message() == message);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size < 2)
        return 0;
    auto const r = (data[0] & 1) ? role::client : role::server;
    unsigned const seed = data[0] >> 1;
    static constexpr std::size_t limits[] = {0, 1, 16, 125, 126, 1024, 65535, 65536};
    std::size_t const max = limits[data[1] % 8];
    std::string_view const stream(reinterpret_cast<char const*>(data + 2), size - 2);

    auto const whole = parse_all(r, max, stream, 0);
    auto const pieces = parse_all(r, max, stream, seed | 1);
    PARLEY_FUZZ_CHECK(whole == pieces);

    for (auto const& e : whole)
        if (e.type == parse_event::text)
            check_round_trip(r, e.data, max);
    return 0;
}
