// The database of one service from configuration: the one convention auth, user and chat follow
// (docs/configuration.md, "Databases").
//
//   PARLEY_<SERVICE>_DATABASE_URL  a SQLite path (or sqlite:///abs/path.db), default
//                                  <PARLEY_DATA_DIR>/<service>.db; or postgres://... /
//                                  postgresql://... (libpq's PG* environment applies too)
//   PARLEY_DATABASE_POOL           PostgreSQL connections per process (1-256, default 4), when
//                                  the URL has no ?pool=N
//   PARLEY_REPLICAS                > 1 needs PostgreSQL: replicas cannot share a SQLite file, so
//                                  SQLite with PARLEY_REPLICAS > 1 is a config_error (exit 2)
//
//   auto db = store::open_database_from_config(cfg, "chat");
#pragma once

#include "parley/config/config.hpp"
#include "parley/store/database.hpp"

#include <string>
#include <string_view>

namespace parley::store {

// `service` is "auth", "user" or "chat" (PARLEY_AUTH_DATABASE_URL, ...). Throws config_error.
std::string database_url_from_config(config const& cfg, std::string_view service);
database_options database_options_from_config(config const& cfg);

// Both of the above, then database::open (which throws store::error when it cannot open or
// connect).
database open_database_from_config(config const& cfg, std::string_view service);

} // namespace parley::store
