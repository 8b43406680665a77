// One database connection, handed to the callable given to database::run() on a store thread.
// See parley/store/database.hpp for how to use the store.
//
// SQL is written once, PostgreSQL style, with $1, $2, ... placeholders bound to `params`; the
// SQLite backend rewrites them to ?1, ?2; PostgreSQL prepares each statement once per connection.
// Values are only ever bound, never spliced into SQL.
//
//   auto rows = c.query("SELECT id, name FROM rooms WHERE created_by = $1", {user_id});
//   auto one  = c.query_one("SELECT * FROM users WHERE username = $1", {name});
//   auto id   = c.insert("INSERT INTO rooms (name) VALUES ($1) RETURNING id", {name});
//   auto n    = c.execute("DELETE FROM sessions WHERE expires_at < $1", {now});
//   auto cnt  = c.query_value<std::int64_t>("SELECT count(*) FROM users");
#pragma once

#include "parley/store/value.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace parley::store {

class connection {
public:
    virtual ~connection() = default;

    // All rows of the statement.
    std::vector<row> query(std::string_view sql, params const& p = {}) { return do_query(sql, p); }

    // The one row of the statement, or nullopt; more than one row throws store::error (a query
    // meant to find one thing that finds several is a bug: add LIMIT 1 when "first" is meant).
    std::optional<row> query_one(std::string_view sql, params const& p = {})
    {
        return do_query_one(sql, p);
    }

    // The first column of query_one() as T (nullopt when there is no row).
    template <class T> std::optional<T> query_value(std::string_view sql, params const& p = {})
    {
        auto r = do_query_one(sql, p);
        if (!r)
            return std::nullopt;
        return r->get<T>(0);
    }

    // Runs a statement that returns no rows we need; returns the number of rows it changed.
    std::int64_t execute(std::string_view sql, params const& p = {}) { return do_execute(sql, p); }

    // Runs `INSERT ... RETURNING id` (SQLite >= 3.35 and PostgreSQL both have it) and returns
    // the id. Throws store::error when the statement returns no integer.
    std::int64_t insert(std::string_view sql, params const& p = {});

protected:
    virtual std::vector<row> do_query(std::string_view sql, params const& p) = 0;
    virtual std::optional<row> do_query_one(std::string_view sql, params const& p) = 0;
    virtual std::int64_t do_execute(std::string_view sql, params const& p) = 0;
};

} // namespace parley::store
