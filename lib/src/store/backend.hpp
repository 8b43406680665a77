// What a store backend (SQLite now, PostgreSQL later) provides to store::database.
#pragma once

#include "parley/net.hpp"
#include "parley/store/database.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::store {

class database::backend {
public:
    virtual ~backend() = default;

    virtual std::string_view name() const noexcept = 0;
    // Where jobs are posted: the store thread(s).
    virtual net::any_io_executor executor() = 0;
    virtual bool on_store_thread() const = 0;

    // The following run on executor() only.
    // Runs job in one transaction: commit when it returns, roll back and rethrow when it throws.
    virtual void transaction(std::function<void(connection&)> const& job) = 0;
    virtual void migrate(std::vector<migration> const& migrations) = 0;
    virtual std::int64_t schema_version() = 0;
};

// lib/src/store/sqlite_backend.cpp; path is a file path or ":memory:".
std::unique_ptr<database::backend> make_sqlite_backend(std::string const& path);

// Rewrites PostgreSQL-style $N placeholders to SQLite's ?N outside string literals, quoted
// identifiers and comments. Throws store::error on a bare '?' (not portable to PostgreSQL).
std::string rewrite_placeholders(std::string_view sql);

} // namespace parley::store
