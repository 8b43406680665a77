#include "auth/client_address.hpp"

#include "parley/auth/keys_config.hpp"

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

namespace {

// The connection's peer as the server records it, "<address>:<port>" (IPv6 without brackets):
// everything before the last colon.
std::string peer_address(std::string_view remote)
{
    if (!remote.empty() && remote.front() == '[')
        return strip_port(remote);
    auto colon = remote.rfind(':');
    return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

} // namespace

std::string client_address(http::request const& req, forwarded_for_trust const& trust)
{
    bool trusted = trust.always;
    if (!trusted && !trust.service_token.empty())
        if (auto presented = req.headers.get(auth::service_token_header))
            trusted = auth::service_token_matches(trust.service_token, *presented);
    return client_address(req, trusted);
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
    return peer_address(req.remote_address);
}

} // namespace parley::auth_app
