#pragma once

#include "parley/service/service.hpp"

#include <memory>

namespace parley::chat_app {

struct chat_state;

// Reads configuration (docs/configuration.md, "chat"), opens and migrates the chat database,
// starts the message writer and the stats flusher, and registers the routes and the stop hook.
// Returns the state the routes share (main ignores it; an in-process driver such as the fuzz
// target test/fuzz/chat_frames.cpp makes its sessions' handlers from it).
std::shared_ptr<chat_state> setup(service& svc);

} // namespace parley::chat_app
