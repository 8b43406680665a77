#include "chat/fanout/eviction.hpp"

#include <string>

namespace parley::chat_app {

void evict_user(chat_state& app, std::int64_t room_id, std::int64_t user_id)
{
    app.hub.evict(room_id, user_id);
    std::string username;
    for (auto const& u : app.presence.local(room_id))
        if (u.user_id == user_id)
            username = u.username;
    if (app.presence.remove_all(room_id, user_id))
        app.announcer->announce_now(room_id, user_id, username, false);
}

} // namespace parley::chat_app
