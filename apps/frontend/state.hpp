// What the frontend's handlers share.
#pragma once

#include "frontend/public_hosts.hpp"
#include "parley/http/context.hpp"
#include "parley/runtime/runtime.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace parley::frontend_app {

struct frontend_state {
    parley::runtime& runtime;     // file reads run on its worker pool
    std::filesystem::path assets; // PARLEY_ASSETS_DIR
    // PARLEY_GATEWAY_PUBLIC_URL; when unset, the gateway is on the page's host at gateway_port.
    std::optional<std::string> gateway_public_url;
    std::uint16_t gateway_port = 5000;
    frontend_app::public_hosts public_hosts; // PARLEY_PUBLIC_HOSTS: the page's host, when known
};

// The gateway origin the browser should call for this request ("http://host:5000").
std::string gateway_origin(frontend_state const& fs, http::request_context const& ctx);

// The page's Content-Security-Policy: everything from this origin, API calls to the gateway.
std::string content_security_policy(std::string const& gateway);

} // namespace parley::frontend_app
