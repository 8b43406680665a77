#include "handlers/handlers.hpp"

namespace parley::chat {

net::awaitable<http::response> health(chat_app& app, http::request_context&)
{
    co_return http::json(boost::json::object{{"status", "healthy"}, {"service", "chat-service"}});
}

} // namespace parley::chat
