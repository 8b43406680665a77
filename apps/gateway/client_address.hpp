// Who the client is, as the gateway tells the services behind it (X-Forwarded-For): the peer
// address of the connection, or, when the peer is a proxy in PARLEY_TRUSTED_PROXIES (an ingress
// in front of the gateway), the last X-Forwarded-For entry: the one that proxy appended. What
// a client wrote into X-Forwarded-For itself is never passed on.
#pragma once

#include "parley/config/config.hpp"
#include "parley/http/message.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::gateway_app {

class trusted_proxies {
public:
    // PARLEY_TRUSTED_PROXIES: comma-separated addresses or networks ("10.0.0.0/8", "::1",
    // "fd00::/8"); default none. config_error for anything else.
    static trusted_proxies from_config(config const& cfg);
    // Throws std::invalid_argument naming the bad entry.
    explicit trusted_proxies(std::vector<std::string> const& entries);
    trusted_proxies() = default;

    bool contains(std::string_view address) const;
    bool empty() const noexcept { return networks_.empty(); }

private:
    struct network {
        std::array<std::uint8_t, 16> bytes{}; // IPv4 as ::ffff:a.b.c.d
        unsigned prefix_bits = 0;             // of the 128
    };
    std::vector<network> networks_;
};

// An IP address in canonical text ("127.0.0.1", "2001:db8::7"), or nothing when `text` is not
// one. "[v6]" and "a.b.c.d:port" / "[v6]:port" forms are accepted.
std::optional<std::string> ip_address_of(std::string_view text);

// The client's address without port, for X-Forwarded-For.
std::string client_address(http::request const& req, trusted_proxies const& proxies);

} // namespace parley::gateway_app
