#include "parley/ws/frame.hpp"

#include "parley/text/utf8.hpp"
#include "parley/ws/close_code.hpp"

#include <cstdint>

namespace parley::ws {

namespace {

// Server frames are unmasked and final: header (2, 4 or 10 bytes) followed by the payload.
std::shared_ptr<std::string const> encode(std::uint8_t opcode, std::string_view head,
                                          std::string_view payload)
{
    std::size_t const length = head.size() + payload.size();
    std::size_t const header = length < 126 ? 2 : length <= 0xffff ? 4 : 10;
    auto wire = std::make_shared<std::string>(header + length, '\0');
    auto* p = reinterpret_cast<unsigned char*>(wire->data());
    p[0] = 0x80 | opcode;
    if (header == 2) {
        p[1] = static_cast<unsigned char>(length);
    } else if (header == 4) {
        p[1] = 126;
        p[2] = static_cast<unsigned char>(length >> 8);
        p[3] = static_cast<unsigned char>(length);
    } else {
        p[1] = 127;
        for (int i = 0; i < 8; ++i)
            p[2 + i] =
                static_cast<unsigned char>(static_cast<std::uint64_t>(length) >> (56 - 8 * i));
    }
    char* out = wire->data() + header;
    if (!head.empty())
        out = std::copy(head.begin(), head.end(), out);
    if (!payload.empty())
        std::copy(payload.begin(), payload.end(), out);
    return wire;
}

// Control frame payloads are limited to 125 bytes.
std::string_view control_payload(std::string_view payload)
{
    return payload.substr(0, 125);
}

} // namespace

frame frame::encoded(std::string_view wire)
{
    return frame(std::make_shared<std::string const>(wire));
}

frame frame::text(std::string_view payload)
{
    return frame(encode(0x1, {}, payload));
}

frame frame::ping(std::string_view payload)
{
    return frame(encode(0x9, {}, control_payload(payload)));
}

frame frame::pong(std::string_view payload)
{
    return frame(encode(0xA, {}, control_payload(payload)));
}

frame frame::close(std::uint16_t code, std::string_view reason)
{
    char const head[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    // The reason must stay valid UTF-8 after truncation: cut at a code point boundary.
    reason = text::truncate_utf8(reason, 123);
    return frame(encode(0x8, std::string_view(head, 2), reason));
}

std::string_view to_string(close_code code)
{
    switch (code) {
    case close_code::none:
        return "none";
    case close_code::normal:
        return "normal";
    case close_code::going_away:
        return "going_away";
    case close_code::protocol_error:
        return "protocol_error";
    case close_code::unsupported_data:
        return "unsupported_data";
    case close_code::invalid_payload:
        return "invalid_payload";
    case close_code::policy_violation:
        return "policy_violation";
    case close_code::message_too_big:
        return "message_too_big";
    case close_code::internal_error:
        return "internal_error";
    case close_code::try_again_later:
        return "try_again_later";
    case close_code::unauthorized:
        return "unauthorized";
    case close_code::rate_limited:
        return "rate_limited";
    case close_code::slow_consumer:
        return "slow_consumer";
    }
    return "unknown";
}

} // namespace parley::ws
