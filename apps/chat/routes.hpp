#pragma once

#include "chat/state.hpp"
#include "parley/http/router.hpp"

#include <memory>

namespace parley::chat_app {

void add_routes(http::router& router, std::shared_ptr<chat_state> const& state);

} // namespace parley::chat_app
