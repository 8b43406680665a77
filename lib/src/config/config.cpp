#include "parley/config/config.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <system_error>

namespace parley {

namespace {

std::string_view trim(std::string_view s)
{
    auto const space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && space(s.back()))
        s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// The value as it appears in an error message: quoted, on one line, and short, so that a stray
// newline or a pasted blob cannot garble the message main prints before exiting.
std::string quote(std::string_view value)
{
    constexpr std::size_t max_shown = 80;
    std::string out = "\"";
    for (std::size_t i = 0; i < value.size() && i < max_shown; ++i) {
        auto const c = static_cast<unsigned char>(value[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (value.size() > max_shown)
        out += "...";
    out += '"';
    return out;
}

[[noreturn]] void fail(std::string_view name, std::string_view value, std::string_view expected)
{
    throw config_error(std::string(name) + "=" + quote(value) + ": expected " +
                       std::string(expected));
}

// Parses the whole of `text` as an unsigned decimal number; no sign, no leftovers.
std::optional<std::uint64_t> parse_unsigned(std::string_view text)
{
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front())))
        return std::nullopt;
    std::uint64_t v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return v;
}

// Splits "64KiB" into "64" and "KiB".
std::pair<std::string_view, std::string_view> split_number(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
        ++i;
    return {text.substr(0, i), text.substr(i)};
}

} // namespace

config::config()
    : get_([](std::string_view name) -> std::optional<std::string> {
          // Read lazily: a variable set after construction (tests, setenv in main) is seen.
          if (char const* v = std::getenv(std::string(name).c_str()))
              return std::string(v);
          return std::nullopt;
      })
{}

// get_ stays empty: lookup() reads fixed_ directly, so copies of a config never point at a
// map owned by another object.
config::config(std::map<std::string, std::string> variables) : fixed_(std::move(variables)) {}

std::optional<std::pair<std::string_view, std::string>> config::lookup(names n) const
{
    for (auto name : n) {
        if (get_) {
            if (auto v = get_(name))
                return std::pair{name, std::move(*v)};
        } else if (auto it = fixed_.find(std::string(name)); it != fixed_.end()) {
            return std::pair{name, it->second};
        }
    }
    return std::nullopt;
}

std::string config::string(names n, std::string_view fallback) const
{
    if (auto v = lookup(n))
        return std::move(v->second);
    return std::string(fallback);
}

std::optional<std::string> config::optional_string(names n) const
{
    if (auto v = lookup(n))
        return std::move(v->second);
    return std::nullopt;
}

std::string config::required_string(names n) const
{
    auto v = lookup(n);
    if (v && !v->second.empty())
        return std::move(v->second);
    std::string all;
    for (auto name : n)
        all += (all.empty() ? "" : " or ") + std::string(name);
    if (v)
        throw config_error(std::string(v->first) + " is empty: a value is required");
    throw config_error(all + " is not set: a value is required");
}

std::int64_t config::integer(names n, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) const
{
    auto v = lookup(n);
    if (!v)
        return fallback;
    auto const text = trim(v->second);
    std::int64_t result = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), result);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || result < min ||
        result > max)
        fail(v->first, v->second,
             "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return result;
}

std::uint16_t config::port(names n, std::uint16_t fallback) const
{
    auto v = lookup(n);
    if (!v)
        return fallback;
    auto const number = parse_unsigned(trim(v->second));
    if (!number || *number < 1 || *number > 65535)
        fail(v->first, v->second, "a port number 1-65535");
    return static_cast<std::uint16_t>(*number);
}

bool config::boolean(names n, bool fallback) const
{
    auto v = lookup(n);
    if (!v)
        return fallback;
    auto const text = trim(v->second);
    for (auto t : {"true", "1", "yes", "on"})
        if (iequals(text, t))
            return true;
    for (auto f : {"false", "0", "no", "off"})
        if (iequals(text, f))
            return false;
    fail(v->first, v->second, "a boolean (true/false, 1/0, yes/no, on/off)");
}

std::chrono::milliseconds config::duration(names n, std::chrono::milliseconds fallback) const
{
    auto v = lookup(n);
    if (!v)
        return fallback;
    auto const [digits, unit] = split_number(trim(v->second));
    std::uint64_t factor = 0;
    if (unit == "ms")
        factor = 1;
    else if (unit.empty() || unit == "s")
        factor = 1000;
    else if (unit == "m")
        factor = 60 * 1000;
    else if (unit == "h")
        factor = 60 * 60 * 1000;
    auto const number = parse_unsigned(digits);
    // Compared before multiplying, so that the product cannot wrap.
    constexpr auto max_ms = static_cast<std::uint64_t>(max_duration.count());
    if (factor == 0 || !number || *number > max_ms / factor)
        fail(v->first, v->second,
             "a duration such as 250ms, 10s, 5m or 1h (a bare number means seconds), at most 1 "
             "year (8760h)");
    return std::chrono::milliseconds(static_cast<std::int64_t>(*number * factor));
}

std::vector<std::string> config::list(names n, std::vector<std::string> fallback) const
{
    auto v = lookup(n);
    if (!v)
        return fallback;
    std::vector<std::string> items;
    std::string_view rest = v->second;
    while (true) {
        auto const comma = rest.find(',');
        auto const item = trim(rest.substr(0, comma));
        if (!item.empty())
            items.emplace_back(item);
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    return items;
}

std::size_t config::bytes(names n, std::size_t fallback) const
{
    auto v = lookup(n);
    if (!v)
        return fallback;
    auto const [digits, unit] = split_number(trim(v->second));
    std::uint64_t factor = 0;
    if (unit.empty() || unit == "B")
        factor = 1;
    else if (unit == "KiB")
        factor = 1024;
    else if (unit == "MiB")
        factor = 1024 * 1024;
    else if (unit == "GiB")
        factor = 1024 * 1024 * 1024;
    auto const number = parse_unsigned(digits);
    if (factor == 0 || !number || *number > max_bytes / factor)
        fail(v->first, v->second,
             "a size in bytes such as 512, 64KiB, 1MiB or 2GiB (units: B, KiB, MiB, GiB), at "
             "most 1024GiB");
    return static_cast<std::size_t>(*number * factor);
}

std::string config::data_dir() const
{
    return string({"PARLEY_DATA_DIR"}, "var");
}

bool config::production() const
{
    auto v = lookup({"PARLEY_ENV"});
    if (!v || v->second == "development")
        return false;
    if (v->second == "production")
        return true;
    fail(v->first, v->second, "development or production");
}

} // namespace parley
