// The chat service's HTTP handlers, one rule each (registered in routes.cpp).
#pragma once

#include "chat_app.hpp"
#include "parley/http/context.hpp"
#include "parley/http/message.hpp"

namespace parley::chat {

net::awaitable<http::response> health(chat_app& app, http::request_context& ctx);
// {"rooms": n, "messages": n}: for the gateway's /api/stats; public rooms only unless the
// caller is an admin.
net::awaitable<http::response> stats(chat_app& app, http::request_context& ctx);

net::awaitable<http::response> list_rooms(chat_app& app, http::request_context& ctx);
net::awaitable<http::response> create_room(chat_app& app, http::request_context& ctx);
net::awaitable<http::response> get_room(chat_app& app, http::request_context& ctx);
net::awaitable<http::response> online_users(chat_app& app, http::request_context& ctx);

net::awaitable<http::response> list_messages(chat_app& app, http::request_context& ctx);

net::awaitable<http::response> add_member(chat_app& app, http::request_context& ctx);
net::awaitable<http::response> remove_member(chat_app& app, http::request_context& ctx);
net::awaitable<http::response> list_members(chat_app& app, http::request_context& ctx);

// The caller's identity from the bearer token: 401 "Unauthorized" without a valid one.
auth::identity const& require_user(chat_app& app, http::request_context& ctx,
                                   std::optional<auth::identity>& slot);
// The identity when a token came (401 "Invalid token" when it is bad), else nothing.
auth::identity const* optional_user(chat_app& app, http::request_context& ctx,
                                    std::optional<auth::identity>& slot);
// The room when it exists and the caller may see it, else 404 "Room not found".
net::awaitable<room> room_or_404(chat_app& app, std::int64_t id, auth::identity const* viewer);

} // namespace parley::chat
