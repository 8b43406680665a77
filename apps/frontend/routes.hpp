#pragma once

#include "frontend/state.hpp"
#include "parley/http/router.hpp"

#include <memory>

namespace parley::frontend_app {

void add_routes(http::router& r, std::shared_ptr<frontend_state> const& fs);

} // namespace parley::frontend_app
