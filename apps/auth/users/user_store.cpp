#include "auth/users/user_store.hpp"

#include "parley/time/utc.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace parley::auth_app {

namespace {

constexpr char const* user_columns =
    "id, username, email, password_hash, is_admin, created_at, is_active, tokens_not_before";

user_record from_row(store::row const& r)
{
    return {.id = r.get<std::int64_t>("id"),
            .username = r.get<std::string>("username"),
            .email = r.get<std::string>("email"),
            .password_hash = r.get<std::string>("password_hash"),
            .is_admin = r.get<bool>("is_admin"),
            .created_at = r.get<std::string>("created_at"),
            .is_active = r.get<bool>("is_active"),
            .tokens_not_before = r.get<std::int64_t>("tokens_not_before")};
}

std::optional<user_record> find_by_id_in(store::connection& c, std::int64_t id)
{
    auto r = c.query_one(std::string("SELECT ") + user_columns + " FROM users WHERE id = $1", {id});
    if (!r)
        return std::nullopt;
    return from_row(*r);
}

// True when an active admin other than `id` exists.
bool another_admin_in(store::connection& c, std::int64_t id)
{
    return c
        .query_one("SELECT 1 FROM users WHERE is_admin = 1 AND is_active = 1 AND id <> $1", {id})
        .has_value();
}

std::optional<user_record> find_by_username_in(store::connection& c, std::string const& username)
{
    auto r = c.query_one(std::string("SELECT ") + user_columns +
                             " FROM users WHERE lower(username) = lower($1)",
                         {username});
    if (!r)
        return std::nullopt;
    return from_row(*r);
}

taken which_taken_in(store::connection& c, std::string const& username, std::string const& email)
{
    if (c.query_value<std::int64_t>("SELECT id FROM users WHERE lower(username) = lower($1)",
                                    {username}))
        return taken::username;
    if (c.query_value<std::int64_t>("SELECT id FROM users WHERE lower(email) = lower($1)", {email}))
        return taken::email;
    return taken::none;
}

std::variant<user_record, taken> create_in(store::connection& c, new_user const& u)
{
    if (auto t = which_taken_in(c, u.username, u.email); t != taken::none)
        return t;
    user_record rec{.id = 0,
                    .username = u.username,
                    .email = u.email,
                    .password_hash = u.password_hash,
                    .is_admin = u.is_admin,
                    .created_at = utc_timestamp(),
                    .is_active = true,
                    .tokens_not_before = 0};
    rec.id = c.insert("INSERT INTO users (username, email, password_hash, is_admin, created_at) "
                      "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                      {rec.username, rec.email, rec.password_hash, rec.is_admin, rec.created_at});
    return rec;
}

} // namespace

std::vector<store::migration> auth_migrations()
{
    return {
        {1, "CREATE TABLE users ("
            " id INTEGER PRIMARY KEY,"
            " username TEXT NOT NULL,"
            " email TEXT NOT NULL,"
            " password_hash TEXT NOT NULL,"
            " is_admin INTEGER NOT NULL DEFAULT 0,"
            " created_at TEXT NOT NULL);"
            "CREATE UNIQUE INDEX users_username_key ON users (lower(username));"
            "CREATE UNIQUE INDEX users_email_key ON users (lower(email));"},
        // Failed-login counters live in the store, not in process memory, so that every replica
        // sees the same counts once the store is shared.
        {2, "CREATE TABLE login_failures ("
            " throttle_key TEXT PRIMARY KEY,"
            " failures INTEGER NOT NULL,"
            " window_start INTEGER NOT NULL);"
            "CREATE INDEX login_failures_window ON login_failures (window_start);"},
        // Admin actions: deactivation and token revocation (docs/api.md, "Admin actions"). Unix
        // seconds in BIGINT (PostgreSQL's INTEGER is 32 bits); revoked_at says when the user's
        // revocation last changed, for GET /internal/revocations.
        {3, "ALTER TABLE users ADD COLUMN is_active INTEGER NOT NULL DEFAULT 1;"
            "ALTER TABLE users ADD COLUMN tokens_not_before BIGINT NOT NULL DEFAULT 0;"
            "ALTER TABLE users ADD COLUMN revoked_at BIGINT;"
            "CREATE INDEX users_revoked_at ON users (revoked_at);"},
    };
}

boost::json::object to_json(user_record const& u, bool with_email)
{
    boost::json::object o{{"id", u.id}, {"username", u.username}};
    if (with_email)
        o["email"] = u.email;
    o["is_admin"] = u.is_admin;
    o["is_active"] = u.is_active;
    o["created_at"] = u.created_at;
    return o;
}

net::awaitable<std::optional<user_record>> user_store::find_by_username(std::string const& username)
{
    auto find = [&](store::connection& c) { return find_by_username_in(c, username); };
    co_return co_await db_.run(find);
}

net::awaitable<std::optional<user_record>> user_store::find_by_id(std::int64_t id)
{
    auto find = [&](store::connection& c) { return find_by_id_in(c, id); };
    co_return co_await db_.run(find);
}

net::awaitable<std::vector<user_record>> user_store::list()
{
    auto all = [](store::connection& c) {
        std::vector<user_record> users;
        for (auto const& r :
             c.query(std::string("SELECT ") + user_columns + " FROM users ORDER BY id"))
            users.push_back(from_row(r));
        return users;
    };
    co_return co_await db_.run(all);
}

net::awaitable<std::int64_t> user_store::count()
{
    auto count_users = [](store::connection& c) {
        return c.query_value<std::int64_t>("SELECT count(*) FROM users").value_or(0);
    };
    co_return co_await db_.run(count_users);
}

net::awaitable<taken> user_store::which_taken(std::string const& username, std::string const& email)
{
    auto check = [&](store::connection& c) { return which_taken_in(c, username, email); };
    co_return co_await db_.run(check);
}

net::awaitable<std::variant<user_record, taken>> user_store::create(new_user const& u)
{
    auto insert = [&](store::connection& c) { return create_in(c, u); };
    try {
        co_return co_await db_.run(insert);
    } catch (store::constraint_error const& e) {
        if (e.kind() != store::constraint_kind::unique)
            throw;
    }
    // Another replica inserted the same name between our check and our insert.
    auto t = co_await which_taken(u.username, u.email);
    co_return t == taken::none ? taken::username : t;
}

net::awaitable<void> user_store::set_password_hash(std::int64_t id, std::string const& hash)
{
    auto update = [&](store::connection& c) {
        c.execute("UPDATE users SET password_hash = $1 WHERE id = $2", {hash, id});
    };
    co_await db_.run(update);
}

net::awaitable<user_store::change_result> user_store::set_admin(std::int64_t id, bool is_admin)
{
    auto const now = auth::unix_seconds();
    auto change = [&](store::connection& c) -> change_result {
        auto user = find_by_id_in(c, id);
        if (!user)
            return {outcome::not_found, std::nullopt};
        if (user->is_admin == is_admin)
            return {outcome::done, user};
        if (!is_admin) {
            if (user->is_active && !another_admin_in(c, id))
                return {outcome::last_admin, user};
            // Every token issued up to this second claims is_admin: true.
            c.execute("UPDATE users SET is_admin = 0, tokens_not_before = $1, revoked_at = $2 "
                      "WHERE id = $3",
                      {std::max(user->tokens_not_before, now + 1), now, id});
        } else {
            c.execute("UPDATE users SET is_admin = 1 WHERE id = $1", {id});
        }
        return {outcome::done, find_by_id_in(c, id)};
    };
    co_return co_await db_.run(change);
}

net::awaitable<user_store::change_result> user_store::deactivate(std::int64_t id)
{
    auto const now = auth::unix_seconds();
    auto change = [&](store::connection& c) -> change_result {
        auto user = find_by_id_in(c, id);
        if (!user)
            return {outcome::not_found, std::nullopt};
        if (!user->is_active)
            return {outcome::done, user};
        if (user->is_admin && !another_admin_in(c, id))
            return {outcome::last_admin, user};
        c.execute("UPDATE users SET is_active = 0, revoked_at = $1 WHERE id = $2", {now, id});
        return {outcome::done, find_by_id_in(c, id)};
    };
    co_return co_await db_.run(change);
}

net::awaitable<std::vector<auth::revocation>> user_store::revocations()
{
    auto const since = auth::unix_seconds() - auth::revocation_horizon.count();
    auto list = [since](store::connection& c) {
        std::vector<auth::revocation> out;
        for (auto const& r : c.query("SELECT id, is_active, tokens_not_before, revoked_at FROM "
                                     "users WHERE revoked_at >= $1 ORDER BY id",
                                     {since}))
            out.push_back({.user_id = r.get<std::int64_t>(0),
                           .not_before = r.get<bool>(1) ? r.get<std::int64_t>(2) : auth::all_tokens,
                           .revoked_at = r.get<std::int64_t>(3)});
        return out;
    };
    co_return co_await db_.run(list);
}

std::optional<user_record> user_store::find_by_username_blocking(std::string const& username)
{
    return db_.run_blocking([&](store::connection& c) { return find_by_username_in(c, username); });
}

user_record user_store::create_blocking(new_user u)
{
    auto result = db_.run_blocking([&](store::connection& c) { return create_in(c, u); });
    if (auto const* rec = std::get_if<user_record>(&result))
        return *rec;
    throw std::runtime_error("cannot create user " + u.username + ": username or email taken");
}

} // namespace parley::auth_app
