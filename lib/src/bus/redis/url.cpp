#include "parley/bus/redis.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>
#include <limits>

namespace parley::bus::redis {

namespace {

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// All digits, no sign, within [min, max].
template <class T> bool parse_number(std::string_view s, T min, T max, T& out)
{
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    std::uint64_t v = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < std::uint64_t(min) ||
        v > std::uint64_t(max))
        return false;
    out = static_cast<T>(v);
    return true;
}

using url_result = boost::system::result<endpoint, std::string>;

url_result refused(char const* why)
{
    return url_result(boost::system::in_place_error, why);
}

} // namespace

boost::system::result<endpoint, std::string> parse_url(std::string_view text)
{
    auto const parsed = boost::urls::parse_uri(text);
    if (!parsed)
        return refused("not a URL");
    auto const& u = *parsed;
    if (iequals(u.scheme(), "rediss"))
        return refused("TLS (rediss://) is not supported");
    if (!iequals(u.scheme(), "redis"))
        return refused("the scheme must be redis://");
    if (!u.has_authority() || u.host_address().empty())
        return refused("no host");
    if (u.has_query() || u.has_fragment())
        return refused("options after the path (?... or #...) are not supported");

    endpoint out;
    out.host = u.host_address(); // IPv6 without its brackets
    if (u.has_port() && !parse_number<std::uint16_t>(u.port(), 1, 65535, out.port))
        return refused("the port must be a number 1-65535");
    if (u.has_userinfo()) {
        out.user = u.user();
        out.password = u.password();
        if (!u.has_password() && !out.user.empty())
            return refused("a user needs a password (redis://user:password@host)");
        if (u.has_password() && out.password.empty())
            return refused("the password is empty");
    }
    std::string_view path = u.encoded_path();
    if (path.starts_with('/'))
        path.remove_prefix(1);
    if (!path.empty() && !parse_number<int>(path, 0, std::numeric_limits<int>::max(), out.db))
        return refused("the path must be a database number (/0, /1, ...)");
    return out;
}

} // namespace parley::bus::redis
