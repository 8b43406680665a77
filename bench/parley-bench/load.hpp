// One run of the load tool: sets up users, rooms and connections, drives the chosen mode and
// returns the result as JSON (see bench/README.md for its fields).
#pragma once

#include "options.hpp"

#include <boost/json/object.hpp>

namespace parley::bench {

// Throws on a setup failure (server unreachable, rooms not created, clients not joined).
boost::json::object run_load(options const& o);

} // namespace parley::bench
