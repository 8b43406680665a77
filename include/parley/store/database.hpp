// The SQL store every service uses: SQLite3 now, PostgreSQL (libpq) later behind the same API.
//
//   auto db = store::database::open(cfg.database_url);  // "var/auth.db", "sqlite:///abs/x.db",
//                                                       // "sqlite::memory:" (postgres:// later)
//   db.migrate({{1, "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE)"},
//               {2, "ALTER TABLE users ADD COLUMN bio TEXT"}});   // at startup, blocking
//
//   // In a handler (any executor): the callable runs on the store's own thread, in one
//   // transaction, and the coroutine resumes on its own executor with the result.
//   auto find = [&](store::connection& c) {
//       return c.query_one("SELECT id, username FROM users WHERE username = $1", {name});
//   };
//   std::optional<store::row> user = co_await db.run(find);
//
// Exceptions thrown by the callable (or by SQL) roll the transaction back and propagate to the
// awaiting coroutine; a duplicate key is a store::constraint_error with kind() == unique.
//
// Blocking calls never run on an I/O thread: all SQL runs on the one store thread the database
// owns, one run() after another. Keep callables short; they must not co_await or touch I/O.
#pragma once

#include "parley/net.hpp"
#include "parley/store/connection.hpp"
#include "parley/store/value.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace parley::store {

// One schema step. Versions are positive and unique; each is applied once, in version order,
// in its own transaction, and recorded in the schema_migrations table. `sql` may hold several
// statements but no BEGIN/COMMIT of its own.
struct migration {
    std::int64_t version = 0;
    std::string sql;
};

class database {
public:
    // Opens (creating the file and its parent folders if needed) and sets the pragmas: WAL,
    // synchronous=NORMAL, foreign_keys=ON, busy_timeout 5000 ms. Throws store::error.
    static database open(std::string_view url);

    database(database&&) noexcept;
    database& operator=(database&&) noexcept;
    ~database(); // finishes the queued work, then closes

    // Runs f(connection&) in one transaction on the store thread; awaitable from any executor,
    // resumes on the caller's executor with f's result or exception (which rolled back).
    template <class F> auto run(F f) -> net::awaitable<std::invoke_result_t<F&, connection&>>
    {
        using result_type = std::invoke_result_t<F&, connection&>;
        if constexpr (std::is_void_v<result_type>) {
            std::function<void(connection&)> job = [&f](connection& c) { f(c); };
            co_await run_job(std::move(job));
        } else {
            std::optional<result_type> result;
            std::function<void(connection&)> job = [&f, &result](connection& c) {
                result.emplace(f(c));
            };
            co_await run_job(std::move(job));
            co_return std::move(*result);
        }
    }

    // The same, blocking the calling thread: for startup code, tools and tests, never on an
    // I/O thread. Throws std::logic_error when called from the store thread itself.
    template <class F> auto run_blocking(F f) -> std::invoke_result_t<F&, connection&>
    {
        using result_type = std::invoke_result_t<F&, connection&>;
        if constexpr (std::is_void_v<result_type>) {
            run_job_blocking([&f](connection& c) { f(c); });
        } else {
            std::optional<result_type> result;
            run_job_blocking([&f, &result](connection& c) { result.emplace(f(c)); });
            return std::move(*result);
        }
    }

    // Applies the migrations not applied yet (blocking; call at startup). Safe to call on every
    // start, and when several processes start on the same file at once.
    void migrate(std::vector<migration> const& migrations);

    // The highest applied migration version, 0 when none.
    std::int64_t schema_version();

    // "sqlite" (later "postgres"), for logs and /health.
    std::string_view backend_name() const;

    class backend; // lib/src/store

private:
    explicit database(std::unique_ptr<backend> b);
    net::awaitable<void> run_job(std::function<void(connection&)> job);
    void run_job_blocking(std::function<void(connection&)> const& job);
    backend& checked_backend() const;

    std::unique_ptr<backend> backend_;
};

} // namespace parley::store
