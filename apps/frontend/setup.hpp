#pragma once

#include "parley/service/service.hpp"

namespace parley::frontend_app {

// Reads PARLEY_ASSETS_DIR and the gateway's public address (docs/configuration.md, "frontend")
// and registers the routes.
void setup(service& svc);

} // namespace parley::frontend_app
