// The PostgreSQL backend (libpq), without a blocking call on any I/O thread and without a thread
// per query.
//
// Threads: the backend owns one io_context and one thread running it. Pool: `pool` workers, each
// a stackful coroutine (asio::spawn on Boost.Context) owning at most one connection. A worker
// takes the next queued run() job, opens a transaction and calls the job, whose synchronous
// query()/execute() send the statement with libpq's non-blocking calls (PQsendQueryPrepared,
// PQflush, PQconsumeInput, PQisBusy) and suspend the worker on its socket (async_wait on a
// stream_descriptor wrapping PQsocket, released, never closed, by us) until the result is in.
// So up to `pool` transactions are in flight on the one thread, each waiting on its own socket.
//
// Prepared statements: each SQL text (with its parameter types) is prepared once per connection
// (PQsendPrepare) and executed by name afterwards; parameters and results use the text format
// (store/pg_value.hpp converts it).
//
// Connections are opened lazily (the first one eagerly, in open(), so that a bad URL or password
// fails at start) and replaced after they break: a statement on a lost connection throws
// store::error (callers answer "unavailable"); the next job reconnects. A connection found dead
// when a job begins (the server restarted while it was idle) is replaced at once, before the job
// runs, so the job does not fail for it. Failed connection attempts back off (50 ms doubling to
// 2 s, jittered): meanwhile jobs that need a new connection fail at once instead of each waiting
// for the connect timeout.
#include "parley/log/log.hpp"
#include "store/backend.hpp"
#include "store/pg_url.hpp"
#include "store/pg_value.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <deque>
#include <libpq-fe.h>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace parley::store {

namespace {

using executor_type = net::io_context::executor_type;
using yield_context = net::basic_yield_context<executor_type>;
using descriptor = net::posix::basic_stream_descriptor<executor_type>;
using timer = net::basic_waitable_timer<clock, net::wait_traits<clock>, executor_type>;

constexpr std::size_t max_cached_statements = 512;
// Jobs run on these stacks (mapped, with a guard page; pages are committed when touched).
constexpr std::size_t worker_stack_bytes = 512 * 1024;
constexpr auto first_backoff = std::chrono::milliseconds(50);
constexpr auto max_backoff = std::chrono::milliseconds(2000);
// pg_advisory_xact_lock key serialising migrations of one database ("parley" in ASCII).
constexpr char const* migration_lock_sql = "SELECT pg_advisory_xact_lock(112568767309177)";

// The connection is gone (server restart, network): the job fails with this store::error, and
// the worker replaces the connection before its next job.
class connection_lost : public error {
public:
    using error::error;
};

struct result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

constraint_kind kind_of(std::string_view state)
{
    if (state == "23505")
        return constraint_kind::unique;
    if (state == "23503")
        return constraint_kind::foreign_key;
    if (state == "23502")
        return constraint_kind::not_null;
    if (state == "23514")
        return constraint_kind::check;
    return constraint_kind::other;
}

// Class 08 (connection exception) and 57P01-03 (admin or crash shutdown, cannot connect now).
bool is_connection_state(std::string_view state)
{
    return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}

std::string trimmed(char const* text)
{
    std::string s = text ? text : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

std::string context_of(std::string_view sql)
{
    return std::string(sql.substr(0, 200));
}

void log_notice(void*, char const* message)
{
    log::debug("postgres notice", {{"message", trimmed(message)}});
}

class pg_backend;

// One pooled connection and the coroutine using it; the store::connection handed to jobs.
class pg_worker final : public connection {
public:
    explicit pg_worker(pg_backend& backend);
    ~pg_worker() override { disconnect(); }
    pg_worker(pg_worker const&) = delete;
    pg_worker& operator=(pg_worker const&) = delete;

    void run(yield_context yield); // the worker's loop, until the backend stops
    void wake() { wake_.cancel(); }

    // Runs SQL text without parameters, possibly several statements (transactions, migrations).
    void simple(std::string const& sql)
    {
        if (!conn_ || !yield_)
            throw connection_lost("store: postgres: no connection (" + context_of(sql) + ")");
        if (!PQsendQuery(conn_, sql.c_str()))
            throw_lost("cannot send a statement", sql);
        await_result(sql);
    }

protected:
    std::vector<row> do_query(std::string_view sql, params const& p) override
    {
        auto r = exec(sql, p);
        return rows_of(r.get(), sql);
    }

    std::optional<row> do_query_one(std::string_view sql, params const& p) override
    {
        auto r = exec(sql, p);
        if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) == 0)
            return std::nullopt;
        if (PQntuples(r.get()) > 1)
            throw error("store: query_one() got more than one row: " + std::string(sql));
        auto rows = rows_of(r.get(), sql);
        return std::move(rows.front());
    }

    std::int64_t do_execute(std::string_view sql, params const& p) override
    {
        auto r = exec(sql, p);
        std::string_view const n = PQcmdTuples(r.get());
        std::int64_t changed = 0;
        for (char c : n)
            changed = changed * 10 + (c - '0');
        return changed;
    }

private:
    void transaction(database::backend::job const& job);
    void begin();
    void ensure_connected();
    void connect();
    void disconnect() noexcept;
    void rollback_quietly() noexcept;

    result_ptr exec(std::string_view sql, params const& p);
    std::string const& prepared(std::string_view sql, std::vector<Oid> const& types);
    result_ptr await_result(std::string_view sql);
    void flush(std::string_view sql);
    void wait(descriptor::wait_type what, std::string_view sql);
    [[noreturn]] void throw_lost(std::string_view what, std::string_view sql);
    [[noreturn]] void throw_result_error(PGresult* r, std::string_view sql);
    static std::vector<row> rows_of(PGresult* r, std::string_view sql);

    pg_backend& backend_;
    PGconn* conn_ = nullptr;
    std::optional<descriptor> socket_;
    timer wake_;
    timer connect_timer_;
    std::uint64_t connect_generation_ = 0;
    bool connect_timed_out_ = false;
    yield_context* yield_ = nullptr;                          // while the worker is inside a job
    std::unordered_map<std::string, std::string> statements_; // SQL + types -> statement name
    std::uint64_t statement_counter_ = 0;
};

class pg_backend final : public database::backend {
public:
    pg_backend(pg::url_parts url, std::size_t pool_size)
        : url_(std::move(url)), work_(net::make_work_guard(io_)), rng_(std::random_device{}())
    {
        workers_.reserve(pool_size);
        for (std::size_t i = 0; i < pool_size; ++i)
            workers_.push_back(std::make_unique<pg_worker>(*this));
        running_ = pool_size;
        for (auto& w : workers_) {
            auto body = [w = w.get()](yield_context yield) { w->run(yield); };
            auto finished = [](std::exception_ptr e) {
                if (!e)
                    return;
                try {
                    std::rethrow_exception(e);
                } catch (std::exception const& ex) {
                    log::error("postgres worker failed", {{"error", ex.what()}});
                }
            };
            net::spawn(io_.get_executor(), std::allocator_arg,
                       boost::context::protected_fixedsize_stack(worker_stack_bytes), body,
                       finished);
        }
        thread_ = std::thread([this] { io_.run(); });
    }

    ~pg_backend() override
    {
        // Finish what was queued (no awaiting coroutine is left hanging), then close.
        net::post(io_, [this] {
            stopping_ = true;
            wake_all();
        });
        thread_.join();
        workers_.clear(); // their timers and sockets belong to io_
    }

    std::string_view name() const noexcept override { return "postgres"; }
    bool on_store_thread() const override { return io_.get_executor().running_in_this_thread(); }

    void start(job j, completion done) override
    {
        auto enqueue = [this, j = std::move(j), done = std::move(done)]() mutable {
            queue_.push_back(pending{std::move(j), std::move(done)});
            if (!idle_.empty()) {
                auto* w = idle_.back();
                idle_.pop_back();
                w->wake();
            }
        };
        net::post(io_, std::move(enqueue));
    }

    void migrate(std::vector<migration> const& migrations) override
    {
        for (auto const& m : sorted_migrations(migrations)) {
            auto step = [&m](connection& c) {
                auto& w = static_cast<pg_worker&>(c);
                // Replicas starting at once: one applies each migration, the others wait here
                // and then find it applied.
                w.simple(migration_lock_sql);
                w.simple("CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "version BIGINT PRIMARY KEY, "
                         "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
                if (c.query_one("SELECT 1 FROM schema_migrations WHERE version = $1", {m.version}))
                    return;
                w.simple(m.postgres_sql.empty() ? m.sql : m.postgres_sql);
                c.execute("INSERT INTO schema_migrations (version) VALUES ($1)", {m.version});
            };
            try {
                run_blocking(step);
            } catch (std::exception const& e) {
                throw error("store: migration " + std::to_string(m.version) +
                            " failed: " + e.what());
            }
        }
    }

    std::int64_t schema_version() override
    {
        std::int64_t version = 0;
        run_blocking([&version](connection& c) {
            if (!c.query_value<bool>("SELECT to_regclass('schema_migrations') IS NOT NULL")
                     .value_or(false))
                return;
            version = c.query_value<std::int64_t>("SELECT COALESCE(MAX(version), 0) FROM "
                                                  "schema_migrations")
                          .value_or(0);
        });
        return version;
    }

private:
    friend class pg_worker;

    struct pending {
        job work;
        completion done;
    };

    void wake_all()
    {
        for (auto* w : idle_)
            w->wake();
        idle_.clear();
    }

    // Connection attempts back off after a failure, for every worker of this process.
    bool may_connect_now() const { return clock::now() >= retry_at_; }
    void connect_failed(std::string const& why)
    {
        backoff_ = std::min(std::max(backoff_ * 2, first_backoff), max_backoff);
        std::uniform_int_distribution<long> jitter(0, backoff_.count() / 4);
        retry_at_ = clock::now() + backoff_ + std::chrono::milliseconds(jitter(rng_));
        if (last_error_ != why)
            log::warn("postgres unreachable", {{"url", url_.redacted}, {"error", why}});
        last_error_ = why;
    }
    void connect_succeeded()
    {
        if (!last_error_.empty())
            log::info("postgres reconnected", {{"url", url_.redacted}});
        backoff_ = std::chrono::milliseconds(0);
        retry_at_ = {};
        last_error_.clear();
    }

    pg::url_parts url_;
    mutable net::io_context io_{1};
    net::executor_work_guard<executor_type> work_;
    std::vector<std::unique_ptr<pg_worker>> workers_;
    std::size_t running_ = 0;
    std::deque<pending> queue_;
    std::vector<pg_worker*> idle_;
    bool stopping_ = false;
    std::chrono::milliseconds backoff_{0};
    clock::time_point retry_at_{};
    std::string last_error_;
    std::minstd_rand rng_;
    std::thread thread_;
};

pg_worker::pg_worker(pg_backend& backend)
    : backend_(backend), wake_(backend.io_.get_executor()),
      connect_timer_(backend.io_.get_executor())
{}

void pg_worker::run(yield_context yield)
{
    for (;;) {
        while (backend_.queue_.empty() && !backend_.stopping_) {
            backend_.idle_.push_back(this);
            wake_.expires_at(clock::time_point::max());
            boost::system::error_code ec;
            wake_.async_wait(yield[ec]);
        }
        if (backend_.queue_.empty())
            break; // stopping, and nothing left to do
        auto p = std::move(backend_.queue_.front());
        backend_.queue_.pop_front();
        std::exception_ptr e;
        yield_ = &yield;
        try {
            transaction(p.work);
        } catch (boost::context::detail::forced_unwind const&) {
            throw;
        } catch (...) {
            e = std::current_exception();
        }
        yield_ = nullptr;
        p.work = nullptr; // release what the job captured here, not on the caller's thread
        std::move(p.done)(std::move(e)); // no copy left to release here after the caller resumed
    }
    disconnect();
    if (--backend_.running_ == 0)
        backend_.work_.reset();
}

void pg_worker::transaction(database::backend::job const& job)
{
    begin();
    try {
        job(*this);
        simple("COMMIT");
    } catch (...) {
        rollback_quietly();
        throw;
    }
}

void pg_worker::begin()
{
    bool const reused = conn_ != nullptr;
    ensure_connected();
    try {
        simple("BEGIN");
    } catch (connection_lost const&) {
        if (!reused)
            throw;
        // Died while idle (a server restart): nothing of the job has run; a fresh connection.
        disconnect();
        ensure_connected();
        simple("BEGIN");
    }
}

void pg_worker::ensure_connected()
{
    if (conn_ && PQstatus(conn_) == CONNECTION_OK)
        return;
    disconnect();
    if (!backend_.may_connect_now())
        throw connection_lost("store: postgres: " + backend_.url_.redacted +
                              " unavailable, reconnecting (" + backend_.last_error_ + ")");
    try {
        connect();
    } catch (std::exception const& e) {
        disconnect();
        backend_.connect_failed(e.what());
        throw connection_lost(std::string("store: postgres: ") + e.what());
    }
    backend_.connect_succeeded();
}

void pg_worker::connect()
{
    auto const& url = backend_.url_;
    // Our defaults first: the URL's own parameters (expanded from dbname) override them.
    char const* const keywords[] = {"fallback_application_name",
                                    "client_encoding",
                                    "keepalives_idle",
                                    "keepalives_interval",
                                    "keepalives_count",
                                    "dbname",
                                    nullptr};
    char const* const values[] = {"parley", "UTF8", "30", "10", "3", url.conninfo.c_str(), nullptr};
    conn_ = PQconnectStartParams(keywords, values, 1);
    if (!conn_)
        throw error("cannot connect to " + url.redacted + ": out of memory");
    if (PQstatus(conn_) == CONNECTION_BAD)
        throw error("cannot connect to " + url.redacted + ": " + trimmed(PQerrorMessage(conn_)));
    PQsetNoticeProcessor(conn_, log_notice, nullptr);

    // One deadline for the whole attempt (libpq's own connect_timeout only works when blocking).
    auto const generation = ++connect_generation_;
    connect_timed_out_ = false;
    connect_timer_.expires_after(url.connect_timeout);
    connect_timer_.async_wait([this, generation](boost::system::error_code ec) {
        if (ec || generation != connect_generation_)
            return;
        connect_timed_out_ = true;
        boost::system::error_code ignored;
        if (socket_)
            socket_->cancel(ignored);
    });
    struct end_attempt {
        pg_worker& w;
        ~end_attempt()
        {
            ++w.connect_generation_;
            w.connect_timer_.cancel();
        }
    } guard{*this};

    auto status = PGRES_POLLING_WRITING;
    for (;;) {
        if (status == PGRES_POLLING_OK)
            break;
        if (status == PGRES_POLLING_FAILED)
            throw error("cannot connect to " + url.redacted + ": " +
                        trimmed(PQerrorMessage(conn_)));
        // The socket may change between polls (libpq tries each address in turn).
        int const fd = PQsocket(conn_);
        if (fd < 0)
            throw error("cannot connect to " + url.redacted + ": no socket");
        socket_.emplace(backend_.io_.get_executor(), fd);
        boost::system::error_code ec;
        socket_->async_wait(status == PGRES_POLLING_READING ? descriptor::wait_read
                                                            : descriptor::wait_write,
                            (*yield_)[ec]);
        socket_->release();
        socket_.reset();
        if (connect_timed_out_)
            throw error("cannot connect to " + url.redacted + ": timed out after " +
                        std::to_string(url.connect_timeout.count()) + " ms");
        if (ec)
            throw error("cannot connect to " + url.redacted + ": " + ec.message());
        status = PQconnectPoll(conn_);
    }
    if (PQsetnonblocking(conn_, 1) != 0)
        throw error("cannot connect to " + url.redacted + ": " + trimmed(PQerrorMessage(conn_)));
    socket_.emplace(backend_.io_.get_executor(), PQsocket(conn_));
}

void pg_worker::disconnect() noexcept
{
    if (socket_) {
        socket_->release(); // the fd is libpq's: PQfinish closes it
        socket_.reset();
    }
    if (conn_) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
    statements_.clear();
}

void pg_worker::rollback_quietly() noexcept
{
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
        disconnect();
        return;
    }
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE)
        return;
    try {
        simple("ROLLBACK");
    } catch (...) {
        disconnect();
    }
    if (conn_ && PQtransactionStatus(conn_) != PQTRANS_IDLE)
        disconnect(); // a connection in an unknown state is not reused
}

result_ptr pg_worker::exec(std::string_view sql, params const& p)
{
    if (!conn_ || !yield_)
        throw connection_lost("store: postgres: no connection (" + context_of(sql) + ")");
    std::vector<Oid> types(p.size());
    for (std::size_t i = 0; i < p.size(); ++i)
        types[i] = pg::param_type_oid(p[i]);
    auto const& name = prepared(sql, types);

    std::vector<std::string> numbers(p.size());
    std::vector<char const*> values(p.size(), nullptr);
    for (std::size_t i = 0; i < p.size(); ++i) {
        auto const& v = p[i].get();
        if (auto const* n = std::get_if<std::int64_t>(&v))
            values[i] = (numbers[i] = pg::format_pg_integer(*n)).c_str();
        else if (auto const* d = std::get_if<double>(&v))
            values[i] = (numbers[i] = pg::format_pg_real(*d)).c_str();
        else if (auto const* s = std::get_if<std::string>(&v)) {
            // Text parameters are NUL-terminated for libpq: a NUL inside would cut the value.
            if (s->find('\0') != std::string::npos)
                throw error("store: postgres: text parameter $" + std::to_string(i + 1) +
                            " holds a NUL byte, which PostgreSQL text cannot store (" +
                            context_of(sql) + ")");
            values[i] = s->c_str();
        }
    }
    if (!PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(p.size()), values.data(),
                             nullptr, nullptr, 0))
        throw_lost("cannot send a statement", sql);
    return await_result(sql);
}

std::string const& pg_worker::prepared(std::string_view sql, std::vector<Oid> const& types)
{
    std::string key(sql);
    key.push_back('\0');
    for (auto t : types)
        key.append(std::to_string(t)).push_back(',');
    if (auto it = statements_.find(key); it != statements_.end())
        return it->second;
    // Checked here (as SQLite does) so that a miscounted call fails without ending the
    // transaction on the server.
    auto const expected = highest_placeholder(sql);
    if (expected != types.size())
        throw error("store: statement takes " + std::to_string(expected) + " parameters, " +
                    std::to_string(types.size()) + " given: " + std::string(sql));
    if (statements_.size() >= max_cached_statements) {
        simple("DEALLOCATE ALL");
        statements_.clear();
    }
    auto name = "parley_" + std::to_string(++statement_counter_);
    std::string const text(sql);
    if (!PQsendPrepare(conn_, name.c_str(), text.c_str(), static_cast<int>(types.size()),
                       types.data()))
        throw_lost("cannot prepare a statement", sql);
    await_result(sql);
    return statements_.emplace(std::move(key), std::move(name)).first->second;
}

result_ptr pg_worker::await_result(std::string_view sql)
{
    flush(sql);
    result_ptr last;
    result_ptr failed;
    for (;;) {
        if (!PQconsumeInput(conn_))
            throw_lost("connection lost", sql);
        if (PQisBusy(conn_)) {
            wait(descriptor::wait_read, sql);
            continue;
        }
        result_ptr r(PQgetResult(conn_));
        if (!r)
            break;
        switch (PQresultStatus(r.get())) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
            last = std::move(r);
            break;
        case PGRES_EMPTY_QUERY:
        case PGRES_FATAL_ERROR:
            if (!failed)
                failed = std::move(r);
            break;
        default: // COPY and the like: never sent by the store; leave no connection half-way
            throw_lost("unexpected result", sql);
        }
    }
    if (failed)
        throw_result_error(failed.get(), sql);
    if (!last)
        throw_lost("no result", sql);
    return last;
}

void pg_worker::flush(std::string_view sql)
{
    for (;;) {
        int const r = PQflush(conn_);
        if (r == 0)
            return;
        if (r < 0)
            throw_lost("cannot send a statement", sql);
        // Our statements are small and sent one at a time: the server reads them without
        // waiting on us, so waiting for writability alone cannot deadlock.
        wait(descriptor::wait_write, sql);
        if (!PQconsumeInput(conn_))
            throw_lost("connection lost", sql);
    }
}

void pg_worker::wait(descriptor::wait_type what, std::string_view sql)
{
    boost::system::error_code ec;
    socket_->async_wait(what, (*yield_)[ec]);
    if (ec)
        throw_lost(ec.message(), sql);
}

void pg_worker::throw_lost(std::string_view what, std::string_view sql)
{
    std::string message = "store: postgres: " + std::string(what);
    if (conn_) {
        auto const detail = trimmed(PQerrorMessage(conn_));
        if (!detail.empty())
            message += ": " + detail;
    }
    message += " (" + context_of(sql) + ")";
    disconnect();
    throw connection_lost(message);
}

void pg_worker::throw_result_error(PGresult* r, std::string_view sql)
{
    char const* state_text = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    std::string_view const state = state_text ? state_text : "";
    std::string message = "store: postgres: ";
    if (PQresultStatus(r) == PGRES_EMPTY_QUERY)
        message += "empty SQL statement";
    else if (char const* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY))
        message += primary;
    else
        message += trimmed(PQresultErrorMessage(r));
    if (!state.empty())
        message.append(" [").append(state).append("]");
    message += " (" + context_of(sql) + ")";
    if (state.starts_with("23"))
        throw constraint_error(kind_of(state), message);
    if (is_connection_state(state) || !conn_ || PQstatus(conn_) != CONNECTION_OK) {
        disconnect();
        throw connection_lost(message);
    }
    throw error(message);
}

std::vector<row> pg_worker::rows_of(PGresult* r, std::string_view sql)
{
    std::vector<row> rows;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return rows;
    int const fields = PQnfields(r);
    int const tuples = PQntuples(r);
    auto names = std::make_shared<std::vector<std::string>>();
    std::vector<Oid> types(static_cast<std::size_t>(fields));
    names->reserve(static_cast<std::size_t>(fields));
    for (int f = 0; f < fields; ++f) {
        names->emplace_back(PQfname(r, f));
        types[static_cast<std::size_t>(f)] = PQftype(r, f);
    }
    row::names const shared = names;
    rows.reserve(static_cast<std::size_t>(tuples));
    for (int t = 0; t < tuples; ++t) {
        std::vector<value> values;
        values.reserve(static_cast<std::size_t>(fields));
        for (int f = 0; f < fields; ++f) {
            if (PQgetisnull(r, t, f)) {
                values.emplace_back();
                continue;
            }
            std::string_view const text(PQgetvalue(r, t, f),
                                        static_cast<std::size_t>(PQgetlength(r, t, f)));
            auto v = pg::parse_pg_value(types[static_cast<std::size_t>(f)], text);
            if (!v)
                throw error("store: postgres: cannot read column " + std::to_string(f) + " (" +
                            (*names)[static_cast<std::size_t>(f)] + ", type " +
                            std::to_string(types[static_cast<std::size_t>(f)]) + ") of " +
                            context_of(sql));
            values.push_back(std::move(*v));
        }
        rows.emplace_back(std::move(values), shared);
    }
    return rows;
}

} // namespace

std::unique_ptr<database::backend> make_pg_backend(std::string_view url,
                                                   database_options const& options)
{
    auto parts = pg::parse_url(url);
    auto const pool = parts.pool_size.value_or(options.pool_size);
    if (pool < 1 || pool > 256)
        throw error("store: the PostgreSQL pool size must be 1-256 connections");
    auto backend = std::make_unique<pg_backend>(std::move(parts), pool);
    // A bad URL, password or host fails here, at start, with libpq's reason.
    backend->run_blocking([](connection&) {});
    return backend;
}

} // namespace parley::store
