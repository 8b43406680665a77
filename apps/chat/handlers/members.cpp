#include "chat/fanout/room_events.hpp"
#include "chat/handlers/handlers.hpp"
#include "parley/http/error.hpp"

#include <boost/json/array.hpp>

namespace parley::chat_app {

namespace {

// The creator and admins manage a room's members; a member may also remove themselves.
void check_may_manage(room const& r, auth::identity const& user)
{
    if (user.is_admin || (r.created_by && *r.created_by == user.user_id))
        return;
    throw http::forbidden("Only the room's creator or an admin can manage its members");
}

} // namespace

net::awaitable<http::response> add_member(chat_state& app, http::request_context& ctx)
{
    auto const& user = ctx.user();
    auto r = co_await room_or_404(app, ctx.int_param("id"), &user);
    check_may_manage(r, user);
    auto const member = ctx.int_param("user_id");
    if (member <= 0)
        throw http::bad_request("user_id must be a positive integer");
    bool const added = co_await app.rooms.add_member(r.id, member);
    // A private room appears in the new member's room list at once.
    if (added && r.is_private)
        room_added(app, {.everyone = false, .admins = false, .users = {member}}, r);
    co_return http::json(
        added ? http::status::created : http::status::ok,
        boost::json::object{{"message", added ? "Member added" : "Already a member"},
                            {"room_id", r.id},
                            {"user_id", member}});
}

net::awaitable<http::response> remove_member(chat_state& app, http::request_context& ctx)
{
    auto const& user = ctx.user();
    auto r = co_await room_or_404(app, ctx.int_param("id"), &user);
    auto const member = ctx.int_param("user_id");
    if (member != user.user_id)
        check_may_manage(r, user);
    if (!co_await app.rooms.remove_member(r.id, member))
        throw http::not_found("Member not found");
    // A private room's former member stops receiving it at once, on every process (`left` with
    // reason "removed", then room_removed).
    if (r.is_private)
        room_removed(app, {.everyone = false, .admins = false, .users = {member}}, r.id);
    co_return http::json(
        boost::json::object{{"message", "Member removed"}, {"room_id", r.id}, {"user_id", member}});
}

net::awaitable<http::response> list_members(chat_state& app, http::request_context& ctx)
{
    auto const& user = ctx.user();
    auto r = co_await room_or_404(app, ctx.int_param("id"), &user);
    boost::json::array out;
    auto const members = co_await app.rooms.members(r.id);
    for (auto id : members)
        out.push_back(id);
    co_return http::json(boost::json::object{{"room_id", r.id}, {"members", std::move(out)}});
}

} // namespace parley::chat_app
