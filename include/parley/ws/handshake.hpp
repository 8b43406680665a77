// The server side of the WebSocket opening handshake (RFC 6455 section 4.2), for code that takes
// a connection over itself instead of running a ws::session on it, such as the gateway's relay:
//
//   auto res = ws::upgrade_response(ctx.request(), options); // throws 400, 426, 403
//   co_return http::upgrade{std::move(res), relay_bytes};
#pragma once

#include "parley/http/message.hpp"
#include "parley/ws/session.hpp"

namespace parley::ws {

// Validates an upgrade request (GET, Upgrade/Connection tokens, version 13, a well-formed
// Sec-WebSocket-Key, the Origin against options.allowed_origins) and returns its 101 response
// with Sec-WebSocket-Accept, and Sec-WebSocket-Protocol when one of options.subprotocols was
// offered. Throws http::error: 400 for a malformed request, 426 for another version, 403 for an
// Origin not allowed.
http::response upgrade_response(http::request const& req, session_options const& options);

} // namespace parley::ws
