#pragma once

#include "frontend/state.hpp"
#include "parley/http/message.hpp"
#include "parley/net.hpp"

namespace parley::frontend_app {

// GET / and GET /{file}: a file of assets/, with ETag and Cache-Control; a path without an
// extension that names no file is a route of the app and gets index.html.
net::awaitable<http::response> serve_file(frontend_state& fs, http::request_context& ctx);

// GET /config.json: where the gateway is, for the app.
net::awaitable<http::response> app_config(frontend_state& fs, http::request_context& ctx);

net::awaitable<http::response> health(frontend_state& fs, http::request_context& ctx);

} // namespace parley::frontend_app
