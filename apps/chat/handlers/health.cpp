#include "chat/handlers/handlers.hpp"

namespace parley::chat_app {

net::awaitable<http::response> health(chat_state& app, http::request_context&)
{
    co_return http::json(boost::json::object{{"status", "healthy"}, {"service", "chat-service"}});
}

net::awaitable<http::response> stats(chat_state& app, http::request_context& ctx)
{
    // Private rooms and their messages count for admins only.
    auto const* viewer = ctx.optional_user();
    chat_store::totals totals;
    if (viewer && viewer->is_admin)
        totals = co_await app.rooms.count_all();
    else
        totals = co_await app.rooms.count_public();
    co_return http::json(
        boost::json::object{{"rooms", totals.rooms}, {"messages", totals.messages}});
}

} // namespace parley::chat_app
