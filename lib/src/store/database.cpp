#include "parley/store/database.hpp"

#include "store/backend.hpp"

#include <atomic>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
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
    if (starts_with(url, "postgres://") || starts_with(url, "postgresql://"))
        throw error("store: PostgreSQL support is not built yet");
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
        std::error_code ec;
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec)
            throw error("store: cannot create the folder of " + file.string() + ": " +
                        ec.message());
    }
    return file.string();
}

// Starts a job on the store thread; completes on the caller's executor with the exception,
// if any. The caller's executor is kept busy meanwhile: its io_context must not run out of work
// while the only thing left is this job on another thread.
struct run_initiation {
    database::backend* backend;

    template <class Handler>
    void operator()(Handler&& handler, std::function<void(connection&)> job) const
    {
        auto caller = net::prefer(net::get_associated_executor(handler),
                                  net::execution::outstanding_work.tracked);
        auto* b = backend;
        auto task = [b, job = std::move(job), handler = std::forward<Handler>(handler),
                     caller = std::move(caller)]() mutable {
            std::exception_ptr e;
            try {
                b->transaction(job);
            } catch (...) {
                e = std::current_exception();
            }
            job = nullptr; // release what the job captured here, not on the caller's thread
            // The work guard travels with the completion and ends on the caller's thread: once
            // the caller has resumed, its io_context may be gone, so this thread must not hold
            // (and later release) a tracked executor of it.
            auto target = net::prefer(caller, net::execution::outstanding_work.untracked);
            // Nor may the caller resume while this thread is still inside post(): after queueing
            // the completion, post() wakes the caller's thread through its event loop's condition
            // variable, which is destroyed with the io_context (a race ThreadSanitizer reports).
            // The completion waits, rarely more than a few instructions, until post() returned.
            auto posted = std::make_shared<std::atomic<bool>>(false);
            auto complete = [handler = std::move(handler), e, work = std::move(caller),
                             posted]() mutable {
                while (!posted->load(std::memory_order_acquire))
                    std::this_thread::yield();
                std::move(handler)(e);
            };
            net::post(target, std::move(complete));
            posted->store(true, std::memory_order_release);
        };
        net::post(backend->executor(), std::move(task));
    }
};

} // namespace

database database::open(std::string_view url)
{
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

namespace {
template <class F> auto blocking(database::backend& b, F f)
{
    if (b.on_store_thread())
        throw std::logic_error("store: blocking call from the store thread would deadlock");
    // Shared: the store thread may still be inside task() when get() returns here.
    auto task = std::make_shared<std::packaged_task<std::invoke_result_t<F&>()>>(std::move(f));
    auto result = task->get_future();
    net::post(b.executor(), [task] { (*task)(); });
    return result.get(); // rethrows
}
} // namespace

void database::run_job_blocking(std::function<void(connection&)> const& job)
{
    auto& b = checked_backend();
    blocking(b, [&] { b.transaction(job); });
}

void database::migrate(std::vector<migration> const& migrations)
{
    auto& b = checked_backend();
    blocking(b, [&] { b.migrate(migrations); });
}

std::int64_t database::schema_version()
{
    auto& b = checked_backend();
    return blocking(b, [&] { return b.schema_version(); });
}

std::string_view database::backend_name() const
{
    return checked_backend().name();
}

} // namespace parley::store
