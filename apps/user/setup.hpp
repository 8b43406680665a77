// The user service: profiles and per-user statistics.
#pragma once

#include "parley/service/service.hpp"

namespace parley::user_app {

// Reads configuration (docs/configuration.md, "user"), opens and migrates var/user.db, loads the
// token verifier and the service credential, and registers the routes.
void setup(service& svc);

} // namespace parley::user_app
