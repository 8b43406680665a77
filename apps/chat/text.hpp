// Small text rules shared by the HTTP handlers and the WebSocket protocol.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::chat {

// The number of characters (code points) when `s` is valid UTF-8 (no overlong forms, no
// surrogates, nothing past U+10FFFF), else nothing.
std::optional<std::size_t> utf8_length(std::string_view s);

// True when `s` holds nothing but ASCII white space.
bool is_blank(std::string_view s);

// True when `s` holds a control character: C0 (U+0000-U+001F, NUL included), DEL, or C1
// (U+0080-U+009F). Names and ids must be printable.
bool has_control_characters(std::string_view s);

// The same, except that newline and tab are allowed: the rule for message content and room
// descriptions (text that may span lines). `s` must be valid UTF-8.
bool has_control_characters_in_text(std::string_view s);

// Now as ISO 8601 UTC with milliseconds: "2026-11-26T09:41:07.123Z".
std::string iso_now();

} // namespace parley::chat
