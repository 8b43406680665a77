// A user who lost membership of a room leaves it on this process at once: their sessions get a
// `left` frame with reason "removed", and the room hears user_left / online_users.
#pragma once

#include "chat/state.hpp"

#include <cstdint>

namespace parley::chat_app {

void evict_user(chat_state& app, std::int64_t room_id, std::int64_t user_id);

} // namespace parley::chat_app
