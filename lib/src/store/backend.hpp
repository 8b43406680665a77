// What a store backend (SQLite, PostgreSQL) provides to store::database.
#pragma once

#include "parley/net.hpp"
#include "parley/store/database.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::store {

class database::backend {
public:
    using job = std::function<void(connection&)>;
    using completion = net::any_completion_handler<void(std::exception_ptr)>;

    virtual ~backend() = default;

    virtual std::string_view name() const noexcept = 0;
    // Whether the calling thread is one of the backend's own (where blocking on it deadlocks).
    virtual bool on_store_thread() const = 0;

    // Runs `j` in one transaction (commit when it returns; roll back when it throws), never on
    // the calling thread, then calls `done` with the exception, if any, on a backend thread.
    // Returns at once.
    virtual void start(job j, completion done) = 0;
    // start() and wait for it, from any thread but the backend's own; rethrows the job's failure.
    void run_blocking(job j);

    // Blocking, from any thread but the backend's own.
    virtual void migrate(std::vector<migration> const& migrations) = 0;
    virtual std::int64_t schema_version() = 0;
};

// lib/src/store/sqlite_backend.cpp; path is a file path or ":memory:".
std::unique_ptr<database::backend> make_sqlite_backend(std::string const& path);

// lib/src/store/pg_backend.cpp; url is a postgres:// URL. Connects once before returning
// (throws store::error when it cannot).
std::unique_ptr<database::backend> make_pg_backend(std::string_view url,
                                                   database_options const& options);

// Rewrites PostgreSQL-style $N placeholders to SQLite's ?N outside string literals, quoted
// identifiers and comments. Throws store::error on a bare '?' (not portable to PostgreSQL).
std::string rewrite_placeholders(std::string_view sql);
// The highest N of the $N placeholders (the number of parameters the statement takes), 0 when
// none. Throws store::error on a bare '?'.
std::size_t highest_placeholder(std::string_view sql);

// Checks a migration list (positive, unique versions) and returns it in version order.
std::vector<migration> sorted_migrations(std::vector<migration> const& migrations);

} // namespace parley::store
