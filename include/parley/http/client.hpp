// An HTTP/1.1 client for one upstream service: keep-alive connection pools per address,
// connect and request timeouts, round-robin over several addresses with failover. Transport
// failures come back as values (client_error), so a gateway maps them to 503/504.
#pragma once

#include "parley/http/message.hpp"
#include "parley/net.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace parley::http {

enum class client_error {
    unavailable = 1, // no address accepted a connection, or the connection broke
    timeout,         // connected, but no complete response within request_timeout
    bad_response,    // the upstream answered something that is not HTTP
};
boost::system::error_code make_error_code(client_error e);

struct client_options {
    // "host:port" or "http://host:port" (a path in the URL is ignored); tried round-robin.
    std::vector<std::string> addresses;
    // Per address, the name lookup and the TCP connect together (a stalled DNS server counts as
    // an unreachable address).
    std::chrono::milliseconds connect_timeout{2'000};
    std::chrono::milliseconds request_timeout{10'000};
    std::size_t max_idle_per_address = 16;
    std::size_t max_response_bytes = 8 * 1024 * 1024;
};

class client {
public:
    client(net::any_io_executor executor, client_options options);
    ~client();
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;

    // Sends req (Host and Content-Length are filled in). A request that fails on a reused idle
    // connection before any response byte is retried once on a fresh one; a refused connection
    // moves on to the next address.
    net::awaitable<boost::system::result<response>> send(request req);

    net::awaitable<boost::system::result<response>> get(std::string target, fields headers = {});
    net::awaitable<boost::system::result<response>> post_json(std::string target, std::string body,
                                                              fields headers = {});

    // Connections currently idle in the pools (for tests of reuse).
    std::size_t idle_connections() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace parley::http

template <>
struct boost::system::is_error_code_enum<parley::http::client_error> : std::true_type {};
