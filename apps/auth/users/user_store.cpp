#include "auth/users/user_store.hpp"

#include "parley/time/utc.hpp"

#include <chrono>
#include <ctime>

namespace parley::auth_app {

namespace {

constexpr char const* user_columns = "id, username, email, password_hash, is_admin, created_at";

user_record from_row(store::row const& r)
{
    return {.id = r.get<std::int64_t>("id"),
            .username = r.get<std::string>("username"),
            .email = r.get<std::string>("email"),
            .password_hash = r.get<std::string>("password_hash"),
            .is_admin = r.get<bool>("is_admin"),
            .created_at = r.get<std::string>("created_at")};
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
                    .created_at = utc_timestamp()};
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
    };
}

boost::json::object to_json(user_record const& u, bool with_email)
{
    boost::json::object o{{"id", u.id}, {"username", u.username}};
    if (with_email)
        o["email"] = u.email;
    o["is_admin"] = u.is_admin;
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
    auto find = [&](store::connection& c) -> std::optional<user_record> {
        auto r =
            c.query_one(std::string("SELECT ") + user_columns + " FROM users WHERE id = $1", {id});
        if (!r)
            return std::nullopt;
        return from_row(*r);
    };
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
