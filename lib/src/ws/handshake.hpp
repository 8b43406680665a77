// The HTTP side of the WebSocket opening handshake (RFC 6455 section 4), shared by server and
// client.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace parley::ws::detail {

// base64(SHA-1(key + RFC 6455 GUID)): the Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
std::string accept_key(std::string_view key);
// A Sec-WebSocket-Key must be the base64 encoding of exactly 16 bytes.
bool valid_key(std::string_view key) noexcept;
std::string base64_encode(std::string_view bytes);

// Calls f(token) for each comma-separated token of a header value, trimmed of spaces and tabs;
// stops when f returns true and returns true then.
bool for_each_token(std::string_view list, std::function<bool(std::string_view)> const& f);
// A comma-separated header value contains `token` (case-insensitive).
bool has_token(std::string_view list, std::string_view token);

} // namespace parley::ws::detail
