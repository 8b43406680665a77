#include "handlers/handlers.hpp"
#include "parley/http/error.hpp"

namespace parley::chat {

auth::identity const& require_user(chat_app& app, http::request_context& ctx,
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

auth::identity const* optional_user(chat_app& app, http::request_context& ctx,
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

net::awaitable<room> room_or_404(chat_app& app, std::int64_t id, auth::identity const* viewer)
{
    auto r = co_await app.rooms.visible_room(id, viewer);
    if (!r)
        throw http::not_found("Room not found");
    co_return std::move(*r);
}

} // namespace parley::chat
