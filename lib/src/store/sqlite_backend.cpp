// The SQLite backend: one connection used only by one dedicated store thread, so the
// connection needs no locking and no blocking call ever runs on an I/O thread.
#include "fs/private_files.hpp"
#include "store/backend.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cctype>
#include <future>
#include <memory>
#include <sqlite3.h>
#include <string>
#include <unordered_map>
#include <variant>

namespace parley::store {

namespace {

constexpr int busy_timeout_ms = 5000;
// Statements are cached per SQL text; SQL is meant to be constant, so this only bounds the
// damage of a caller that builds SQL dynamically.
constexpr std::size_t max_cached_statements = 512;

constraint_kind kind_of(int extended_code)
{
    switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return constraint_kind::unique;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return constraint_kind::foreign_key;
    case SQLITE_CONSTRAINT_NOTNULL:
        return constraint_kind::not_null;
    case SQLITE_CONSTRAINT_CHECK:
        return constraint_kind::check;
    default:
        return constraint_kind::other;
    }
}

// The database file is created 0600 before SQLite opens it: SQLite gives its -wal, -shm and
// -journal files the database file's mode, so they are 0600 too. Files left with looser modes
// (by an older Parley, or a crash) are tightened. In-memory and temporary databases have none.
void make_private(std::string const& path)
{
    if (path.empty() || path == ":memory:")
        return;
    try {
        fs::create_private_file(path);
        for (auto const* suffix : {"-wal", "-shm", "-journal"})
            fs::tighten(path + suffix);
    } catch (std::system_error const& e) {
        throw error("store: cannot prepare SQLite database '" + path + "': " + e.what());
    }
}

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view context)
{
    int const code = db ? sqlite3_extended_errcode(db) : rc;
    std::string message = "store: sqlite: ";
    message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (!context.empty())
        message.append(" (").append(context).append(")");
    if ((code & 0xff) == SQLITE_CONSTRAINT)
        throw constraint_error(kind_of(code), message);
    throw error(message);
}

struct statement_deleter {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_deleter>;

// Leaves a cached statement ready for its next use whatever happens to this one.
struct reset_on_exit {
    sqlite3_stmt* s;
    ~reset_on_exit()
    {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

class sqlite_connection final : public connection {
public:
    explicit sqlite_connection(std::string const& path)
    {
        int const flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        make_private(path);
        int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
        if (rc != SQLITE_OK) {
            std::string message = "store: cannot open SQLite database '" + path +
                                  "': " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
            sqlite3_close(db_);
            db_ = nullptr;
            throw error(message);
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, busy_timeout_ms);
        try {
            // WAL lets readers of other processes proceed during a write; NORMAL is durable
            // across application crashes in WAL mode, which is what a chat store needs.
            exec("PRAGMA journal_mode=WAL");
            exec("PRAGMA synchronous=NORMAL");
            exec("PRAGMA foreign_keys=ON");
        } catch (...) {
            sqlite3_close(db_);
            throw;
        }
    }

    ~sqlite_connection() override
    {
        cache_.clear(); // finalize before close
        sqlite3_close(db_);
    }

    sqlite_connection(sqlite_connection const&) = delete;
    sqlite_connection& operator=(sqlite_connection const&) = delete;

    sqlite3* handle() const noexcept { return db_; }

    // Runs SQL text without parameters (may be several statements): transactions, migrations.
    void exec(std::string const& sql)
    {
        char* message = nullptr;
        int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
        if (message)
            sqlite3_free(message); // sqlite3_errmsg() still holds the same text
        if (rc != SQLITE_OK)
            throw_sqlite(db_, rc, std::string_view(sql).substr(0, 200));
    }

protected:
    std::vector<row> do_query(std::string_view sql, params const& p) override
    {
        auto* s = prepare(sql);
        reset_on_exit reset{s};
        bind(s, p, sql);
        auto names = column_names(s);
        std::vector<row> rows;
        for (;;) {
            int rc = sqlite3_step(s);
            if (rc == SQLITE_DONE)
                return rows;
            if (rc != SQLITE_ROW)
                throw_sqlite(db_, rc, sql);
            rows.push_back(read_row(s, names));
        }
    }

    std::optional<row> do_query_one(std::string_view sql, params const& p) override
    {
        auto* s = prepare(sql);
        reset_on_exit reset{s};
        bind(s, p, sql);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
            return std::nullopt;
        if (rc != SQLITE_ROW)
            throw_sqlite(db_, rc, sql);
        auto result = read_row(s, column_names(s));
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            throw error("store: query_one() got more than one row: " + std::string(sql));
        if (rc != SQLITE_DONE)
            throw_sqlite(db_, rc, sql);
        return result;
    }

    std::int64_t do_execute(std::string_view sql, params const& p) override
    {
        auto* s = prepare(sql);
        reset_on_exit reset{s};
        bind(s, p, sql);
        for (;;) {
            int rc = sqlite3_step(s);
            if (rc == SQLITE_DONE)
                return sqlite3_changes64(db_);
            if (rc != SQLITE_ROW)
                throw_sqlite(db_, rc, sql);
        }
    }

private:
    sqlite3_stmt* prepare(std::string_view sql)
    {
        std::string key(sql);
        if (auto it = cache_.find(key); it != cache_.end())
            return it->second.get();

        auto const text = rewrite_placeholders(sql);
        sqlite3_stmt* raw = nullptr;
        char const* tail = nullptr;
        int rc = sqlite3_prepare_v3(db_, text.data(), static_cast<int>(text.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, &tail);
        statement_ptr s(raw);
        if (rc != SQLITE_OK)
            throw_sqlite(db_, rc, sql);
        if (!s)
            throw error("store: empty SQL statement");
        // One statement per call: a second one would silently never run.
        auto const* end = text.data() + text.size();
        if (std::any_of(tail, end, [](char c) {
                return !std::isspace(static_cast<unsigned char>(c)) && c != ';';
            }))
            throw error("store: one SQL statement per call: " + std::string(sql));

        if (cache_.size() >= max_cached_statements)
            cache_.clear();
        return cache_.emplace(std::move(key), std::move(s)).first->second.get();
    }

    void bind(sqlite3_stmt* s, params const& p, std::string_view sql)
    {
        int const expected = sqlite3_bind_parameter_count(s);
        if (static_cast<std::size_t>(expected) != p.size())
            throw error("store: statement takes " + std::to_string(expected) + " parameters, " +
                        std::to_string(p.size()) + " given: " + std::string(sql));
        for (std::size_t i = 0; i < p.size(); ++i) {
            int const index = static_cast<int>(i + 1);
            int rc = std::visit(
                [&](auto const& v) -> int {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, std::nullptr_t>)
                        return sqlite3_bind_null(s, index);
                    else if constexpr (std::is_same_v<T, std::int64_t>)
                        return sqlite3_bind_int64(s, index, v);
                    else if constexpr (std::is_same_v<T, double>)
                        return sqlite3_bind_double(s, index, v);
                    else // the params outlive the statement's use: no copy needed
                        return sqlite3_bind_text64(s, index, v.data(), v.size(), SQLITE_STATIC,
                                                   SQLITE_UTF8);
                },
                p[i].get());
            if (rc != SQLITE_OK)
                throw_sqlite(db_, rc, sql);
        }
    }

    static row::names column_names(sqlite3_stmt* s)
    {
        int const n = sqlite3_column_count(s);
        auto names = std::make_shared<std::vector<std::string>>();
        names->reserve(n);
        for (int i = 0; i < n; ++i) {
            char const* name = sqlite3_column_name(s, i);
            names->emplace_back(name ? name : "");
        }
        return names;
    }

    static row read_row(sqlite3_stmt* s, row::names const& names)
    {
        int const n = sqlite3_column_count(s);
        std::vector<value> values;
        values.reserve(n);
        for (int i = 0; i < n; ++i) {
            switch (sqlite3_column_type(s, i)) {
            case SQLITE_INTEGER:
                values.emplace_back(sqlite3_column_int64(s, i));
                break;
            case SQLITE_FLOAT:
                values.emplace_back(sqlite3_column_double(s, i));
                break;
            case SQLITE_NULL:
                values.emplace_back();
                break;
            default: { // TEXT or BLOB: the bytes as stored
                auto const* data = static_cast<char const*>(sqlite3_column_blob(s, i));
                auto const size = static_cast<std::size_t>(sqlite3_column_bytes(s, i));
                values.emplace_back(std::string(data ? data : "", data ? size : 0));
            }
            }
        }
        return row(std::move(values), names);
    }

    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, statement_ptr> cache_;
};

class sqlite_backend final : public database::backend {
public:
    explicit sqlite_backend(std::string const& path) : connection_(path) {}

    ~sqlite_backend() override
    {
        // Finish what was queued (so no awaiting coroutine is left hanging), then close.
        thread_.join();
    }

    std::string_view name() const noexcept override { return "sqlite"; }
    bool on_store_thread() const override
    {
        return thread_.get_executor().running_in_this_thread();
    }

    void start(job j, completion done) override
    {
        auto task = [this, j = std::move(j), done = std::move(done)]() mutable {
            std::exception_ptr e;
            try {
                transaction(j);
            } catch (...) {
                e = std::current_exception();
            }
            j = nullptr; // release what the job captured here, not on the caller's thread
            std::move(done)(std::move(e)); // no copy left to release here after the caller resumed
        };
        net::post(thread_.get_executor(), std::move(task));
    }

    void migrate(std::vector<migration> const& migrations) override
    {
        on_thread([&] { migrate_here(migrations); });
    }

    std::int64_t schema_version() override
    {
        return on_thread([&] { return schema_version_here(); });
    }

private:
    template <class F> auto on_thread(F f) -> std::invoke_result_t<F&>
    {
        // Shared: the store thread may still be inside task() when get() returns here.
        auto task = std::make_shared<std::packaged_task<std::invoke_result_t<F&>()>>(std::move(f));
        auto result = task->get_future();
        net::post(thread_.get_executor(), [task] { (*task)(); });
        return result.get(); // rethrows
    }

    void transaction(std::function<void(connection&)> const& job)
    {
        // IMMEDIATE takes the write lock up front: a deferred transaction that later writes
        // can fail with SQLITE_BUSY without waiting for the busy timeout.
        connection_.exec("BEGIN IMMEDIATE");
        try {
            job(connection_);
            connection_.exec("COMMIT");
        } catch (...) {
            rollback();
            throw;
        }
    }

    void migrate_here(std::vector<migration> const& migrations)
    {
        auto const sorted = sorted_migrations(migrations);
        ensure_migrations_table();
        for (auto const& m : sorted) {
            connection_.exec("BEGIN IMMEDIATE");
            try {
                // Checked inside the write transaction: another process starting on the same
                // file at the same time applies each migration once, not twice.
                auto done = connection_.query_one(
                    "SELECT 1 FROM schema_migrations WHERE version = $1", {m.version});
                if (!done) {
                    connection_.exec(m.sql);
                    connection_.execute("INSERT INTO schema_migrations (version) VALUES ($1)",
                                        {m.version});
                }
                connection_.exec("COMMIT");
            } catch (std::exception const& e) {
                rollback();
                throw error("store: migration " + std::to_string(m.version) +
                            " failed: " + e.what());
            }
        }
    }

    std::int64_t schema_version_here()
    {
        ensure_migrations_table();
        return connection_
            .query_value<std::int64_t>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            .value_or(0);
    }

    void ensure_migrations_table()
    {
        connection_.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "version BIGINT PRIMARY KEY, "
                         "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    }

    void rollback() noexcept
    {
        if (!sqlite3_get_autocommit(connection_.handle()))
            sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }

    sqlite_connection connection_;
    // Declared after the connection so that it stops (it is joined in the destructor anyway)
    // before the connection closes.
    mutable net::thread_pool thread_{1};
};

} // namespace

std::unique_ptr<database::backend> make_sqlite_backend(std::string const& path)
{
    if (sqlite3_threadsafe() == 0)
        throw error("store: this SQLite library was built without thread support");
    return std::make_unique<sqlite_backend>(path);
}

} // namespace parley::store
