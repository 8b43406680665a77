// The internal endpoints of a service: GET /metrics (Prometheus) and /internal/* (e.g.
// /internal/instance for the topology). They describe the process, not the API, and are for
// Parley's own services and the operator's monitoring, not for clients:
//
//   - PARLEY_INTERNAL_PORT (every service): a second listener that serves these and nothing else,
//     for Prometheus and the topology on a port the public cannot reach.
//   - On a public port (the gateway's), they answer 404 unless the request carries the service
//     credential (X-Parley-Service-Token), as if they did not exist.
//
// run_service sets up the internal listener; a public service calls
// require_credential_for_internal on its server in its setup.
#pragma once

#include "parley/http/server.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace parley {
class runtime;

// "/metrics", "/internal" and everything under "/internal/".
bool is_internal_path(std::string_view path) noexcept;

// Makes /metrics and /internal/* of `server` answer 404 {"error":"Not found"} unless the request
// presents `credential` in X-Parley-Service-Token. Call before listen().
void require_credential_for_internal(http::server& server, std::string credential);

// A server serving GET /metrics and every /internal/* route of `main` (handled by main's own
// handlers, so /internal/instance still reports main's port and connections), nothing else.
// `options` gives its name, address and port; call listen() on it after main's.
std::unique_ptr<http::server> make_internal_server(runtime& rt, http::server& main,
                                                   http::server_options options);

} // namespace parley
