#include "parley/store/database.hpp"

#include "fs/private_files.hpp"
#include "parley/runtime/completion.hpp"
#include "store/backend.hpp"
#include "store/pg_url.hpp"

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/system_executor.hpp>
#include <exception>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace parley::store {

namespace {

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.starts_with(prefix);
}

std::string sqlite_path_of(std::string_view url)
{
    if (url.empty())
        throw error("store: empty database URL");
    if (url == "sqlite::memory:" || url == ":memory:")
        return ":memory:";
    std::string_view path = url;
    if (starts_with(url, "sqlite://")) {
        path = url.substr(std::string_view("sqlite://").size()); // sqlite:///abs -> /abs
        if (path.empty())
            throw error("store: database URL names no file: " + std::string(url));
    } else if (url.find("://") != std::string_view::npos || starts_with(url, "sqlite:")) {
        throw error("store: unsupported database URL: " + std::string(url));
    }
    std::filesystem::path file(path);
    if (file.has_parent_path()) {
        try {
            fs::create_private_directories(file.parent_path()); // new folders 0700
        } catch (std::system_error const& e) {
            throw error("store: cannot create the folder of " + file.string() + ": " + e.what());
        }
    }
    return file.string();
}

// Starts a job on the backend; completes on the caller's executor with the exception, if any.
// The caller's executor is kept busy meanwhile: its io_context must not run out of work while the
// only thing left is this job on another thread.
struct run_initiation {
    database::backend* backend;

    template <class Handler>
    void operator()(Handler&& handler, std::function<void(connection&)> job) const
    {
        // A handler without an executor of its own (never the case for use_awaitable) completes
        // on the system executor.
        auto caller = track(handler, net::system_executor());
        auto done = [handler = std::forward<Handler>(handler),
                     caller = std::move(caller)](std::exception_ptr e) mutable {
            complete_on(std::move(caller), std::move(handler), e);
        };
        backend->start(std::move(job), database::backend::completion(std::move(done)));
    }
};

} // namespace

database database::open(std::string_view url, database_options const& options)
{
    if (pg::is_postgres_url(url))
        return database(make_pg_backend(url, options));
    return database(make_sqlite_backend(sqlite_path_of(url)));
}

database::database(std::unique_ptr<backend> b) : backend_(std::move(b)) {}
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;
database::~database() = default;

database::backend& database::checked_backend() const
{
    if (!backend_)
        throw std::logic_error("store: use of a moved-from database");
    return *backend_;
}

net::awaitable<void> database::run_job(std::function<void(connection&)> job)
{
    auto& b = checked_backend();
    return net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr)>(
        run_initiation{&b}, net::use_awaitable, std::move(job));
}

void database::run_job_blocking(std::function<void(connection&)> const& job)
{
    auto& b = checked_backend();
    if (b.on_store_thread())
        throw std::logic_error("store: blocking call from a store thread would deadlock");
    b.run_blocking(job);
}

void database::backend::run_blocking(job j)
{
    // Shared: the store thread may still be inside set_value() when get() returns here.
    // The failure travels as a value that get() moves out: the store thread, which may release
    // the shared state last, then frees no exception the caller is still reading.
    auto finished = std::make_shared<std::promise<std::exception_ptr>>();
    auto result = finished->get_future();
    auto done = [finished](std::exception_ptr e) { finished->set_value(std::move(e)); };
    start(std::move(j), completion(std::move(done)));
    if (auto e = result.get())
        std::rethrow_exception(e);
}

void database::migrate(std::vector<migration> const& migrations)
{
    auto& b = checked_backend();
    if (b.on_store_thread())
        throw std::logic_error("store: blocking call from a store thread would deadlock");
    b.migrate(migrations);
}

std::int64_t database::schema_version()
{
    auto& b = checked_backend();
    if (b.on_store_thread())
        throw std::logic_error("store: blocking call from a store thread would deadlock");
    return b.schema_version();
}

std::vector<migration> sorted_migrations(std::vector<migration> const& migrations)
{
    auto sorted = migrations;
    std::sort(sorted.begin(), sorted.end(),
              [](auto const& a, auto const& b) { return a.version < b.version; });
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (sorted[i].version <= 0)
            throw error("store: migration versions must be positive");
        if (i > 0 && sorted[i].version == sorted[i - 1].version)
            throw error("store: duplicate migration version " + std::to_string(sorted[i].version));
    }
    return sorted;
}

std::string_view database::backend_name() const
{
    return checked_backend().name();
}

} // namespace parley::store
