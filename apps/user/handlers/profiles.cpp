// Reading and editing profiles: anyone reads; only the owner or an admin edits.
#include "parley/http/error.hpp"
#include "parley/json/json.hpp"
#include "user/handlers/handlers.hpp"
#include "user/profiles/validation.hpp"

#include <boost/json/array.hpp>

namespace parley::user_app {

namespace {

std::int64_t user_id_param(http::request_context& ctx)
{
    auto const id = ctx.int_param("user_id");
    if (id < 1)
        throw http::bad_request("user_id must be a positive integer");
    return id;
}

struct profile_body {
    std::optional<std::string> avatar, bio;
};
BOOST_DESCRIBE_STRUCT(profile_body, (), (avatar, bio))

} // namespace

net::awaitable<http::response> get_profile(user_state& s, http::request_context& ctx)
{
    auto const user_id = user_id_param(ctx);
    auto const p = co_await s.profiles.get(user_id);
    co_return http::json(json::write(p));
}

net::awaitable<http::response> list_profiles(user_state& s, http::request_context&)
{
    auto const all = co_await s.profiles.list();
    boost::json::array out;
    out.reserve(all.size());
    for (auto const& p : all)
        out.push_back(json::write(p));
    co_return http::json(out);
}

net::awaitable<http::response> update_profile(user_state& s, http::request_context& ctx)
{
    auto const& caller = ctx.user(); // 401 "Token is missing" / "Invalid token"
    auto const user_id = user_id_param(ctx);
    if (caller.user_id != user_id && !caller.is_admin)
        throw http::forbidden("Unauthorized");

    auto body = ctx.json_body<profile_body>();
    profile_changes changes{.avatar = std::move(body.avatar), .bio = std::move(body.bio)};
    if (changes.avatar) {
        if (auto problem = check_avatar(*changes.avatar))
            throw http::bad_request(*problem);
    }
    if (changes.bio) {
        if (auto problem = check_bio(*changes.bio))
            throw http::bad_request(*problem);
    }
    auto const updated = co_await s.profiles.update(user_id, changes);
    co_return http::json(
        {{"message", "Profile updated successfully"}, {"profile", json::write(updated)}});
}

} // namespace parley::user_app
