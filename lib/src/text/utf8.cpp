#include "parley/text/utf8.hpp"

#include <cstring>

namespace parley::text {

bool utf8_validator::feed(std::string_view bytes) noexcept
{
    auto const* p = reinterpret_cast<unsigned char const*>(bytes.data());
    auto const* const end = p + bytes.size();
    while (p != end) {
        if (needed_ == 0) {
            // ASCII fast path, eight bytes at a time (chat messages are mostly ASCII JSON).
            while (end - p >= 8) {
                std::uint64_t word;
                std::memcpy(&word, p, 8);
                if (word & 0x8080808080808080ull)
                    break;
                p += 8;
            }
            if (p == end)
                break;
            unsigned char const c = *p++;
            if (c < 0x80)
                continue;
            low_ = 0x80, high_ = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                needed_ = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                needed_ = 2;
                if (c == 0xE0)
                    low_ = 0xA0; // overlong
                else if (c == 0xED)
                    high_ = 0x9F; // surrogates U+D800..U+DFFF
            } else if (c >= 0xF0 && c <= 0xF4) {
                needed_ = 3;
                if (c == 0xF0)
                    low_ = 0x90; // overlong
                else if (c == 0xF4)
                    high_ = 0x8F; // past U+10FFFF
            } else {
                return false; // stray continuation, C0/C1 overlong, F5..FF
            }
        } else {
            unsigned char const c = *p++;
            if (c < low_ || c > high_)
                return false;
            low_ = 0x80, high_ = 0xBF;
            --needed_;
        }
    }
    return true;
}

std::string_view truncate_utf8(std::string_view s, std::size_t max_bytes) noexcept
{
    if (s.size() <= max_bytes)
        return s;
    std::size_t n = max_bytes;
    // Step back over continuation bytes to the lead byte of the code point that was cut.
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return s.substr(0, n);
}

bool valid_utf8(std::string_view s) noexcept
{
    utf8_validator v;
    return v.feed(s) && v.complete();
}

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept
{
    auto const b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto const cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    unsigned char const c = b(0);
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2))
            return 0;
        if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F))
            return 0; // overlong, surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3))
            return 0;
        if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F))
            return 0; // overlong, past U+10FFFF
        return 4;
    }
    return 0;
}

std::optional<std::size_t> utf8_length(std::string_view s) noexcept
{
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++count) {
        auto const n = utf8_sequence_length(s, i);
        if (n == 0)
            return std::nullopt;
        i += n;
    }
    return count;
}

bool is_blank(std::string_view s) noexcept
{
    return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

namespace {

// C0 and DEL are single bytes; C1 is U+0080-U+009F, in UTF-8 0xC2 followed by 0x80-0x9F.
bool has_controls(std::string_view s, bool newline_and_tab_allowed) noexcept
{
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) {
            if (newline_and_tab_allowed && (c == '\n' || c == '\t'))
                continue;
            return true;
        }
        if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F)
            return true;
    }
    return false;
}

} // namespace

bool has_control_characters(std::string_view s) noexcept
{
    return has_controls(s, false);
}

bool has_control_characters_in_text(std::string_view s) noexcept
{
    return has_controls(s, true);
}

} // namespace parley::text
