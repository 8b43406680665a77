#include "gateway/client_address.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <stdexcept>

namespace parley::gateway_app {

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// "1.2.3.4" or an IPv6 literal (no brackets, no port) as 16 bytes, IPv4 mapped.
std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text, bool* is_v4 = nullptr)
{
    if (text.empty() || text.size() > 45)
        return std::nullopt;
    std::string const s(text);
    std::array<std::uint8_t, 16> out{};
    in_addr v4{};
    if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out[10] = out[11] = 0xff;
        std::memcpy(out.data() + 12, &v4, 4);
        if (is_v4)
            *is_v4 = true;
        return out;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        if (is_v4)
            *is_v4 = false;
        return out;
    }
    return std::nullopt;
}

// Strips "[...]" and a ":port" from a peer or header value.
std::string_view without_port(std::string_view text)
{
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        return close == std::string_view::npos ? std::string_view() : text.substr(1, close - 1);
    }
    if (std::count(text.begin(), text.end(), ':') == 1) // a.b.c.d:port
        return text.substr(0, text.find(':'));
    return text; // a.b.c.d, or bare IPv6
}

// The connection's peer as the server records it: "<address>:<port>" (IPv6 without brackets).
std::string_view peer_host(std::string_view remote)
{
    if (!remote.empty() && remote.front() == '[')
        return without_port(remote);
    auto colon = remote.rfind(':');
    return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

std::string to_text(std::array<std::uint8_t, 16> const& bytes)
{
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char buf[INET6_ADDRSTRLEN] = {};
    if (std::memcmp(bytes.data(), mapped, 12) == 0)
        ::inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
    else
        ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

} // namespace

std::optional<std::string> ip_address_of(std::string_view text)
{
    auto bytes = parse_ip(without_port(trim(text)));
    if (!bytes)
        return std::nullopt;
    return to_text(*bytes);
}

trusted_proxies::trusted_proxies(std::vector<std::string> const& entries)
{
    for (auto const& entry : entries) {
        std::string_view e = entry;
        auto slash = e.find('/');
        bool v4 = false;
        auto bytes = parse_ip(e.substr(0, slash), &v4);
        if (!bytes)
            throw std::invalid_argument("\"" + entry + "\" is not an IP address or network");
        unsigned bits = 128;
        if (slash != std::string_view::npos) {
            auto digits = e.substr(slash + 1);
            unsigned const max = v4 ? 32 : 128;
            if (digits.empty() || digits.size() > 3 ||
                !std::all_of(digits.begin(), digits.end(),
                             [](char c) { return c >= '0' && c <= '9'; }) ||
                std::stoul(std::string(digits)) > max)
                throw std::invalid_argument("\"" + entry + "\": the prefix length must be 0-" +
                                            std::to_string(max));
            bits = static_cast<unsigned>(std::stoul(std::string(digits))) + (v4 ? 96 : 0);
        }
        networks_.push_back({*bytes, bits});
    }
}

trusted_proxies trusted_proxies::from_config(config const& cfg)
{
    auto entries = cfg.list({"PARLEY_TRUSTED_PROXIES"}, {});
    try {
        return trusted_proxies(entries);
    } catch (std::invalid_argument const& e) {
        throw config_error(std::string("PARLEY_TRUSTED_PROXIES: ") + e.what());
    }
}

bool trusted_proxies::contains(std::string_view address) const
{
    auto bytes = parse_ip(without_port(address));
    if (!bytes)
        return false;
    for (auto const& n : networks_) {
        bool match = true;
        for (unsigned bit = 0; bit < n.prefix_bits && match; bit += 8) {
            unsigned const take = std::min(8u, n.prefix_bits - bit);
            std::uint8_t const mask = static_cast<std::uint8_t>(0xff00u >> take);
            match = ((*bytes)[bit / 8] & mask) == (n.bytes[bit / 8] & mask);
        }
        if (match)
            return true;
    }
    return false;
}

std::string client_address(http::request const& req, trusted_proxies const& proxies)
{
    auto const peer = peer_host(req.remote_address);
    auto const bytes = parse_ip(peer);
    std::string const own = bytes ? to_text(*bytes) : std::string(peer);
    if (proxies.empty() || !proxies.contains(own))
        return own;
    // The last entry of the X-Forwarded-For fields, in arrival order: the trusted proxy's.
    std::string_view last;
    for (auto const& [name, value] : req.headers) {
        if (!http::iequals(name, "X-Forwarded-For"))
            continue;
        std::string_view v = value;
        auto comma = v.rfind(',');
        auto entry = trim(comma == std::string_view::npos ? v : v.substr(comma + 1));
        if (!entry.empty())
            last = entry;
    }
    if (auto forwarded = ip_address_of(last))
        return *forwarded;
    return own;
}

} // namespace parley::gateway_app
