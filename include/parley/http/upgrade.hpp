// Routes that upgrade the connection (a WebSocket endpoint, or a proxy relaying one): the
// handler answers the request, and after a 101 it is handed the connection itself.
//
//   router.upgrade("/ws", ws::endpoint(accept, options));   // parley/ws/session.hpp
//
// The server writes the handler's response as any other (request id, CORS, access log, metrics)
// and, for 101 Switching Protocols, then runs `run` with the socket; the connection counts as open
// until its ticket is released (upgraded_connection::ticket).
#pragma once

#include "parley/http/message.hpp"
#include "parley/net.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace parley::http {

class request_context;

class upgraded_connection {
public:
    // What to do when the server begins a graceful stop, set by the connection's code and
    // fired by the server (thread-safe; set after the stop began, it runs at once).
    class stop_hook {
    public:
        void set(std::function<void()> f)
        {
            std::unique_lock lock(mutex_);
            if (!fired_) {
                f_ = std::move(f);
                return;
            }
            lock.unlock();
            f();
        }
        void fire()
        {
            std::function<void()> f;
            {
                std::lock_guard lock(mutex_);
                fired_ = true;
                f.swap(f_);
            }
            if (f)
                f();
        }

    private:
        std::mutex mutex_;
        std::function<void()> f_;
        bool fired_ = false;
    };

    upgraded_connection(net::ip::tcp::socket socket, std::string buffered,
                        std::string remote_address, std::shared_ptr<void> ticket = {})
        : socket_(std::move(socket)), buffered_(std::move(buffered)),
          remote_address_(std::move(remote_address)), ticket_(std::move(ticket))
    {}

    net::ip::tcp::socket& socket() noexcept { return socket_; }
    // Bytes the client sent after its request (the first frames, already read).
    std::string& buffered() noexcept { return buffered_; }
    std::string const& remote_address() const noexcept { return remote_address_; }

    // Runs f once when the server begins a graceful stop (e.g. to close with 1001).
    void on_stop(std::function<void()> f) { stop_->set(std::move(f)); }
    std::shared_ptr<stop_hook> const& stop() const noexcept { return stop_; }

    // The server counts the connection as open (its limits, the graceful stop's wait) while the
    // ticket lives: whoever serves the connection holds it until the end. `run` may finish
    // before that (e.g. a session driven by completion handlers, which keeps no coroutine).
    std::shared_ptr<void> const& ticket() const noexcept { return ticket_; }

private:
    net::ip::tcp::socket socket_;
    std::string buffered_;
    std::string remote_address_;
    std::shared_ptr<stop_hook> stop_ = std::make_shared<stop_hook>();
    std::shared_ptr<void> ticket_;
};

// What an upgrade route answers: the response (101, or a refusal such as 400, 403 or 503) and,
// with a 101, what runs on the connection afterwards.
struct upgrade {
    response res;
    std::function<net::awaitable<void>(upgraded_connection)> run;
};

// Throwing http::error is a refusal too.
using upgrade_handler = std::function<net::awaitable<upgrade>(request_context&)>;

} // namespace parley::http
