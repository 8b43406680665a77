#pragma once

#include "gateway/state.hpp"
#include "parley/http/router.hpp"
#include "parley/ws/session.hpp"

#include <memory>

namespace parley::gateway_app {

void add_routes(http::router& router, std::shared_ptr<gateway_state> const& g,
                ws::session_options ws_options);

} // namespace parley::gateway_app
