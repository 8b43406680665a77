// Admin actions: make or revoke an admin, deactivate a user (docs/api.md, "Admin actions"), and
// the revocation list the other services poll.
#include "auth/handlers/handlers.hpp"
#include "parley/auth/keys_config.hpp"
#include "parley/http/error.hpp"
#include "parley/log/log.hpp"

namespace parley::auth_app {

namespace {

// The caller must be an admin now, not only by the claim of a token issued earlier.
net::awaitable<auth::identity> current_admin(auth_state& s, http::request_context& ctx)
{
    auto const actor = ctx.user(); // 401 without a valid token
    if (!actor.is_admin)
        throw http::forbidden("Admin access required");
    auto const id = actor.user_id;
    auto const stored = co_await s.users.find_by_id(id);
    if (!stored || !stored->is_admin || !stored->is_active)
        throw http::forbidden("Admin access required");
    co_return actor;
}

void revoke_here(auth_state& s, user_record const& u)
{
    auth::revocation const entry{.user_id = u.id,
                                 .not_before = u.is_active ? u.tokens_not_before : auth::all_tokens,
                                 .revoked_at = auth::unix_seconds()};
    s.revocations->merge(std::span(&entry, 1));
}

} // namespace

// PATCH /users/{id} {"is_admin": bool}
net::awaitable<http::response> update_user(auth_state& s, http::request_context& ctx)
{
    auto const actor = co_await current_admin(s, ctx);
    auto const body = ctx.json_object();
    auto const* flag = body.if_contains("is_admin");
    if (!flag || !flag->is_bool())
        throw http::bad_request("Field 'is_admin' must be a boolean");
    auto const make_admin = flag->get_bool();
    auto const id = ctx.int_param("id");
    if (id == actor.user_id && !make_admin)
        throw http::conflict("You cannot revoke your own administrator rights");
    auto const changed = co_await s.users.set_admin(id, make_admin);
    if (changed.result == user_store::outcome::not_found)
        throw http::not_found("User not found");
    if (changed.result == user_store::outcome::last_admin)
        throw http::conflict("The last administrator cannot lose their rights");
    auto const& user = *changed.user;
    if (!make_admin)
        revoke_here(s, user); // their current tokens claim is_admin: true
    log::info("admin rights changed",
              {{"user_id", user.id}, {"is_admin", user.is_admin}, {"by", actor.user_id}});
    co_return http::json(to_json(user, true));
}

// POST /users/{id}/deactivate
net::awaitable<http::response> deactivate_user(auth_state& s, http::request_context& ctx)
{
    auto const actor = co_await current_admin(s, ctx);
    auto const id = ctx.int_param("id");
    if (id == actor.user_id)
        throw http::conflict("You cannot deactivate yourself");
    auto const changed = co_await s.users.deactivate(id);
    if (changed.result == user_store::outcome::not_found)
        throw http::not_found("User not found");
    if (changed.result == user_store::outcome::last_admin)
        throw http::conflict("The last administrator cannot be deactivated");
    auto const& user = *changed.user;
    revoke_here(s, user);
    log::info("user deactivated", {{"user_id", user.id}, {"by", actor.user_id}});
    co_return http::json(to_json(user, true));
}

// GET /internal/revocations (service credential)
net::awaitable<http::response> list_revocations(auth_state& s, http::request_context& ctx)
{
    auto const presented = ctx.request().headers.get(auth::service_token_header);
    if (!presented)
        throw http::unauthorized("Service credential required");
    if (!auth::service_token_matches(s.trust_proxy.service_token, *presented))
        throw http::forbidden("Invalid service credential");
    auto const list = co_await s.users.revocations();
    co_return http::json(auth::to_json(list));
}

} // namespace parley::auth_app
