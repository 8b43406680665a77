// The forwarding plumbing, written once: a client request becomes an upstream request (only the
// headers that may cross), and the upstream's answer or failure becomes the client's response
// (503 "Service unavailable", 504 "Service timeout", as the original gateway answered).
#pragma once

#include "client_address.hpp"
#include "parley/http/client.hpp"
#include "parley/http/context.hpp"
#include "parley/net.hpp"

#include <boost/system/result.hpp>
#include <memory>
#include <string>
#include <vector>

namespace parley::gateway_app {

// One upstream service: its addresses, a pooled client over all of them (round-robin with
// failover) for forwarding, and one client per address for probes (health, topology).
struct upstream {
    upstream(net::any_io_executor ex, std::string name, std::vector<std::string> addresses,
             http::client_options forward_options, http::client_options probe_options);

    std::string name; // "auth", "user", "chat": the key in /health and the topology
    std::vector<std::string> addresses;
    // Who forwarded requests say the client is (X-Forwarded-For); set by setup.
    std::shared_ptr<trusted_proxies const> proxies = std::make_shared<trusted_proxies const>();
    // Sent as X-Parley-Service-Token with every forwarded request when not empty: to the
    // services that act on the client's address (auth throttles logins per address), so that
    // they believe X-Forwarded-For. Empty for the others.
    std::string vouch_token;
    http::client client;
    std::vector<std::unique_ptr<http::client>> probes; // probes[i] talks to addresses[i] only
};

// The request sent upstream: method, target and body of the client's, with Authorization,
// Content-Type, Accept, Origin, the request id and trace context, X-Forwarded-For (the client's
// address as the gateway determined it, nothing the client wrote) and, for `to.vouch_token`,
// the service credential.
http::request upstream_request(upstream const& to, http::request_context const& ctx,
                               std::string target);

// The client's answer: the upstream's status, body and end-to-end headers, or the gateway's
// error for a failure (503, 504; 502 for an upstream that does not speak HTTP).
http::response client_response(boost::system::result<http::response> upstream_result);

net::awaitable<http::response> forward(upstream& to, http::request_context& ctx,
                                       std::string target);

// A JSON answer from one probe client: nothing when it failed or did not answer 200 with JSON.
net::awaitable<boost::json::value> probe_json(http::client& c, std::string target,
                                              http::fields headers = {});

} // namespace parley::gateway_app
