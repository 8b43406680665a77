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

// Runs a session on a connection whose 101 response has been written, until it ends; a
// graceful stop of the server closes it with 1001. Await it on the socket's executor: the
// session's state belongs to that executor. Not a coroutine itself (no frame of its own for the
// life of the session).
net::awaitable<void> serve(http::upgraded_connection conn, std::shared_ptr<handler> h,
                           session_options const& options, std::string subprotocol);

} // namespace parley::ws::detail
