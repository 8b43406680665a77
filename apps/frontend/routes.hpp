#pragma once

#include "frontend.hpp"
#include "parley/http/server.hpp"

namespace parley::frontend {

void add_routes(http::server& server, frontend_state& fs);

} // namespace parley::frontend
