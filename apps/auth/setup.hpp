// The auth service: what it holds (store, keys, throttle, hasher) and how it starts.
#pragma once

#include "parley/service/service.hpp"

namespace parley::auth_app {

// Reads configuration (docs/configuration.md, "auth"), opens and migrates var/auth.db, creates
// the admin account, loads the signing key and registers the routes. Throws config_error for
// anything that makes the service unsafe to start (production without secrets).
void setup(service& svc);

} // namespace parley::auth_app
