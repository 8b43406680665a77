// What the PostgreSQL backend adds to the shared store suites: several processes writing one row,
// transactions in flight at once on the store thread, a bounded pool, prepared statements, a
// server restart under traffic, and clear, quick errors for bad URLs, passwords and hosts.
#include "parley/store/database.hpp"
#include "support/postgres_server.hpp"
#include "support/run.hpp"
#include "unit/store/backends.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>
#include <netinet/in.h>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace parley;
using store::connection;
using test::all_backends;
using test::backend;

namespace {

std::vector<store::migration> const counter_schema = {
    {1, "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
        "INSERT INTO counter (id, n) VALUES (1, 0);"
        "CREATE TABLE items (seq INTEGER PRIMARY KEY, origin TEXT NOT NULL)"}};

// The message writer's pattern: lock the counter row, read it, use the next numbers, write back.
std::int64_t take_numbers(connection& c, std::string const& origin, int how_many)
{
    auto n =
        c.query_value<std::int64_t>("UPDATE counter SET n = n WHERE id = 1 RETURNING n").value();
    for (int i = 0; i < how_many; ++i)
        c.execute("INSERT INTO items (seq, origin) VALUES ($1, $2)", {++n, origin});
    c.execute("UPDATE counter SET n = $1 WHERE id = 1", {n});
    return n;
}

net::awaitable<void> writer(store::database& db, std::string origin, int transactions,
                            std::atomic<int>& failures)
{
    for (int i = 0; i < transactions; ++i) {
        auto job = [&origin](connection& c) { return take_numbers(c, origin, 3); };
        try {
            co_await db.run(job);
        } catch (std::exception const& e) {
            ++failures;
            BOOST_TEST_MESSAGE("writer failed: " << e.what());
        }
    }
}

// A TCP port on 127.0.0.1 where nothing listens.
std::uint16_t closed_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// A listener whose connections the kernel accepts but nobody ever answers.
struct silent_listener {
    silent_listener()
    {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(fd, 16);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
    }
    ~silent_listener() { ::close(fd); }
    int fd = -1;
    std::uint16_t port = 0;
};

template <class F> double seconds_taken(F f)
{
    auto const start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string error_text(std::string const& url)
{
    try {
        store::database::open(url);
    } catch (store::error const& e) {
        return e.what();
    }
    return "(opened)";
}

net::awaitable<void> sleep_in_store(store::database& db, double seconds)
{
    auto job = [seconds](connection& c) { c.query("SELECT pg_sleep($1)", {seconds}); };
    co_await db.run(job);
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_postgres)

PARLEY_STORE_TEST_CASE(two_processes_incrementing_one_counter_leave_no_gap)
{
    // Two database objects on one database are two replicas: their transactions interleave on
    // the server (PostgreSQL) or on the file lock (SQLite), each locking the counter row first.
    test::temp_dir dir;
    auto const url = test::fresh_url(kind, dir, "counter");
    auto a = store::database::open(url, {.pool_size = 4});
    a.migrate(counter_schema);
    auto b = store::database::open(url, {.pool_size = 4});
    b.migrate(counter_schema);

    constexpr int writers_per_process = 4;
    constexpr int transactions = 25;
    std::atomic<int> failures{0};
    net::io_context io;
    for (int w = 0; w < writers_per_process; ++w) {
        net::co_spawn(io, writer(a, "a", transactions, failures), net::detached);
        net::co_spawn(io, writer(b, "b", transactions, failures), net::detached);
    }
    io.run_for(std::chrono::seconds(60));
    BOOST_TEST(failures.load() == 0);

    auto seqs = a.run_blocking([](connection& c) {
        std::vector<std::int64_t> out;
        for (auto const& r : c.query("SELECT seq FROM items ORDER BY seq"))
            out.push_back(r.get<std::int64_t>(0));
        return out;
    });
    constexpr int expected = 2 * writers_per_process * transactions * 3;
    BOOST_REQUIRE_EQUAL(seqs.size(), std::size_t(expected));
    for (int i = 0; i < expected; ++i)
        BOOST_TEST(seqs[i] == i + 1);
    auto last = b.run_blocking([](connection& c) {
        return c.query_value<std::int64_t>("SELECT n FROM counter WHERE id = 1").value();
    });
    BOOST_TEST(last == expected);
}

BOOST_AUTO_TEST_CASE(transactions_wait_on_their_sockets_not_on_the_store_thread)
{
    // Four transactions of 0.4 s each on a pool of 4 take about 0.4 s, not 1.6 s: they are all in
    // flight at once on the one store thread.
    auto db = test::fresh_database(backend::postgres, {.pool_size = 4});
    db.run_blocking([](connection&) {}); // warm: the first connection exists
    net::io_context io;
    auto elapsed = seconds_taken([&] {
        for (int i = 0; i < 4; ++i)
            net::co_spawn(io, sleep_in_store(db, 0.4), net::detached);
        io.run_for(std::chrono::seconds(20));
    });
    BOOST_TEST(elapsed >= 0.4);
    BOOST_TEST(elapsed < 1.2);
}

BOOST_AUTO_TEST_CASE(the_pool_bounds_the_connections)
{
    auto url = test::postgres_server::shared().create_database();
    auto const name = url.substr(url.rfind('/') + 1);
    auto db = store::database::open(url + "?pool=2");
    net::io_context io;
    std::atomic<std::int64_t> most{0};
    auto watch = [&](connection& c) {
        auto n = c.query_value<std::int64_t>(
                      "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", {name})
                     .value();
        c.query("SELECT pg_sleep(0.2)");
        std::int64_t seen = most.load();
        while (n > seen && !most.compare_exchange_weak(seen, n)) {
        }
    };
    auto run_watch = [&]() -> net::awaitable<void> { co_await db.run(watch); };
    auto elapsed = seconds_taken([&] {
        for (int i = 0; i < 6; ++i)
            net::co_spawn(io, run_watch, net::detached);
        io.run_for(std::chrono::seconds(20));
    });
    BOOST_TEST(most.load() <= 2);
    BOOST_TEST(most.load() >= 1);
    BOOST_TEST(elapsed >= 0.6); // 6 jobs of 0.2 s, 2 at a time
}

BOOST_AUTO_TEST_CASE(each_statement_is_prepared_once_per_connection)
{
    auto db = store::database::open(test::postgres_server::shared().create_database() + "?pool=1");
    auto prepared = db.run_blocking([](connection& c) {
        for (int i = 0; i < 5; ++i)
            c.query("SELECT $1::bigint + 1", {i});
        c.query("SELECT $1::bigint + 1", {nullptr}); // other parameter types: its own statement
        return c
            .query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements "
                                       "WHERE statement LIKE 'SELECT $1::bigint + 1%'")
            .value();
    });
    BOOST_TEST(prepared == 2);
    auto again = db.run_blocking([](connection& c) {
        c.query("SELECT $1::bigint + 1", {7});
        return c.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements").value();
    });
    BOOST_TEST(again == 4); // the two above and the two counts: the first one was reused
}

BOOST_AUTO_TEST_CASE(booleans_and_numerics_read_like_sqlite)
{
    auto db = test::fresh_database(backend::postgres);
    auto r = db.run_blocking([](connection& c) {
        return c
            .query_one("SELECT true, false, 7::smallint, sum(x), 2.5::numeric, 'v'::varchar, "
                       "NULL::boolean, 1e300::float8, 'NaN'::float8, 12345678901234567890::numeric "
                       "FROM (VALUES (9223372036854775807::bigint), (-1::bigint)) AS v(x)")
            .value();
    });
    BOOST_TEST(r.get<bool>(0) == true);
    BOOST_TEST(r.get<std::int64_t>(0) == 1);
    BOOST_TEST(r.get<bool>(1) == false);
    BOOST_TEST(r.get<int>(2) == 7);
    BOOST_TEST(r.get<std::int64_t>(3) == 9223372036854775806); // numeric sum, integral
    BOOST_TEST(r.get<double>(4) == 2.5);
    BOOST_TEST(r.get<std::string>(5) == "v");
    BOOST_TEST(!r.get<std::optional<bool>>(6).has_value());
    BOOST_TEST(r.get<double>(7) == 1e300);
    BOOST_TEST(std::isnan(r.get<double>(8)));
    BOOST_TEST(r.get<double>(9) == 12345678901234567890.0); // beyond int64: real
}

BOOST_AUTO_TEST_CASE(a_restart_under_traffic_fails_some_transactions_then_all_succeed)
{
    test::postgres_server server; // its own: restarted here
    auto db = store::database::open(server.create_database() + "?pool=4");
    db.migrate(counter_schema);

    // Writers keep going through the restart; what was acknowledged must be stored.
    std::atomic<bool> stop{false};
    std::atomic<int> failed{0};
    std::atomic<std::int64_t> acknowledged{0};
    std::thread traffic([&] {
        while (!stop) {
            try {
                db.run_blocking([](connection& c) { take_numbers(c, "t", 1); });
                ++acknowledged;
            } catch (store::error const&) {
                ++failed;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto const before_restart = acknowledged.load();
    server.start();
    // After the restart, transactions succeed again within the reconnect backoff (<= 2.5 s).
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (acknowledged.load() < before_restart + 50 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop = true;
    traffic.join();
    BOOST_TEST(failed.load() > 0);
    BOOST_TEST(acknowledged.load() >= before_restart + 50);
    auto stored = db.run_blocking([](connection& c) {
        return c.query_value<std::int64_t>("SELECT count(*) FROM items").value();
    });
    // Every acknowledged transaction is stored (a COMMIT cut by the stop may be stored without
    // its acknowledgement, never the other way round).
    BOOST_TEST(stored >= acknowledged.load());
    BOOST_TEST(stored <= acknowledged.load() + 1);
}

BOOST_AUTO_TEST_CASE(an_idle_connection_broken_by_a_restart_is_replaced_before_the_job_runs)
{
    test::postgres_server server;
    auto db = store::database::open(server.create_database() + "?pool=2");
    db.run_blocking([](connection& c) { c.query("SELECT 1"); });
    server.restart();
    // The pooled connection died while idle: the next job gets a fresh one, without an error.
    auto n = db.run_blocking(
        [](connection& c) { return c.query_value<std::int64_t>("SELECT 41 + 1").value(); });
    BOOST_TEST(n == 42);
}

BOOST_AUTO_TEST_CASE(bad_urls_passwords_and_hosts_fail_clearly_and_quickly)
{
    auto& pg = test::postgres_server::shared();
    auto const port = std::to_string(pg.port());

    // Wrong password: libpq's reason, and never the password itself.
    auto e = error_text("postgres://postgres:not-the-password@127.0.0.1:" + port + "/postgres");
    BOOST_TEST(e.find("password authentication failed") != std::string::npos, e);
    BOOST_TEST(e.find("not-the-password") == std::string::npos, e);
    BOOST_TEST(e.find("***") != std::string::npos, e);

    e = error_text(pg.url("no_such_database"));
    BOOST_TEST(e.find("does not exist") != std::string::npos, e);

    // Nothing listening: refused at once.
    double t = seconds_taken([&] {
        e = error_text("postgres://postgres@127.0.0.1:" + std::to_string(closed_port()) + "/x");
    });
    BOOST_TEST(e.find("cannot connect") != std::string::npos, e);
    BOOST_TEST(t < 2.0);

    // A host that accepts TCP and never answers: the connect timeout (2 s here) ends it.
    silent_listener silent;
    t = seconds_taken([&] {
        e = error_text("postgres://postgres@127.0.0.1:" + std::to_string(silent.port) +
                       "/x?connect_timeout=2");
    });
    BOOST_TEST(e.find("timed out") != std::string::npos, e);
    BOOST_TEST(t >= 1.9);
    BOOST_TEST(t < 4.0);

    // Malformed URLs and settings.
    BOOST_TEST(error_text(pg.url("postgres") + "?pool=0").find("pool") != std::string::npos);
    BOOST_TEST(error_text(pg.url("postgres") + "?pool=many").find("pool") != std::string::npos);
    BOOST_TEST(error_text(pg.url("postgres") + "?no_such_option=1") != "(opened)");
    BOOST_TEST(error_text("postgres://127.0.0.1:notaport/x") != "(opened)");
    BOOST_TEST(error_text(pg.url("postgres") + "?connect_timeout=-1").find("connect_timeout") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(libpq_environment_applies)
{
    // PGPASSWORD fills in a URL without a password.
    auto& pg = test::postgres_server::shared();
    ::setenv("PGPASSWORD", pg.password().c_str(), 1);
    auto db = store::database::open("postgres://postgres@127.0.0.1:" + std::to_string(pg.port()) +
                                    "/postgres");
    ::unsetenv("PGPASSWORD");
    BOOST_TEST(db.run_blocking([](connection& c) {
        return c.query_value<std::int64_t>("SELECT 1").value();
    }) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
