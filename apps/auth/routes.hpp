#pragma once

#include "auth/state.hpp"
#include "parley/http/router.hpp"

#include <memory>

namespace parley::auth_app {

void add_routes(http::router& r, std::shared_ptr<auth_state> const& state);

} // namespace parley::auth_app
