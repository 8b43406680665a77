#pragma once

#include "parley/service/service.hpp"

namespace parley::gateway_app {

// Reads the upstream addresses and timeouts (docs/configuration.md, "gateway"), loads the token
// verifier (for the admin-only topology) and registers the routes.
void setup(service& svc);

} // namespace parley::gateway_app
