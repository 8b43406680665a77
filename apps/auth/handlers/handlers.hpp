// The auth service's endpoints (docs/api.md, "Auth service").
#pragma once

#include "auth/state.hpp"
#include "parley/http/context.hpp"
#include "parley/http/message.hpp"
#include "parley/net.hpp"

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace parley::auth_app {

net::awaitable<http::response> register_user(auth_state& s, http::request_context& ctx);
net::awaitable<http::response> login(auth_state& s, http::request_context& ctx);
net::awaitable<http::response> verify_token(auth_state& s, http::request_context& ctx);
net::awaitable<http::response> list_users(auth_state& s, http::request_context& ctx);
net::awaitable<http::response> get_user(auth_state& s, http::request_context& ctx);
net::awaitable<http::response> count_users(auth_state& s, http::request_context& ctx);

// Admin actions (docs/api.md, "Admin actions").
net::awaitable<http::response> update_user(auth_state& s, http::request_context& ctx);
net::awaitable<http::response> deactivate_user(auth_state& s, http::request_context& ctx);
// For the other services' revocation lists; needs the service credential.
net::awaitable<http::response> list_revocations(auth_state& s, http::request_context& ctx);

} // namespace parley::auth_app
