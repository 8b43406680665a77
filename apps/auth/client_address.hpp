// Who is calling, for per-address login throttling.
#pragma once

#include "parley/http/message.hpp"

#include <string>
#include <string_view>

namespace parley::auth_app {

// When X-Forwarded-For is believed: always (PARLEY_TRUST_PROXY=true: only ever reached through
// a proxy), or when the request carries the service credential (the gateway sends it with the
// client's address, so a client that reaches auth directly cannot pick its own address).
struct forwarded_for_trust {
    bool always = false;       // PARLEY_TRUST_PROXY
    std::string service_token; // PARLEY_SERVICE_TOKEN; empty: the credential is not accepted
};

// The client's IP address without the port: the peer address of the connection, or, when the
// request is trusted (above), the last X-Forwarded-For entry: the one our own proxy set, which a
// client cannot forge. Earlier entries are ignored.
std::string client_address(http::request const& req, forwarded_for_trust const& trust);
// The same, trusting X-Forwarded-For or not.
std::string client_address(http::request const& req, bool trust_proxy);

// "1.2.3.4:5678" -> "1.2.3.4", "[::1]:5678" -> "::1", "::1" -> "::1".
std::string strip_port(std::string_view address);

} // namespace parley::auth_app
