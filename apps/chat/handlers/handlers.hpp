// The chat service's HTTP handlers, one rule each (registered in routes.cpp).
#pragma once

#include "chat/state.hpp"
#include "parley/http/context.hpp"
#include "parley/http/message.hpp"

namespace parley::chat_app {

net::awaitable<http::response> health(chat_state& app, http::request_context& ctx);
// {"rooms": n, "messages": n}: for the gateway's /api/stats; public rooms only unless the
// caller is an admin.
net::awaitable<http::response> stats(chat_state& app, http::request_context& ctx);

net::awaitable<http::response> list_rooms(chat_state& app, http::request_context& ctx);
net::awaitable<http::response> create_room(chat_state& app, http::request_context& ctx);
net::awaitable<http::response> get_room(chat_state& app, http::request_context& ctx);
net::awaitable<http::response> update_room(chat_state& app, http::request_context& ctx);
net::awaitable<http::response> delete_room(chat_state& app, http::request_context& ctx);
net::awaitable<http::response> online_users(chat_state& app, http::request_context& ctx);

net::awaitable<http::response> list_messages(chat_state& app, http::request_context& ctx);

net::awaitable<http::response> add_member(chat_state& app, http::request_context& ctx);
net::awaitable<http::response> remove_member(chat_state& app, http::request_context& ctx);
net::awaitable<http::response> list_members(chat_state& app, http::request_context& ctx);

// The room when it exists and the caller may see it, else 404 "Room not found".
net::awaitable<room> room_or_404(chat_state& app, std::int64_t id, auth::identity const* viewer);

} // namespace parley::chat_app
