// The start of every Parley service, written once: configuration, logging, the runtime and the
// HTTP server from PARLEY_* variables, then the service's own setup, then run until SIGTERM.
//
//   int main()
//   {
//       return parley::run_service({.name = "chat-service", .default_port = 5003},
//                                  [](parley::service& svc) { chat::setup(svc); });
//   }
//
// Variables read here (see docs/configuration.md): PARLEY_ENV, PARLEY_LOG_LEVEL, PARLEY_BIND,
// PARLEY_PORT (or PORT), PARLEY_IO_THREADS, PARLEY_WORKER_THREADS, PARLEY_DRAIN_DELAY,
// PARLEY_SHUTDOWN_TIMEOUT,
// PARLEY_CORS_ORIGINS, PARLEY_MAX_BODY_BYTES, PARLEY_REQUEST_TIMEOUT, PARLEY_IDLE_TIMEOUT,
// PARLEY_INTERNAL_PORT and PARLEY_INTERNAL_BIND (a second listener for /metrics and /internal/*,
// see parley/service/internal.hpp).
#pragma once

#include "parley/config/config.hpp"
#include "parley/http/server.hpp"
#include "parley/runtime/runtime.hpp"
#include "parley/service/instance.hpp"
#include "parley/service/readiness.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace parley {

struct service_info {
    std::string name;               // "chat-service": logs, metrics, /health
    std::uint16_t default_port = 0; // when PARLEY_PORT / PORT are not set
    // PARLEY_CORS_ORIGINS when it is not set (the gateway: "*", its API takes bearer tokens, not
    // cookies).
    std::vector<std::string> default_cors_origins = {};
    // PARLEY_MAX_CONNECTIONS_PER_ADDRESS when it is not set (the gateway, which faces clients,
    // limits; the services behind it see the gateway's one address).
    std::size_t default_max_connections_per_address = 0;
};

struct service {
    parley::config const& config;
    parley::runtime& runtime;
    http::server& server;
    service_info const& info;
    parley::readiness& readiness; // GET /ready: the dependencies the service cannot serve without
    instance_reporter describe;   // what GET /internal/instance reports about this process
};

// Exit codes: 0 after a graceful stop, 2 for a configuration error (printed to stderr and
// logged), 1 for a failure to start (e.g. the port is taken).
int run_service(service_info info, std::function<void(service&)> setup);

// Builds the runtime and server options from configuration (used by run_service and tests).
runtime_options runtime_options_from(config const& cfg);
http::server_options server_options_from(config const& cfg, service_info const& info);
// The internal listener's options when PARLEY_INTERNAL_PORT is set.
std::optional<http::server_options> internal_options_from(config const& cfg,
                                                          service_info const& info);

} // namespace parley
