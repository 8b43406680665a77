#pragma once

#include "parley/service/service.hpp"

namespace parley::chat_app {

// Reads configuration (docs/configuration.md, "chat"), opens and migrates the chat database,
// starts the message writer and the stats flusher, and registers the routes and the stop hook.
void setup(service& svc);

} // namespace parley::chat_app
