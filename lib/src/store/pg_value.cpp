#include "store/pg_value.hpp"

#include <boost/system/errc.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace parley::store::pg {

namespace {

boost::system::error_code malformed()
{
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

boost::system::result<std::int64_t> parse_integer(std::string_view text)
{
    std::int64_t i = 0;
    auto const* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, i);
    if (ec != std::errc() || ptr != end || text.empty())
        return malformed();
    return i;
}

boost::system::result<double> parse_real(std::string_view text)
{
    // The special values as float8out/numeric_out write them (and float8in's spellings).
    if (iequals(text, "NaN"))
        return std::numeric_limits<double>::quiet_NaN();
    if (iequals(text, "Infinity") || iequals(text, "inf"))
        return std::numeric_limits<double>::infinity();
    if (iequals(text, "-Infinity") || iequals(text, "-inf"))
        return -std::numeric_limits<double>::infinity();
    // from_chars refuses a leading '+', and accepts "inf"/"nan" spellings handled above.
    if (text.empty() || !(text[0] == '-' || text[0] == '.' || (text[0] >= '0' && text[0] <= '9')))
        return malformed();
    double d = 0;
    auto const* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, d, std::chars_format::general);
    if (ptr != end)
        return malformed();
    if (ec == std::errc::result_out_of_range) // 1e-400 (float4/8 never; numeric may)
        return malformed();
    if (ec != std::errc())
        return malformed();
    return d;
}

bool all_digits(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

boost::system::result<value> parse_pg_value(std::uint32_t type_oid, std::string_view text)
{
    switch (type_oid) {
    case bool_oid:
        if (text == "t")
            return value(true);
        if (text == "f")
            return value(false);
        return malformed();
    case int2_oid:
    case int4_oid:
    case int8_oid:
    case oid_oid: {
        auto i = parse_integer(text);
        if (!i)
            return i.error();
        return value(*i);
    }
    case float4_oid:
    case float8_oid: {
        auto d = parse_real(text);
        if (!d)
            return d.error();
        return value(*d);
    }
    case numeric_oid: {
        // sum(bigint) and friends are numeric: an integral one reads as an integer, so that
        // `SELECT sum(n)` reads the same on both backends; beyond int64 or with a fraction, real.
        auto const digits = text.starts_with('-') ? text.substr(1) : text;
        if (all_digits(digits)) {
            if (auto i = parse_integer(text))
                return value(*i);
        }
        auto d = parse_real(text);
        if (!d)
            return d.error();
        return value(*d);
    }
    case bytea_oid: {
        // Hex output format (the default since 9.0): "\x" then two digits per byte.
        if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0)
            return malformed();
        std::string bytes;
        bytes.reserve((text.size() - 2) / 2);
        for (std::size_t i = 2; i < text.size(); i += 2) {
            int const hi = hex_digit(text[i]);
            int const lo = hex_digit(text[i + 1]);
            if (hi < 0 || lo < 0)
                return malformed();
            bytes.push_back(static_cast<char>(hi * 16 + lo));
        }
        return value(std::move(bytes));
    }
    default:
        return value(std::string(text));
    }
}

std::uint32_t param_type_oid(value const& v) noexcept
{
    switch (v.type()) {
    case value_type::null:
        return 0;
    case value_type::integer:
        return int8_oid;
    case value_type::real:
        return float8_oid;
    case value_type::text:
        return text_oid;
    }
    return 0;
}

std::string format_pg_integer(std::int64_t i)
{
    char buffer[24];
    auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, i);
    return std::string(buffer, ptr);
}

std::string format_pg_real(double d)
{
    if (std::isnan(d))
        return "NaN";
    if (std::isinf(d))
        return d > 0 ? "Infinity" : "-Infinity";
    char buffer[64];
    auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, d); // shortest round-trip
    return std::string(buffer, ptr);
}

} // namespace parley::store::pg
