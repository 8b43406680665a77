// Every route of the chat service, in one place.
#include "chat/routes.hpp"

#include "chat/handlers/handlers.hpp"
#include "chat/realtime/connection.hpp"

namespace parley::chat_app {

void add_routes(http::router& router, std::shared_ptr<chat_state> const& app)
{
    router.get("/health", http::bind<health>(app));
    router.get("/stats", http::bind<stats>(app));

    router.get("/rooms", http::bind<list_rooms>(app));
    router.post("/rooms", http::bind<create_room>(app), {.max_body_bytes = 16 * 1024});
    router.get("/rooms/{id:int}", http::bind<get_room>(app));
    router.patch("/rooms/{id:int}", http::bind<update_room>(app), {.max_body_bytes = 16 * 1024});
    router.del("/rooms/{id:int}", http::bind<delete_room>(app));
    router.get("/rooms/{id:int}/messages", http::bind<list_messages>(app));
    router.get("/rooms/{id:int}/online", http::bind<online_users>(app));

    router.get("/rooms/{id:int}/members", http::bind<list_members>(app));
    router.post("/rooms/{id:int}/members/{user_id:int}", http::bind<add_member>(app));
    router.del("/rooms/{id:int}/members/{user_id:int}", http::bind<remove_member>(app));

    auto accept = [app](http::request_context&) -> std::shared_ptr<ws::handler> {
        return std::make_shared<connection>(app);
    };
    router.upgrade("/ws", ws::endpoint(accept, app->ws_options));
}

} // namespace parley::chat_app
