#include "text.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace parley::chat {

std::optional<std::size_t> utf8_length(std::string_view s)
{
    std::size_t count = 0;
    auto const* p = reinterpret_cast<unsigned char const*>(s.data());
    auto const* end = p + s.size();
    while (p < end) {
        unsigned char const c = *p;
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++p;
            ++count;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return std::nullopt;
        }
        if (static_cast<std::size_t>(end - p) <= n)
            return std::nullopt;
        for (std::size_t i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80)
                return std::nullopt;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        static constexpr std::uint32_t min_of[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_of[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return std::nullopt;
        p += n + 1;
        ++count;
    }
    return count;
}

bool is_blank(std::string_view s)
{
    return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

namespace {

// C0 and DEL are single bytes; C1 is U+0080-U+009F, in UTF-8 0xC2 followed by 0x80-0x9F.
bool has_controls(std::string_view s, bool newline_and_tab_allowed)
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

bool has_control_characters(std::string_view s)
{
    return has_controls(s, false);
}

bool has_control_characters_in_text(std::string_view s)
{
    return has_controls(s, true);
}

std::string iso_now()
{
    auto const now = std::chrono::system_clock::now();
    auto const t = std::chrono::system_clock::to_time_t(now);
    auto const ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[40];
    auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    return buf;
}

} // namespace parley::chat
