// The host names the page may be opened under (PARLEY_PUBLIC_HOSTS), used when the gateway's
// public address is not configured: the page's Host header picks one of them, so that the CSP
// and /config.json name the gateway on the host the browser used, and a Host header naming any
// other host gets the first one listed. A client-chosen Host is never reflected.
#pragma once

#include "parley/config/config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace parley::frontend_app {

class public_hosts {
public:
    // PARLEY_PUBLIC_HOSTS, default "127.0.0.1,localhost,[::1]": names, IPv4 addresses or
    // bracketed IPv6 addresses, without scheme or port (config_error otherwise).
    static public_hosts from_config(config const& cfg);
    explicit public_hosts(std::vector<std::string> hosts);

    // The configured host the Host header `host_header` ("name", "name:port", "[v6]:port")
    // names, compared without case; the first configured host for anything else.
    std::string const& pick(std::string_view host_header) const;

private:
    std::vector<std::string> hosts_; // lower case, as given otherwise
};

} // namespace parley::frontend_app
