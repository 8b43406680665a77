// /ws: the browser's WebSocket relayed to a chat instance byte for byte, as nginx and HAProxy do.
//
// The browser's upgrade request is checked here (the gateway's own PARLEY_WS_ORIGINS), then
// sent on to a chat instance (round-robin over PARLEY_CHAT_URL, the next one when one is down)
// with the browser's key, protocols, Origin, address and request id. Chat's answer decides:
// 101 → the browser gets 101 and the bytes flow both ways unparsed (what chat coalesced into one
// write stays one write); 401/403 → the browser gets 403; no instance reachable → the browser
// gets a 101 and then a 1013 close ("try again later": a browser cannot see an HTTP status).
//
// After the upgrade, frames are not parsed, only their headers followed so that the gateway can
// put a close frame between two of them: chat gone without a close → 1001 to the browser;
// browser gone without a close → 1001 to chat; a close handshake from either side passes
// through untouched; the gateway's graceful stop or an idle connection → 1001 both ways.
//
// Memory: an idle relayed connection holds its two sockets, one timer, a few flags and a
// 512-byte buffer that chat's small writes are read into (no system call arms that read, where
// a wait for readability costs an epoll_ctl); larger reads go into one 64 KiB buffer per thread.
// What was read is written on at once; only what the other side cannot take yet is kept (at
// most one read per direction) and that direction's reading stops until it is written
// (back-pressure onto chat's own bounded queue). A peer that takes nothing for stall_timeout
// while data waits for it is cut off: 4008 to a browser (1001 to chat) when the close fits
// between frames, else the connection is reset.
#pragma once

#include "gateway/state.hpp"
#include "parley/config/config.hpp"
#include "parley/http/upgrade.hpp"
#include "parley/ws/session.hpp"

#include <chrono>
#include <cstdint>
#include <memory>

namespace parley::gateway_app {

struct relay_options {
    // The browser's handshake: allowed_origins (the gateway's PARLEY_WS_ORIGINS; chat checks its
    // own too), subprotocols are chat's choice.
    ws::session_options handshake;
    // Neither side sent anything for this long: 1001 both ways. A bit above chat's idle timeout,
    // so that chat's own pings (which pass through) keep a live connection open.
    std::chrono::milliseconds idle_timeout{75'000};
    // Data waits for a side that took nothing for this long: that side is cut off.
    std::chrono::milliseconds stall_timeout{10'000};
    // Bound of every close: after it the connection is reset.
    std::chrono::milliseconds close_timeout{5'000};
};

// PARLEY_WS_RELAY_IDLE_TIMEOUT (default PARLEY_WS_IDLE_TIMEOUT, 60 s, plus 15 s),
// PARLEY_WS_RELAY_STALL_TIMEOUT (10 s), PARLEY_WS_CLOSE_TIMEOUT (5 s).
relay_options relay_options_from(config const& cfg, ws::session_options handshake);

// The /ws upgrade route.
http::upgrade_handler ws_relay(std::shared_ptr<gateway_state> g, relay_options options);

// The relay's own accounting (also the parley_gateway_ws_relay_* metrics).
struct relay_counts {
    std::int64_t connections;    // relayed connections open
    std::int64_t buffered_bytes; // held for a side that could not take them yet
};
relay_counts relay_totals() noexcept;

} // namespace parley::gateway_app
