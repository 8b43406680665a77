#pragma once

#include "chat_app.hpp"
#include "parley/http/router.hpp"

namespace parley::chat {

void add_routes(http::router& router, chat_app& app);

} // namespace parley::chat
