// Parsing of the upstream addresses given to http::client ("host:port", "http://host:port/...").
#pragma once

#include <string>
#include <string_view>

namespace parley::http::detail {

struct client_address {
    std::string host;        // for the resolver: no brackets around an IPv6 literal
    std::string port;        // decimal, 1..65535
    std::string host_header; // "host:port" as sent in Host, brackets kept
};

// Throws std::invalid_argument naming the address and what is wrong with it.
client_address parse_client_address(std::string_view text);

} // namespace parley::http::detail
