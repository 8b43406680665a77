#include "chat/handlers/handlers.hpp"
#include "parley/http/error.hpp"
#include "parley/json/json.hpp"
#include "parley/text/utf8.hpp"

#include <boost/json/array.hpp>

namespace parley::chat_app {

namespace {

struct create_room_body {
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::optional<bool> is_private;
};
BOOST_DESCRIBE_STRUCT(create_room_body, (), (name, description, is_private))

} // namespace

net::awaitable<http::response> list_rooms(chat_state& app, http::request_context& ctx)
{
    auto const* viewer = ctx.optional_user();
    auto rooms = co_await app.rooms.list_rooms(viewer);
    boost::json::array out;
    for (auto const& r : rooms)
        out.push_back(json::write(r));
    co_return http::json(out);
}

net::awaitable<http::response> create_room(chat_state& app, http::request_context& ctx)
{
    auto const& user = ctx.user();
    auto const body = ctx.json_body<create_room_body>();
    if (!body.name || text::is_blank(*body.name))
        throw http::bad_request("Room name is required");
    auto const name_chars = text::utf8_length(*body.name);
    if (!name_chars || *name_chars > max_room_name_chars)
        throw http::bad_request("Room name must be at most 100 characters");
    if (text::has_control_characters(*body.name))
        throw http::bad_request("Room name must not contain control characters");
    auto const description = body.description.value_or("");
    auto const description_chars = text::utf8_length(description);
    if (!description_chars || *description_chars > max_description_chars)
        throw http::bad_request("Description must be at most 500 characters");

    new_room fresh{.name = *body.name,
                   .description = description,
                   .is_private = body.is_private.value_or(false),
                   .created_by = user.user_id};
    auto const name = fresh.name;
    auto create = app.rooms.create_room(std::move(fresh));
    auto created = co_await std::move(create);
    if (!created)
        throw http::conflict("A public room named \"" + name + "\" already exists");
    auto const& r = *created;
    app.stats->room_created(user.user_id);
    co_return http::json(
        http::status::created,
        boost::json::object{{"message", "Room created successfully"}, {"room", json::write(r)}});
}

net::awaitable<http::response> get_room(chat_state& app, http::request_context& ctx)
{
    auto const* viewer = ctx.optional_user();
    auto r = co_await room_or_404(app, ctx.int_param("id"), viewer);
    co_return http::json(json::write(r));
}

net::awaitable<http::response> online_users(chat_state& app, http::request_context& ctx)
{
    auto const* viewer = ctx.optional_user();
    auto r = co_await room_or_404(app, ctx.int_param("id"), viewer);
    boost::json::array out;
    for (auto const& u : app.presence->online(r.id))
        out.push_back(boost::json::object{
            {"user_id", u.user_id}, {"username", u.username}, {"joined_at", u.joined_at}});
    co_return http::json(out);
}

} // namespace parley::chat_app
