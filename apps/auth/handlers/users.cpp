// Reading users: every endpoint needs a token; only admins and the user themself see an email.
#include "auth/handlers/handlers.hpp"
#include "parley/auth/keys_config.hpp"
#include "parley/http/error.hpp"

#include <boost/json/array.hpp>

namespace parley::auth_app {

namespace {

bool may_see_email(auth::identity const& viewer, std::int64_t user_id)
{
    return viewer.is_admin || viewer.user_id == user_id;
}

} // namespace

net::awaitable<http::response> list_users(auth_state& s, http::request_context& ctx)
{
    auto const& viewer = ctx.user();
    auto const users = co_await s.users.list();
    boost::json::array out;
    out.reserve(users.size());
    for (auto const& u : users)
        out.push_back(to_json(u, may_see_email(viewer, u.id)));
    co_return http::json(out);
}

net::awaitable<http::response> get_user(auth_state& s, http::request_context& ctx)
{
    auto const& viewer = ctx.user();
    auto const id = ctx.int_param("id");
    auto user = co_await s.users.find_by_id(id);
    if (!user)
        throw http::not_found("User not found");
    co_return http::json(to_json(*user, may_see_email(viewer, user->id)));
}

net::awaitable<http::response> count_users(auth_state& s, http::request_context& ctx)
{
    // For a signed-in user, or for a Parley service (the gateway's /api/stats gives the count to
    // everyone, as the original did); 401 otherwise.
    auto const presented = ctx.request().headers.get(auth::service_token_header);
    if (!presented || !auth::service_token_matches(s.trust_proxy.service_token, *presented))
        ctx.user();
    auto const n = co_await s.users.count();
    co_return http::json({{"count", n}});
}

} // namespace parley::auth_app
