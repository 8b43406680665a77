// /ws: each browser WebSocket is paired with one WebSocket to a chat instance. Text flows both
// ways unchanged; a close on either side is passed to the other with its code; back-pressure
// holds: the browser's next message is read only once the previous one went upstream, and a
// browser that cannot keep up is closed by its bounded queue (4008) like on the chat service.
#pragma once

#include "gateway/state.hpp"
#include "parley/http/context.hpp"
#include "parley/ws/session.hpp"

#include <memory>

namespace parley::gateway_app {

std::shared_ptr<ws::handler> accept_ws_proxy(gateway_state& g, http::request_context& ctx);

} // namespace parley::gateway_app
