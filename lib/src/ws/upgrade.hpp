// What the HTTP server uses to upgrade a request to a WebSocket session (lib-internal): the
// 101 response, the session itself (ws/session.cpp), and the list of live sessions.
#pragma once

#include "parley/http/message.hpp"
#include "parley/ws/session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::ws::detail {

// Every live server session of one HTTP server, so a graceful stop can close them with 1001.
class session_tracker {
public:
    void add(std::shared_ptr<session> const& s);
    void remove(std::uint64_t id);
    // Closes every live session (thread-safe).
    void close_all(close_code code, std::string_view reason);
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<session>> sessions_;
};

// The 101 response to a valid upgrade request; throws http::error (400, 426) for an invalid
// one. Picks the subprotocol from options.subprotocols (the chosen one is in the
// Sec-WebSocket-Protocol header of the response).
http::response upgrade_response(http::request const& req, session_options const& options);

// Runs a session on a socket whose 101 response has been written, until it ends.
// `buffered` holds bytes the client sent after its upgrade request.
net::awaitable<void> serve(net::ip::tcp::socket socket, std::string buffered,
                           std::shared_ptr<handler> h, session_options options,
                           std::string remote_address, std::string subprotocol,
                           session_tracker& tracker);

} // namespace parley::ws::detail
