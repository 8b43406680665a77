// Who is calling, for per-address login throttling.
#pragma once

#include "parley/http/message.hpp"

#include <string>
#include <string_view>

namespace parley::auth_app {

// The client's IP address without the port: the peer address of the connection, or, when
// `trust_proxy` (PARLEY_TRUST_PROXY=true, behind the gateway), the last X-Forwarded-For entry:
// the one our own proxy appended, which a client cannot forge. Earlier entries are ignored.
std::string client_address(http::request const& req, bool trust_proxy);

// "1.2.3.4:5678" -> "1.2.3.4", "[::1]:5678" -> "::1", "::1" -> "::1".
std::string strip_port(std::string_view address);

} // namespace parley::auth_app
