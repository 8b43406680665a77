#include "frontend/public_hosts.hpp"

#include <algorithm>
#include <cctype>

namespace parley::frontend_app {

namespace {

std::string lower(std::string_view s)
{
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A DNS name or IPv4 address (letters, digits, '-', '.'), or an IPv6 address in brackets.
bool plain_host(std::string_view h)
{
    if (h.empty() || h.size() > 253)
        return false;
    if (h.front() == '[') {
        if (h.size() < 3 || h.back() != ']')
            return false;
        auto inner = h.substr(1, h.size() - 2);
        return std::all_of(inner.begin(), inner.end(), [](unsigned char c) {
            return std::isxdigit(c) || c == ':' || c == '.';
        });
    }
    return std::all_of(h.begin(), h.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
}

// The host part of a Host header value: "name:8080" -> "name", "[::1]:8080" -> "[::1]".
std::string_view host_part(std::string_view header)
{
    if (!header.empty() && header.front() == '[') {
        auto end = header.find(']');
        if (end == std::string_view::npos)
            return {};
        auto rest = header.substr(end + 1);
        if (!rest.empty() && rest.front() != ':')
            return {};
        return header.substr(0, end + 1);
    }
    return header.substr(0, header.find(':'));
}

} // namespace

public_hosts public_hosts::from_config(config const& cfg)
{
    auto hosts = cfg.list({"PARLEY_PUBLIC_HOSTS"}, {"127.0.0.1", "localhost", "[::1]"});
    if (hosts.empty())
        throw config_error("PARLEY_PUBLIC_HOSTS must list at least one host");
    for (auto const& h : hosts)
        if (!plain_host(h))
            throw config_error("PARLEY_PUBLIC_HOSTS: \"" + h.substr(0, 80) +
                               "\" is not a host name or address (no scheme, port or path; IPv6 "
                               "in brackets)");
    return public_hosts(std::move(hosts));
}

public_hosts::public_hosts(std::vector<std::string> hosts)
{
    for (auto& h : hosts)
        hosts_.push_back(lower(h));
}

std::string const& public_hosts::pick(std::string_view host_header) const
{
    auto const wanted = lower(host_part(host_header));
    for (auto const& h : hosts_)
        if (h == wanted)
            return h;
    return hosts_.front();
}

} // namespace parley::frontend_app
