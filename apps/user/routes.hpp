#pragma once

#include "parley/http/router.hpp"
#include "user/state.hpp"

#include <memory>

namespace parley::user_app {

void add_routes(http::router& r, std::shared_ptr<user_state> const& state);

} // namespace parley::user_app
