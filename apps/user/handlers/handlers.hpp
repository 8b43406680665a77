// The user service's endpoints (docs/api.md, "User service").
#pragma once

#include "parley/http/context.hpp"
#include "parley/http/message.hpp"
#include "parley/net.hpp"
#include "user/state.hpp"

namespace parley::user_app {

net::awaitable<http::response> get_profile(user_state& s, http::request_context& ctx);
net::awaitable<http::response> list_profiles(user_state& s, http::request_context& ctx);
net::awaitable<http::response> update_profile(user_state& s, http::request_context& ctx);
net::awaitable<http::response> add_stats(user_state& s, http::request_context& ctx);
net::awaitable<http::response> add_stats_batch(user_state& s, http::request_context& ctx);

} // namespace parley::user_app
