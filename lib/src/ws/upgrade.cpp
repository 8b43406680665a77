#include "ws/upgrade.hpp"

#include "parley/http/error.hpp"
#include "ws/handshake.hpp"

#include <algorithm>
#include <vector>

namespace parley::ws::detail {

void session_tracker::add(std::shared_ptr<session> const& s)
{
    std::lock_guard lock(mutex_);
    sessions_.emplace(s->id(), s);
}

void session_tracker::remove(std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

void session_tracker::close_all(close_code code, std::string_view reason)
{
    // Copy under the lock, close outside it: close() may re-enter remove() on another thread.
    std::vector<std::shared_ptr<session>> live;
    {
        std::lock_guard lock(mutex_);
        live.reserve(sessions_.size());
        for (auto const& [id, weak] : sessions_)
            if (auto s = weak.lock())
                live.push_back(std::move(s));
    }
    for (auto const& s : live)
        s->close(code, reason);
}

std::size_t session_tracker::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

http::response upgrade_response(http::request const& req, session_options const& options)
{
    if (req.method != http::method::get)
        throw http::bad_request("a WebSocket upgrade must be a GET request");
    auto const upgrade = req.headers.get("Upgrade");
    if (!upgrade || !has_token(*upgrade, "websocket"))
        throw http::bad_request("expected the header Upgrade: websocket");
    auto const connection = req.headers.get("Connection");
    if (!connection || !has_token(*connection, "upgrade"))
        throw http::bad_request("expected the header Connection: Upgrade");
    auto const version = req.headers.get("Sec-WebSocket-Version");
    if (!version || !has_token(*version, "13"))
        throw http::error(http::status::upgrade_required,
                          "unsupported WebSocket version (13 is supported)")
            .with_header("Sec-WebSocket-Version", "13");
    auto const key = req.headers.get("Sec-WebSocket-Key");
    if (!key)
        throw http::bad_request("missing Sec-WebSocket-Key");
    if (!valid_key(*key))
        throw http::bad_request("Sec-WebSocket-Key must be the base64 encoding of 16 bytes");
    if (!options.allowed_origins.empty()) {
        // Browsers always send Origin; its absence means a non-browser client, which could
        // forge it anyway.
        if (auto const origin = req.headers.get("Origin")) {
            auto const& allowed = options.allowed_origins;
            if (std::find(allowed.begin(), allowed.end(), *origin) == allowed.end())
                throw http::forbidden("origin not allowed");
        }
    }

    http::response res;
    res.status = http::status::switching_protocols;
    res.headers.set("Upgrade", "websocket");
    res.headers.set("Connection", "Upgrade");
    res.headers.set("Sec-WebSocket-Accept", accept_key(*key));
    // The server's preference order wins among the protocols the client offered (any number
    // of header lines).
    for (auto const& wanted : options.subprotocols) {
        bool offered = false;
        for (auto const& [name, value] : req.headers)
            if (http::iequals(name, "Sec-WebSocket-Protocol") &&
                for_each_token(value, [&](std::string_view t) { return t == wanted; }))
                offered = true;
        if (offered) {
            res.headers.set("Sec-WebSocket-Protocol", wanted);
            break;
        }
    }
    return res;
}

} // namespace parley::ws::detail
