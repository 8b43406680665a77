// WebSocket close codes Parley sends (RFC 6455 section 7.4 plus application codes 4000-4999).
#pragma once

#include <cstdint>
#include <string_view>

namespace parley::ws {

enum class close_code : std::uint16_t {
    none = 0,                // no close frame was received (the connection just dropped)
    normal = 1000,           // orderly close
    going_away = 1001,       // server shutting down, or idle timeout
    protocol_error = 1002,   // malformed frame, unmasked client frame, bad opcode ...
    unsupported_data = 1003, // a binary message where only text is accepted
    invalid_payload = 1007,  // text that is not valid UTF-8
    policy_violation = 1008, // e.g. a forbidden Origin
    message_too_big = 1009,  // message over max_message_bytes
    internal_error = 1011,   // a bug on the server side
    try_again_later = 1013,  // server overloaded
    unauthorized = 4001,     // missing, invalid or expired token
    rate_limited = 4029,     // client sent faster than allowed for too long
    slow_consumer = 4008,    // the outbound queue overflowed: the client reads too slowly
};

std::string_view to_string(close_code code);

} // namespace parley::ws
