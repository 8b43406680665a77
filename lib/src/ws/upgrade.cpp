#include "ws/upgrade.hpp"

#include "parley/http/context.hpp"
#include "parley/http/error.hpp"
#include "parley/ws/handshake.hpp"
#include "ws/handshake.hpp"

#include <algorithm>
#include <vector>

namespace parley::ws::detail {

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
        // forge it anyway. Every Origin line counts: a second one must not slip past.
        auto const& allowed = options.allowed_origins;
        for (auto const& [name, value] : req.headers)
            if (http::iequals(name, "Origin") &&
                std::find(allowed.begin(), allowed.end(), value) == allowed.end())
                throw http::forbidden("origin not allowed");
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

namespace parley::ws {

http::response upgrade_response(http::request const& req, session_options const& options)
{
    return detail::upgrade_response(req, options);
}

namespace {

struct endpoint_state {
    accept_handler accept;
    session_options options;
};

net::awaitable<http::upgrade> answer(std::shared_ptr<endpoint_state const> e,
                                     http::request_context& ctx)
{
    http::upgrade out;
    out.res = detail::upgrade_response(ctx.request(), e->options); // throws 400, 403, 426
    auto h = e->accept(ctx);                                       // throws 401, 403 ...
    if (!h)
        throw http::forbidden("WebSocket refused");
    std::string subprotocol(out.res.headers.get("Sec-WebSocket-Protocol").value_or(""));
    out.run = [e, h = std::move(h),
               subprotocol = std::move(subprotocol)](http::upgraded_connection conn) mutable {
        return detail::serve(std::move(conn), std::move(h), e->options, std::move(subprotocol));
    };
    co_return out;
}

} // namespace

http::upgrade_handler endpoint(accept_handler accept, session_options options)
{
    auto e = std::make_shared<endpoint_state const>(
        endpoint_state{std::move(accept), std::move(options)});
    return [e](http::request_context& ctx) { return answer(e, ctx); };
}

} // namespace parley::ws
