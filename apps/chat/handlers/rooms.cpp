#include "chat/fanout/room_events.hpp"
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

struct update_room_body {
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::optional<bool> is_private;
};
BOOST_DESCRIBE_STRUCT(update_room_body, (), (name, description, is_private))

void check_name(std::string const& name)
{
    if (text::is_blank(name))
        throw http::bad_request("Room name is required");
    auto const name_chars = text::utf8_length(name);
    if (!name_chars || *name_chars > max_room_name_chars)
        throw http::bad_request("Room name must be at most 100 characters");
    if (text::has_control_characters(name))
        throw http::bad_request("Room name must not contain control characters");
}

void check_description(std::string const& description)
{
    auto const description_chars = text::utf8_length(description);
    if (!description_chars || *description_chars > max_description_chars)
        throw http::bad_request("Description must be at most 500 characters");
    if (text::has_control_characters_in_text(description))
        throw http::bad_request(
            "Description must not contain control characters (newline and tab are allowed)");
}

// Who may see the room, for its room list events.
net::awaitable<room_audience> audience(chat_state& app, room const& r)
{
    std::vector<std::int64_t> members;
    if (r.is_private)
        members = co_await app.rooms.members(r.id);
    co_return audience_of(r, std::move(members));
}

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
    if (!body.name)
        throw http::bad_request("Room name is required");
    check_name(*body.name);
    auto const description = body.description.value_or("");
    check_description(description);

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
    // Everyone for a public room; the creator (its first member) and the admins for a private one.
    room_added(app, audience_of(r, {user.user_id}), r);
    co_return http::json(
        http::status::created,
        boost::json::object{{"message", "Room created successfully"}, {"room", json::write(r)}});
}

// PATCH /rooms/{id} {"name"?, "description"?}: the creator or an admin.
net::awaitable<http::response> update_room(chat_state& app, http::request_context& ctx)
{
    auto const& user = ctx.user();
    auto const body = ctx.json_body<update_room_body>();
    auto const current = co_await room_or_404(app, ctx.int_param("id"), &user);
    if (!user.is_admin && current.created_by != user.user_id)
        throw http::forbidden("Only the room's creator or an admin can change it");
    if (body.is_private && *body.is_private != current.is_private)
        throw http::bad_request("A room's privacy cannot be changed");
    if (body.name)
        check_name(*body.name);
    if (body.description)
        check_description(*body.description);
    chat_store::room_changes changes{.name = body.name, .description = body.description};
    auto update = app.rooms.update_room(current.id, std::move(changes));
    auto outcome = co_await std::move(update);
    if (outcome.name_taken)
        throw http::conflict("A public room named \"" + *body.name + "\" already exists");
    if (!outcome.updated)
        throw http::not_found("Room not found");
    auto const& r = *outcome.updated;
    auto const to = co_await audience(app, r);
    room_updated(app, to, r);
    co_return http::json(
        boost::json::object{{"message", "Room updated"}, {"room", json::write(r)}});
}

// DELETE /rooms/{id}: admins only; the General room stays.
net::awaitable<http::response> delete_room(chat_state& app, http::request_context& ctx)
{
    auto const& user = ctx.user();
    if (!user.is_admin)
        throw http::forbidden("Admin access required");
    auto const r = co_await room_or_404(app, ctx.int_param("id"), &user);
    if (!r.created_by) // the room the schema creates, which every user starts in
        throw http::conflict("The General room cannot be deleted");
    auto const members = co_await app.rooms.delete_room(r.id);
    // Everyone who could see it; each process takes its sessions out of the room.
    room_deleted(app, audience_of(r, members), r.id);
    co_return http::json(boost::json::object{{"message", "Room deleted"}, {"room_id", r.id}});
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
    for (auto const& u : app.presence.online(r.id))
        out.push_back(boost::json::object{
            {"user_id", u.user_id}, {"username", u.username}, {"joined_at", u.joined_at}});
    co_return http::json(out);
}

} // namespace parley::chat_app
