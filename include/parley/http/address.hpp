// The address of a service as configuration gives it: "host:port" or "http://host:port[/...]"
// (PARLEY_CHAT_URL and the like). One parser for http::client, the gateway and the tools.
#pragma once

#include <string>
#include <string_view>

namespace parley::http {

struct service_address {
    std::string host;        // for the resolver: no brackets around an IPv6 literal
    std::string port;        // decimal, 1..65535
    std::string host_header; // "host:port" as sent in Host, brackets kept
};

// Throws std::invalid_argument naming the address and what is wrong with it.
service_address parse_service_address(std::string_view text);

} // namespace parley::http
