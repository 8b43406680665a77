#include "user/profiles/profile_store.hpp"

#include "parley/time/utc.hpp"

#include <chrono>
#include <ctime>

namespace parley::user_app {

namespace {

constexpr char const* select_profile =
    "SELECT id, user_id, avatar, bio, messages_sent, rooms_created, last_seen FROM profiles";

profile from_row(store::row const& r)
{
    return {.id = r.get<std::int64_t>("id"),
            .user_id = r.get<std::int64_t>("user_id"),
            .avatar = r.get<std::string>("avatar"),
            .bio = r.get<std::optional<std::string>>("bio"),
            .messages_sent = r.get<std::int64_t>("messages_sent"),
            .rooms_created = r.get<std::int64_t>("rooms_created"),
            .last_seen = r.get<std::optional<std::string>>("last_seen")};
}

profile find_in(store::connection& c, std::int64_t user_id)
{
    auto r = c.query_one(std::string(select_profile) + " WHERE user_id = $1", {user_id});
    if (!r) {
        profile fresh;
        fresh.user_id = user_id;
        return fresh;
    }
    return from_row(*r);
}

} // namespace

std::vector<store::migration> user_migrations()
{
    return {
        {1, "CREATE TABLE profiles ("
            " id INTEGER PRIMARY KEY,"
            " user_id INTEGER NOT NULL UNIQUE,"
            " avatar TEXT NOT NULL DEFAULT 'default-avatar.png',"
            " bio TEXT,"
            " messages_sent INTEGER NOT NULL DEFAULT 0,"
            " rooms_created INTEGER NOT NULL DEFAULT 0,"
            " last_seen TEXT)"},
    };
}

net::awaitable<profile> profile_store::get(std::int64_t user_id)
{
    auto find = [user_id](store::connection& c) { return find_in(c, user_id); };
    co_return co_await db_.run(find);
}

net::awaitable<std::vector<profile>> profile_store::list()
{
    auto all = [](store::connection& c) {
        std::vector<profile> out;
        for (auto const& r : c.query(std::string(select_profile) + " ORDER BY user_id"))
            out.push_back(from_row(r));
        return out;
    };
    co_return co_await db_.run(all);
}

net::awaitable<profile> profile_store::update(std::int64_t user_id, profile_changes const& changes)
{
    auto apply = [&](store::connection& c) {
        c.execute("INSERT INTO profiles (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
                  {user_id});
        if (changes.avatar)
            c.execute("UPDATE profiles SET avatar = $1 WHERE user_id = $2",
                      {*changes.avatar, user_id});
        if (changes.bio)
            c.execute("UPDATE profiles SET bio = $1 WHERE user_id = $2", {*changes.bio, user_id});
        return find_in(c, user_id);
    };
    co_return co_await db_.run(apply);
}

net::awaitable<void> profile_store::add_stats(std::vector<stats_increment> const& increments)
{
    auto const now = utc_timestamp();
    auto apply = [&](store::connection& c) {
        for (auto const& inc : increments) {
            std::optional<std::string> seen;
            if (inc.last_seen)
                seen = now;
            c.execute("INSERT INTO profiles (user_id, messages_sent, rooms_created, last_seen) "
                      "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET"
                      " messages_sent = profiles.messages_sent + excluded.messages_sent,"
                      " rooms_created = profiles.rooms_created + excluded.rooms_created,"
                      " last_seen = COALESCE(excluded.last_seen, profiles.last_seen)",
                      {inc.user_id, inc.messages_sent, inc.rooms_created, seen});
        }
    };
    co_await db_.run(apply);
}

} // namespace parley::user_app
