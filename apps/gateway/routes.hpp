#pragma once

#include "gateway.hpp"
#include "parley/http/router.hpp"
#include "parley/ws/session.hpp"

namespace parley::gateway {

void add_routes(http::router& router, gateway_state& g, ws::session_options ws_options);

} // namespace parley::gateway
