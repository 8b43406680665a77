// Profiles and their statistics in the user database (SQL for SQLite and PostgreSQL alike).
#pragma once

#include "parley/net.hpp"
#include "parley/store/database.hpp"

#include <boost/describe/class.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::user_app {

inline constexpr std::string_view default_avatar = "default-avatar.png";

struct profile {
    std::optional<std::int64_t> id; // nothing until the profile is first stored
    std::int64_t user_id = 0;
    std::string avatar{default_avatar};
    std::optional<std::string> bio;
    std::int64_t messages_sent = 0;
    std::int64_t rooms_created = 0;
    std::optional<std::string> last_seen; // ISO 8601 UTC
};
BOOST_DESCRIBE_STRUCT(profile, (),
                      (id, user_id, avatar, bio, messages_sent, rooms_created, last_seen))

struct profile_changes {
    std::optional<std::string> avatar;
    std::optional<std::string> bio;
};

struct stats_increment {
    std::int64_t user_id = 0;
    std::int64_t messages_sent = 0;
    std::int64_t rooms_created = 0;
    bool last_seen = false; // set last_seen to now
};

std::vector<store::migration> user_migrations();

// Coroutines take references (GCC 12 and temporaries in co_await expressions): pass named
// objects.
class profile_store {
public:
    explicit profile_store(store::database& db) : db_(db) {}

    // The stored profile, or the default one for this user (not stored).
    net::awaitable<profile> get(std::int64_t user_id);
    net::awaitable<std::vector<profile>> list();
    // Creates the profile if needed, applies the changes, returns the result.
    net::awaitable<profile> update(std::int64_t user_id, profile_changes const& changes);
    // All increments in one transaction.
    net::awaitable<void> add_stats(std::vector<stats_increment> const& increments);

private:
    store::database& db_;
};

} // namespace parley::user_app
