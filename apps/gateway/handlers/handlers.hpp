// The gateway's own endpoints (everything else is forwarded, see routes.cpp).
#pragma once

#include "gateway/state.hpp"
#include "parley/http/context.hpp"
#include "parley/http/message.hpp"
#include "parley/net.hpp"

namespace parley::gateway_app {

// GET /health: 200 {"status":"healthy","services":{...}} when every upstream answers its
// /health, else 503 with "status":"degraded" (per-service booleans either way).
net::awaitable<http::response> health(gateway_state& g, http::request_context& ctx);

// GET /api/stats: users, rooms, messages and live WebSocket connections, each counted by the
// service that owns it; a figure is null when its service could not say. Everyone gets the user
// count, the public rooms and their messages, and services_status ("operational" when auth,
// user and chat are all healthy, else "degraded"); an admin's rooms and messages include the
// private rooms, and only an admin gets websocket_connections.
net::awaitable<http::response> stats(gateway_state& g, http::request_context& ctx);

// True when any instance of `u` answers its /health with 200.
net::awaitable<bool> service_up(upstream& u);

// GET /api/admin/topology (admins): every instance of every service with its load.
net::awaitable<http::response> topology(gateway_state& g, http::request_context& ctx);

} // namespace parley::gateway_app
