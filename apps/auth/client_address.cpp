#include "auth/client_address.hpp"

#include <algorithm>

namespace parley::auth_app {

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

std::string strip_port(std::string_view address)
{
    if (!address.empty() && address.front() == '[') {
        auto close = address.find(']');
        if (close != std::string_view::npos)
            return std::string(address.substr(1, close - 1));
    }
    // One colon: IPv4 (or a name) with a port. More: a bare IPv6 address.
    if (std::count(address.begin(), address.end(), ':') == 1)
        return std::string(address.substr(0, address.find(':')));
    return std::string(address);
}

std::string client_address(http::request const& req, bool trust_proxy)
{
    if (trust_proxy) {
        if (auto forwarded = req.headers.get("X-Forwarded-For")) {
            auto comma = forwarded->rfind(',');
            auto last =
                trim(comma == std::string_view::npos ? *forwarded : forwarded->substr(comma + 1));
            if (!last.empty() && last.size() <= 64)
                return strip_port(last);
        }
    }
    return strip_port(req.remote_address);
}

} // namespace parley::auth_app
