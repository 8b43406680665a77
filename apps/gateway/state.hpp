// What the gateway's handlers share: its upstreams and the addresses it reports on.
#pragma once

#include "gateway/upstream.hpp"
#include "parley/bus/redis.hpp"
#include "parley/http/server.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace parley::gateway_app {

struct gateway_state {
    upstream auth;
    upstream user;
    upstream chat;
    // The frontend's addresses: only asked for the topology (the browser loads the page there).
    std::unique_ptr<upstream> frontend;
    http::server& server;  // this process: its own instance in the topology
    std::string self_host; // reaches this process (its port is known once listening)
    http::client_options probe_options;
    std::chrono::milliseconds ws_connect_timeout{5'000};
    std::atomic<std::size_t> next_chat{0}; // round-robin of WebSocket sessions over chat addresses
    std::string service_token;             // PARLEY_SERVICE_TOKEN: for /internal/* of instances
    // PARLEY_BUS_URL: where the chat replicas announce themselves (the topology lists them from
    // there, behind one Service address too); unset: the chat addresses are asked.
    std::unique_ptr<bus::redis::client> replicas;

    // The service credential, for asking an instance's /internal/* (the gateway's own public
    // port refuses them without it).
    http::fields credential() const
    {
        http::fields f;
        f.set("X-Parley-Service-Token", service_token);
        return f;
    }
};

} // namespace parley::gateway_app
