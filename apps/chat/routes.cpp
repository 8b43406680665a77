// Every route of the chat service, in one place.
#include "routes.hpp"

#include "handlers/handlers.hpp"
#include "realtime/connection.hpp"

namespace parley::chat {

namespace {

// Binds a handler to the app (the lambda is not a coroutine: it returns the handler's awaitable).
template <auto Handler> http::handler bind(chat_app& app)
{
    return [&app](http::request_context& ctx) { return Handler(app, ctx); };
}

} // namespace

void add_routes(http::router& router, chat_app& app)
{
    router.get("/health", bind<health>(app));
    router.get("/stats", bind<stats>(app));

    router.get("/rooms", bind<list_rooms>(app));
    router.post("/rooms", bind<create_room>(app), {.max_body_bytes = 16 * 1024});
    router.get("/rooms/{id:int}", bind<get_room>(app));
    router.get("/rooms/{id:int}/messages", bind<list_messages>(app));
    router.get("/rooms/{id:int}/online", bind<online_users>(app));

    router.get("/rooms/{id:int}/members", bind<list_members>(app));
    router.post("/rooms/{id:int}/members/{user_id:int}", bind<add_member>(app));
    router.del("/rooms/{id:int}/members/{user_id:int}", bind<remove_member>(app));

    auto accept = [&app](http::request_context&) -> std::shared_ptr<ws::handler> {
        return std::make_shared<connection>(app);
    };
    router.websocket("/ws", accept, app.ws_options);
}

} // namespace parley::chat
