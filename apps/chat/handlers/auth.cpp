#include "chat/handlers/handlers.hpp"
#include "parley/http/error.hpp"

namespace parley::chat_app {

auth::identity const& require_user(chat_state& app, http::request_context& ctx,
                                   std::optional<auth::identity>& slot)
{
    auto token = ctx.bearer_token();
    if (!token)
        throw http::unauthorized("Unauthorized");
    auto who = app.verifier->verify(*token);
    if (!who)
        throw http::unauthorized("Unauthorized");
    slot = std::move(*who);
    return *slot;
}

auth::identity const* optional_user(chat_state& app, http::request_context& ctx,
                                    std::optional<auth::identity>& slot)
{
    auto token = ctx.bearer_token();
    if (!token)
        return nullptr;
    auto who = app.verifier->verify(*token);
    if (!who)
        throw http::unauthorized("Invalid token");
    slot = std::move(*who);
    return &*slot;
}

net::awaitable<room> room_or_404(chat_state& app, std::int64_t id, auth::identity const* viewer)
{
    auto r = co_await app.rooms.visible_room(id, viewer);
    if (!r)
        throw http::not_found("Room not found");
    co_return std::move(*r);
}

} // namespace parley::chat_app
