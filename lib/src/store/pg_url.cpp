#include "store/pg_url.hpp"

#include "parley/store/value.hpp"

#include <charconv>
#include <vector>

namespace parley::store::pg {

namespace {

constexpr std::size_t max_pool_size = 256;

std::optional<std::int64_t> to_integer(std::string_view s)
{
    std::int64_t i = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty())
        return std::nullopt;
    return i;
}

// The URL with the password of the authority and any password= parameter replaced by ***.
std::string redact(std::string_view url)
{
    std::string out(url);
    auto const scheme_end = out.find("://");
    if (scheme_end != std::string::npos) {
        auto const authority = scheme_end + 3;
        auto const path = out.find_first_of("/?", authority);
        auto const at = out.rfind('@', path == std::string::npos ? out.size() : path);
        if (at != std::string::npos && at >= authority) {
            auto const colon = out.find(':', authority);
            if (colon != std::string::npos && colon < at)
                out.replace(colon + 1, at - colon - 1, "***");
        }
    }
    auto const query = out.find('?');
    if (query != std::string::npos) {
        for (auto pos = out.find("password=", query); pos != std::string::npos;
             pos = out.find("password=", pos + 1)) {
            if (out[pos - 1] != '?' && out[pos - 1] != '&')
                continue;
            auto const value = pos + 9;
            auto const end = out.find('&', value);
            out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
        }
    }
    return out;
}

} // namespace

bool is_postgres_url(std::string_view url) noexcept
{
    return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

url_parts parse_url(std::string_view url)
{
    if (!is_postgres_url(url))
        throw error("store: not a PostgreSQL URL (postgres://...)");
    url_parts parts;
    parts.redacted = redact(url);
    auto const query = url.find('?');
    parts.conninfo = std::string(url.substr(0, query));
    if (query == std::string_view::npos)
        return parts;

    std::vector<std::string_view> kept;
    auto rest = url.substr(query + 1);
    while (!rest.empty()) {
        auto const amp = rest.find('&');
        auto const item = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (item.empty())
            continue;
        auto const eq = item.find('=');
        auto const key = item.substr(0, eq);
        auto const val = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
        if (key == "pool") {
            auto n = to_integer(val);
            if (!n || *n < 1 || *n > static_cast<std::int64_t>(max_pool_size))
                throw error("store: pool=" + std::string(val) + " in " + parts.redacted +
                            ": expected 1-" + std::to_string(max_pool_size) + " connections");
            parts.pool_size = static_cast<std::size_t>(*n);
            continue; // ours, not libpq's
        }
        if (key == "connect_timeout") {
            auto n = to_integer(val);
            if (!n || *n < 0 || *n > 3600)
                throw error("store: connect_timeout=" + std::string(val) + " in " + parts.redacted +
                            ": expected seconds (0-3600)");
            // libpq: 0 (or absent) means wait forever; Parley never waits forever.
            if (*n > 0)
                parts.connect_timeout = std::chrono::seconds(*n < 2 ? 2 : *n);
        }
        kept.push_back(item);
    }
    for (std::size_t i = 0; i < kept.size(); ++i) {
        parts.conninfo += i == 0 ? '?' : '&';
        parts.conninfo += kept[i];
    }
    return parts;
}

} // namespace parley::store::pg
