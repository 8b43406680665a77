// The WebSocket endpoint's two halves (lib-internal): the 101 response to an upgrade request,
// and the session that then runs on the connection (ws/session.cpp).
#pragma once

#include "parley/http/message.hpp"
#include "parley/http/upgrade.hpp"
#include "parley/ws/session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::ws::detail {

// The 101 response to a valid upgrade request; throws http::error (400, 426) for an invalid
// one. Picks the subprotocol from options.subprotocols (the chosen one is in the
// Sec-WebSocket-Protocol header of the response).
http::response upgrade_response(http::request const& req, session_options const& options);

// Starts a session on a connection whose 101 response has been written; a graceful stop of the
// server closes it with 1001. The session runs on the socket's executor, on completion handlers,
// holding the connection's ticket until it ends; the awaitable returned completes at once (no
// coroutine frame for the life of the session).
net::awaitable<void> serve(http::upgraded_connection conn, std::shared_ptr<handler> h,
                           session_options const& options, std::string subprotocol);

} // namespace parley::ws::detail
