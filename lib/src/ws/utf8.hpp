// Incremental UTF-8 validation (RFC 3629): rejects overlong forms, surrogates, code points past
// U+10FFFF and truncated sequences. Input may be split anywhere, even inside a code point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace parley::ws::detail {

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

inline bool valid_utf8(std::string_view s) noexcept
{
    utf8_validator v;
    return v.feed(s) && v.complete();
}

// The longest prefix of `s` of at most `max_bytes` that does not cut a code point in two.
std::string_view truncate_utf8(std::string_view s, std::size_t max_bytes) noexcept;

} // namespace parley::ws::detail
