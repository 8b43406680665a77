#include "handlers/handlers.hpp"

namespace parley::chat {

net::awaitable<http::response> health(chat_app& app, http::request_context&)
{
    co_return http::json(boost::json::object{{"status", "healthy"}, {"service", "chat-service"}});
}

net::awaitable<http::response> stats(chat_app& app, http::request_context& ctx)
{
    // Private rooms and their messages count for admins only.
    std::optional<auth::identity> slot;
    auto const* viewer = optional_user(app, ctx, slot);
    chat_store::totals totals;
    if (viewer && viewer->is_admin)
        totals = co_await app.rooms.count_all();
    else
        totals = co_await app.rooms.count_public();
    co_return http::json(
        boost::json::object{{"rooms", totals.rooms}, {"messages", totals.messages}});
}

} // namespace parley::chat
