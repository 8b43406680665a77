#include "chat/store/chat_store.hpp"

#include "parley/time/utc.hpp"

#include <algorithm>
#include <string>

namespace parley::chat_app {

std::vector<store::migration> chat_migrations()
{
    return {
        {1, R"sql(
CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by  INTEGER,
    created_at  TEXT NOT NULL,
    is_private  INTEGER NOT NULL DEFAULT 0,
    last_seq    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE room_members (
    room_id  INTEGER NOT NULL REFERENCES rooms(id),
    user_id  INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE TABLE messages (
    id        INTEGER PRIMARY KEY,
    room_id   INTEGER NOT NULL REFERENCES rooms(id),
    seq       INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    username  TEXT NOT NULL,
    content   TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    is_file   INTEGER NOT NULL DEFAULT 0,
    file_url  TEXT,
    client_id TEXT NOT NULL,
    UNIQUE (room_id, seq),
    UNIQUE (room_id, user_id, client_id)
);
INSERT INTO rooms (name, description, created_by, created_at, is_private)
VALUES ('General', 'General chat room', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0);
)sql"},
    };
}

bool may_see(room const& r, auth::identity const* viewer, bool is_member)
{
    if (!r.is_private)
        return true;
    return viewer && (viewer->is_admin || is_member);
}

namespace {

std::string room_select(char const* where)
{
    return std::string("SELECT ") + room_columns + " FROM rooms " + where;
}

} // namespace

net::awaitable<chat_store::totals> chat_store::count_all()
{
    auto count = [](store::connection& c) {
        auto row = c.query_one("SELECT count(*), coalesce(sum(last_seq), 0) FROM rooms");
        return totals{row->get<std::int64_t>(0), row->get<std::int64_t>(1)};
    };
    co_return co_await db_.run(count);
}

net::awaitable<std::vector<room>> chat_store::list_rooms(auth::identity const* viewer)
{
    std::int64_t const user_id = viewer ? viewer->user_id : 0;
    bool const admin = viewer && viewer->is_admin;
    auto list = [&](store::connection& c) {
        std::vector<room> out;
        auto rows = c.query(room_select("WHERE is_private = 0 OR $1 = 1 OR id IN "
                                        "(SELECT room_id FROM room_members WHERE user_id = $2) "
                                        "ORDER BY id"),
                            {admin, user_id});
        for (auto const& r : rows)
            out.push_back(room_from(r));
        return out;
    };
    co_return co_await db_.run(list);
}

net::awaitable<std::optional<room>> chat_store::visible_room(std::int64_t id,
                                                             auth::identity const* viewer)
{
    std::int64_t const user_id = viewer ? viewer->user_id : 0;
    auto find = [&](store::connection& c) -> std::optional<room> {
        auto row = c.query_one(room_select("WHERE id = $1"), {id});
        if (!row)
            return std::nullopt;
        auto r = room_from(*row);
        bool member = false;
        if (r.is_private && viewer)
            member = c.query_one("SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2",
                                 {id, user_id})
                         .has_value();
        if (!may_see(r, viewer, member))
            return std::nullopt;
        return r;
    };
    co_return co_await db_.run(find);
}

net::awaitable<std::optional<room>> chat_store::create_room(new_room n)
{
    auto now = utc_timestamp_ms();
    auto create = [&](store::connection& c) -> std::optional<room> {
        if (!n.is_private && c.query_one("SELECT 1 FROM rooms WHERE is_private = 0 AND "
                                         "lower(name) = lower($1)",
                                         {n.name}))
            return std::nullopt;
        auto id =
            c.insert("INSERT INTO rooms (name, description, created_by, created_at, is_private) "
                     "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                     {n.name, n.description, n.created_by, now, n.is_private});
        c.execute("INSERT INTO room_members (room_id, user_id, added_at) VALUES ($1, $2, $3)",
                  {id, n.created_by, now});
        return room{.id = id,
                    .name = n.name,
                    .description = n.description,
                    .created_by = n.created_by,
                    .created_at = now,
                    .is_private = n.is_private,
                    .last_seq = 0};
    };
    co_return co_await db_.run(create);
}

net::awaitable<chat_store::update_outcome> chat_store::update_room(std::int64_t id,
                                                                   room_changes changes)
{
    auto update = [&](store::connection& c) -> update_outcome {
        auto row = c.query_one(room_select("WHERE id = $1"), {id});
        if (!row)
            return {};
        auto r = room_from(*row);
        if (changes.name && !r.is_private &&
            c.query_one("SELECT 1 FROM rooms WHERE is_private = 0 AND id <> $1 AND "
                        "lower(name) = lower($2)",
                        {id, *changes.name}))
            return {.updated = std::nullopt, .name_taken = true};
        if (changes.name)
            r.name = *changes.name;
        if (changes.description)
            r.description = *changes.description;
        c.execute("UPDATE rooms SET name = $1, description = $2 WHERE id = $3",
                  {r.name, r.description, id});
        return {.updated = std::move(r), .name_taken = false};
    };
    co_return co_await db_.run(update);
}

net::awaitable<std::vector<std::int64_t>> chat_store::delete_room(std::int64_t id)
{
    auto remove = [&](store::connection& c) {
        std::vector<std::int64_t> members;
        for (auto const& r :
             c.query("SELECT user_id FROM room_members WHERE room_id = $1 ORDER BY user_id", {id}))
            members.push_back(r.get<std::int64_t>(0));
        c.execute("DELETE FROM messages WHERE room_id = $1", {id});
        c.execute("DELETE FROM room_members WHERE room_id = $1", {id});
        c.execute("DELETE FROM rooms WHERE id = $1", {id});
        return members;
    };
    co_return co_await db_.run(remove);
}

net::awaitable<std::vector<message_record>> chat_store::messages(std::int64_t room_id,
                                                                 history_query q)
{
    auto read = [&](store::connection& c) {
        std::string const select =
            std::string("SELECT ") + message_columns + " FROM messages WHERE room_id = $1";
        std::vector<store::row> rows;
        bool newest_first = false;
        if (q.after && q.before) {
            rows = c.query(select + " AND seq > $2 AND seq < $3 ORDER BY seq LIMIT $4",
                           {room_id, *q.after, *q.before, q.limit});
        } else if (q.after) {
            rows = c.query(select + " AND seq > $2 ORDER BY seq LIMIT $3",
                           {room_id, *q.after, q.limit});
        } else if (q.before) {
            rows = c.query(select + " AND seq < $2 ORDER BY seq DESC LIMIT $3",
                           {room_id, *q.before, q.limit});
            newest_first = true;
        } else {
            rows = c.query(select + " ORDER BY seq DESC LIMIT $2", {room_id, q.limit});
            newest_first = true;
        }
        std::vector<message_record> out;
        out.reserve(rows.size());
        for (auto const& r : rows)
            out.push_back(message_from(r));
        if (newest_first)
            std::reverse(out.begin(), out.end());
        return out;
    };
    co_return co_await db_.run(read);
}

net::awaitable<bool> chat_store::add_member(std::int64_t room_id, std::int64_t user_id)
{
    auto now = utc_timestamp_ms();
    auto add = [&](store::connection& c) {
        return c.execute(
                   "INSERT INTO room_members (room_id, user_id, added_at) VALUES ($1, $2, $3) "
                   "ON CONFLICT (room_id, user_id) DO NOTHING",
                   {room_id, user_id, now}) > 0;
    };
    co_return co_await db_.run(add);
}

net::awaitable<bool> chat_store::remove_member(std::int64_t room_id, std::int64_t user_id)
{
    auto remove = [&](store::connection& c) {
        return c.execute("DELETE FROM room_members WHERE room_id = $1 AND user_id = $2",
                         {room_id, user_id}) > 0;
    };
    co_return co_await db_.run(remove);
}

net::awaitable<std::vector<std::int64_t>> chat_store::members(std::int64_t room_id)
{
    auto list = [&](store::connection& c) {
        std::vector<std::int64_t> out;
        for (auto const& r : c.query(
                 "SELECT user_id FROM room_members WHERE room_id = $1 ORDER BY user_id", {room_id}))
            out.push_back(r.get<std::int64_t>(0));
        return out;
    };
    co_return co_await db_.run(list);
}

} // namespace parley::chat_app
