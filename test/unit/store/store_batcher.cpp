#include "parley/store/batcher.hpp"
#include "support/run.hpp"
#include "unit/store/backends.hpp"

#include <atomic>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>
#include <thread>

using namespace parley;
using store::connection;
using test::all_backends;
using test::backend;

namespace {

store::database counter_db(backend kind)
{
    auto db = test::fresh_database(kind);
    db.migrate({{1, "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
                    "INSERT INTO counter (id, n) VALUES (1, 0);"
                    "CREATE TABLE items (seq INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"}});
    return db;
}

// Each item gets the next number of the counter; a name seen before gets its earlier number.
std::vector<std::int64_t> number_items(connection& c, std::span<std::string> names)
{
    std::vector<std::int64_t> out;
    auto n = c.query_value<std::int64_t>("SELECT n FROM counter WHERE id = 1").value();
    for (auto const& name : names) {
        if (name == "fail")
            throw std::runtime_error("bad item");
        if (auto seen =
                c.query_value<std::int64_t>("SELECT seq FROM items WHERE name = $1", {name})) {
            out.push_back(*seen);
            continue;
        }
        ++n;
        c.execute("INSERT INTO items (seq, name) VALUES ($1, $2)", {n, name});
        out.push_back(n);
    }
    c.execute("UPDATE counter SET n = $1 WHERE id = 1", {n});
    return out;
}

using number_batcher = store::batcher<std::string, std::int64_t>;

net::awaitable<std::int64_t> submit_one(std::shared_ptr<number_batcher> b, std::string name)
{
    co_return co_await b->submit(std::move(name));
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_batcher)

PARLEY_STORE_TEST_CASE(concurrent_submitters_share_transactions_and_get_their_own_results)
{
    auto db = counter_db(kind);
    net::thread_pool pool(2);
    std::vector<std::int64_t> committed_order;
    auto committed = [&](std::span<std::string>, std::span<std::int64_t> results) {
        committed_order.insert(committed_order.end(), results.begin(), results.end());
    };
    auto b = number_batcher::create(db, pool.get_executor(), number_items, committed);

    constexpr int n = 300;
    std::vector<std::int64_t> results(n, -1);
    net::io_context io;
    for (int i = 0; i < n; ++i) {
        auto store_result = [&results, i](std::exception_ptr e, std::int64_t r) {
            if (!e)
                results[i] = r;
        };
        net::co_spawn(io, submit_one(b, "item-" + std::to_string(i)), store_result);
    }
    io.run_for(std::chrono::seconds(20));

    std::set<std::int64_t> distinct(results.begin(), results.end());
    BOOST_TEST(distinct.size() == std::size_t(n));
    BOOST_TEST(*distinct.begin() == 1);
    BOOST_TEST(*distinct.rbegin() == n);
    BOOST_TEST(b->items() == std::uint64_t(n));
    BOOST_TEST(b->batches() < std::uint64_t(n)); // grouped: submitted faster than committed
    // The hook saw every result once, in commit (= number) order.
    BOOST_TEST_REQUIRE(committed_order.size() == std::size_t(n));
    for (int i = 0; i < n; ++i)
        BOOST_TEST(committed_order[i] == i + 1);
    pool.join();
}

PARLEY_STORE_TEST_CASE(a_retried_item_gets_its_first_result)
{
    auto db = counter_db(kind);
    auto b = number_batcher::create(db, net::system_executor(), number_items);
    auto first = test::run_coro([&] { return submit_one(b, "x"); });
    auto again = test::run_coro([&] { return submit_one(b, "x"); });
    auto other = test::run_coro([&] { return submit_one(b, "y"); });
    BOOST_TEST(first == 1);
    BOOST_TEST(again == 1);
    BOOST_TEST(other == 2);
}

PARLEY_STORE_TEST_CASE(a_failing_batch_rolls_back_and_reaches_its_submitters)
{
    auto db = counter_db(kind);
    auto b = number_batcher::create(db, net::system_executor(), number_items);
    BOOST_CHECK_THROW(test::run_coro([&] { return submit_one(b, "fail"); }), std::runtime_error);
    // Nothing of the failed batch stayed; the batcher keeps working.
    BOOST_TEST(test::run_coro([&] { return submit_one(b, "after"); }) == 1);
}

// Items that come within the linger after a commit wait for its end and share one transaction;
// one that finds the batcher idle for longer is committed at once.
PARLEY_STORE_TEST_CASE(under_load_a_batch_lingers_after_the_previous_commit)
{
    using namespace std::chrono_literals;
    auto db = counter_db(kind);
    net::io_context io;
    auto b = number_batcher::create(db, io.get_executor(), number_items, {},
                                    store::batcher_options{.linger = 400ms});
    BOOST_TEST(test::run_coro(io, [&] { return submit_one(b, "first"); }) == 1);
    auto const after_first = clock::now();
    // Five items 20 ms apart, all within the linger: one transaction, at its end.
    std::vector<clock::time_point> done(5);
    auto spaced = [&](int i) -> net::awaitable<void> {
        net::steady_timer t(io, std::chrono::milliseconds(20 * i));
        co_await t.async_wait(net::use_awaitable);
        co_await submit_one(b, "item-" + std::to_string(i));
        done[i] = clock::now();
    };
    for (int i = 0; i < 5; ++i)
        net::co_spawn(io, spaced(i), net::detached);
    io.restart();
    io.run_for(5s);
    BOOST_TEST(b->items() == 6u);
    BOOST_TEST(b->batches() == 2u);
    for (auto const& t : done) // waited for the linger's end
        BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(t - after_first).count() >=
                   300);
    // Idle for longer than the linger: at once.
    std::this_thread::sleep_for(450ms);
    auto const started = clock::now();
    BOOST_TEST(test::run_coro(io, [&] { return submit_one(b, "later"); }) == 7);
    BOOST_TEST(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count() <
        300);
}

BOOST_AUTO_TEST_SUITE_END()
