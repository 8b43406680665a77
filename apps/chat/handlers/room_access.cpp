#include "chat/handlers/handlers.hpp"
#include "parley/http/error.hpp"

namespace parley::chat_app {

net::awaitable<room> room_or_404(chat_state& app, std::int64_t id, auth::identity const* viewer)
{
    auto r = co_await app.rooms.visible_room(id, viewer);
    if (!r)
        throw http::not_found("Room not found");
    co_return std::move(*r);
}

} // namespace parley::chat_app
