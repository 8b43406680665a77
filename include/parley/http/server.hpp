// The HTTP/1.1 server: keep-alive connections with bounded header and body sizes and timeouts,
// the router, middleware, JSON errors, /metrics, WebSocket upgrades, and a graceful stop.
//
//   http::server srv(rt, {.name = "chat-service", .port = 5003});
//   srv.routes().get("/rooms/{id:int}", get_room);
//   srv.listen();
//   return rt.run();
#pragma once

#include "parley/http/context.hpp"
#include "parley/http/router.hpp"
#include "parley/net.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace parley {
class runtime;
}

namespace parley::http {

// Wraps the rest of the chain: call next(ctx) to go on, or answer directly.
using next_handler = std::function<net::awaitable<response>(request_context&)>;
using middleware = std::function<net::awaitable<response>(request_context&, next_handler const&)>;

struct server_options {
    std::string name = "parley"; // service name in logs, metrics and the access log
    std::string address = "0.0.0.0";
    std::uint16_t port = 0;                   // 0: an ephemeral port (tests); listen() returns it
    std::size_t max_header_bytes = 8 * 1024;  // request line included; 431 beyond
    std::size_t max_body_bytes = 1024 * 1024; // per route overridable
    std::chrono::milliseconds request_timeout{10'000}; // whole request read (no slowloris)
    std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
    // Open connections at most (WebSockets included), and from one client address; past either,
    // a new connection is answered 503 and closed. 0: no per-address limit.
    std::size_t max_connections = 20'000;
    std::size_t max_connections_per_address = 0;
    std::chrono::milliseconds write_timeout{30'000};
    std::vector<std::string> cors_origins; // "*" or exact origins; empty: no CORS headers
    authenticator authenticate;            // bearer token -> identity, for ctx.user()
    unauthorized_texts unauthorized;       // what ctx.user()'s 401s say
    bool expose_metrics = true;            // GET /metrics in Prometheus text format
};

class server {
public:
    server(runtime& rt, server_options options);
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    http::router& routes() noexcept;
    // Middleware runs in the order added, around the routed handler (after the built-in request
    // id, access log and CORS handling).
    void use(middleware m);
    // Replaces server_options::authenticate (bearer token -> identity for ctx.user()), for
    // services whose server was built before their keys were loaded (run_service). Call before
    // listen().
    void set_authenticator(authenticator a, unauthorized_texts texts = {});

    // Binds and starts accepting; returns the bound port. Registers a stop hook on the runtime.
    std::uint16_t listen();
    std::uint16_t port() const noexcept;

    // Live counts, for health and statistics endpoints.
    std::size_t open_connections() const noexcept;
    std::size_t open_websockets() const noexcept;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace parley::http
