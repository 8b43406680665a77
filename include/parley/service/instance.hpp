// What one running process reports about itself at GET /internal/instance, so that the gateway
// can draw the live topology (every instance of every service with its load):
//
//   {"service":"chat-service","instance":"host:5003/1234","version":"0.1.0","uptime_s":12.5,
//    "open_connections":3,"open_websockets":2,"requests_per_s":4.2}
//
// run_service registers it for every service; tests and custom mains call expose_instance.
// Read-only and cheap; the gateway does not forward /internal/*.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <string_view>

namespace parley::http {
class server;
}

namespace parley {

// The version every Parley binary reports (the CMake project version).
std::string_view version() noexcept;

// The report of GET /internal/instance, for a process that also announces it elsewhere (the chat
// replicas' heartbeats in Redis). Thread-safe.
using instance_reporter = std::function<boost::json::object()>;

// Adds GET /internal/instance to `server` and a middleware counting routed requests for its
// requests_per_s figure (averaged since the previous report, or since start for the first).
// Returns the same report for other uses (it shares the rate sample with the endpoint).
instance_reporter expose_instance(http::server& server, std::string service_name);

} // namespace parley
