// UTF-8 and the text rules every service checks input with, written once.
//
//   if (!text::utf8_length(name) || *text::utf8_length(name) > 100) ...   // code points
//   text::utf8_validator v; v.feed(part1); v.feed(part2); v.complete();   // split anywhere
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::text {

// Incremental validation (RFC 3629): rejects overlong forms, surrogates, code points past
// U+10FFFF and truncated sequences. Input may be split anywhere, even inside a code point.
class utf8_validator {
public:
    // False as soon as the bytes so far cannot be the start of valid UTF-8.
    bool feed(std::string_view bytes) noexcept;
    // True when no code point is left half-finished.
    bool complete() const noexcept { return needed_ == 0; }
    void reset() noexcept { needed_ = 0, low_ = 0x80, high_ = 0xBF; }

private:
    std::uint8_t needed_ = 0; // continuation bytes still expected
    std::uint8_t low_ = 0x80; // allowed range of the next continuation byte
    std::uint8_t high_ = 0xBF;
};

bool valid_utf8(std::string_view s) noexcept;

// The number of code points when `s` is valid UTF-8, else nothing.
std::optional<std::size_t> utf8_length(std::string_view s) noexcept;

// The length of the valid UTF-8 sequence that starts at s[i], or 0 when it is invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

// The longest prefix of `s` of at most `max_bytes` that does not cut a code point in two.
std::string_view truncate_utf8(std::string_view s, std::size_t max_bytes) noexcept;

// Nothing but ASCII white space.
bool is_blank(std::string_view s) noexcept;

// A control character: C0 (U+0000-U+001F, NUL included), DEL, or C1 (U+0080-U+009F, in UTF-8
// 0xC2 0x80-0x9F). Names and identifiers must be printable.
bool has_control_characters(std::string_view s) noexcept;

// The same except newline and tab: the rule for text that may span lines (message content, room
// descriptions, bios).
bool has_control_characters_in_text(std::string_view s) noexcept;

} // namespace parley::text
