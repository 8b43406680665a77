#include "parley/store/database.hpp"
#include "support/run.hpp"
#include "unit/store/temp_dir.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/test/unit_test.hpp>
#include <limits>
#include <set>
#include <thread>

using namespace parley;
using store::connection;

namespace {

store::database memory_db()
{
    auto db = store::database::open("sqlite::memory:");
    db.migrate({{1, "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b INTEGER, "
                    "n TEXT)"},
                {2, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"},
                {3, "CREATE TABLE posts (id INTEGER PRIMARY KEY, "
                    "user_id INTEGER NOT NULL REFERENCES users(id), body TEXT)"}});
    return db;
}

std::int64_t count(store::database& db, std::string const& table)
{
    return db.run_blocking([&](connection& c) {
        return c.query_value<std::int64_t>("SELECT count(*) FROM " + table).value();
    });
}

// Returns the text column of the inserted row, read back through a second statement.
std::string store_and_read(store::database& db, std::string const& text)
{
    return db.run_blocking([&](connection& c) {
        auto id = c.insert("INSERT INTO t (s) VALUES ($1) RETURNING id", {text});
        return c.query_one("SELECT s FROM t WHERE id = $1", {id})->get<std::string>(0);
    });
}

net::awaitable<std::int64_t> insert_and_count(store::database& db, std::string name)
{
    auto insert = [name](connection& c) {
        c.execute("INSERT INTO users (name) VALUES ($1)", {name});
        return c.query_value<std::int64_t>("SELECT count(*) FROM users").value();
    };
    co_return co_await db.run(insert);
}

net::awaitable<void> failing_run(store::database& db)
{
    auto work = [](connection& c) -> int {
        c.execute("INSERT INTO users (name) VALUES ($1)", {"ghost"});
        throw std::runtime_error("boom");
    };
    co_await db.run(work);
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_database)

BOOST_AUTO_TEST_CASE(every_type_round_trips)
{
    auto db = memory_db();
    auto const big = std::numeric_limits<std::int64_t>::max();
    auto const small = std::numeric_limits<std::int64_t>::min();
    auto r = db.run_blocking([&](connection& c) {
        c.execute("INSERT INTO t (i, r, s, b, n) VALUES ($1, $2, $3, $4, $5)",
                  {big, 2.5, "hello", true, nullptr});
        c.execute("INSERT INTO t (i, r, s, b, n) VALUES ($1, $2, $3, $4, $5)",
                  {small, -0.125, std::string(), false, std::optional<std::string>("x")});
        return c.query("SELECT i, r, s, b, n FROM t ORDER BY id");
    });
    BOOST_REQUIRE_EQUAL(r.size(), 2u);
    BOOST_TEST(r[0].get<std::int64_t>(0) == big);
    BOOST_TEST(r[0].get<double>(1) == 2.5);
    BOOST_TEST(r[0].get<std::string>(2) == "hello");
    BOOST_TEST(r[0].get<bool>(3) == true);
    BOOST_TEST(r[0].is_null(4));
    BOOST_TEST(!r[0].get<std::optional<std::string>>(4).has_value());
    BOOST_TEST(r[0].get<std::optional<std::int64_t>>(0).value() == big);
    BOOST_TEST(r[1].get<std::int64_t>("i") == small);
    BOOST_TEST(r[1].get<double>("r") == -0.125);
    BOOST_TEST(r[1].get<std::string>("s").empty());
    BOOST_TEST(r[1].get<bool>("b") == false);
    BOOST_TEST(r[1].get<std::optional<std::string>>("n").value() == "x");
    BOOST_TEST(r[1].column_name(4) == "n");
}

BOOST_AUTO_TEST_CASE(nulls_bind_and_read_back)
{
    auto db = memory_db();
    auto r = db.run_blocking([](connection& c) {
        c.execute("INSERT INTO t (i, r, s, b, n) VALUES ($1, $2, $3, $4, $5)",
                  {std::optional<int>{}, std::nullopt, store::value{}, nullptr,
                   std::optional<std::string>{}});
        return c.query_one("SELECT i, r, s, b, n FROM t").value();
    });
    for (std::size_t i = 0; i < r.size(); ++i)
        BOOST_TEST(r.is_null(i));
    BOOST_TEST(!r.get<std::optional<double>>(1).has_value());
    BOOST_TEST(!r.get<std::optional<bool>>(3).has_value());
}

BOOST_AUTO_TEST_CASE(wrong_type_getters_throw_type_error)
{
    auto db = memory_db();
    auto r = db.run_blocking([](connection& c) {
        return c.query_one("SELECT 1, 'one', NULL, 3000000000, 1.5").value();
    });
    BOOST_CHECK_THROW(r.get<std::string>(0), store::type_error);
    BOOST_CHECK_THROW(r.get<std::int64_t>(1), store::type_error);
    BOOST_CHECK_THROW(r.get<bool>(1), store::type_error);
    BOOST_CHECK_THROW(r.get<std::int64_t>(2), store::type_error); // NULL needs optional
    BOOST_CHECK_THROW(r.get<std::string>(2), store::type_error);
    BOOST_CHECK_THROW(r.get<int>(3), store::type_error);          // out of int range
    BOOST_CHECK_THROW(r.get<std::int64_t>(4), store::type_error); // real is not integer
    BOOST_CHECK_THROW(r.get<std::int64_t>(5), std::out_of_range);
    BOOST_CHECK_THROW(r.get<std::int64_t>("nope"), std::out_of_range);
    BOOST_TEST(r.get<std::int64_t>(3) == 3000000000);
    BOOST_TEST(r.get<double>(0) == 1.0); // an integer reads as real
    try {
        r.get<std::string>(0);
    } catch (store::type_error const& e) {
        BOOST_TEST(std::string(e.what()).find("column 0") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(unsigned_values_beyond_int64_are_refused)
{
    // (void): clang reads a bare `store::value(x);` as a declaration of x.
    BOOST_CHECK_THROW((void)store::value(std::numeric_limits<std::uint64_t>::max()),
                      std::out_of_range);
    BOOST_TEST((store::value(std::uint64_t{7}) == store::value(7)));
}

BOOST_AUTO_TEST_CASE(unique_violation_is_a_constraint_error)
{
    auto db = memory_db();
    auto add = [](connection& c) { c.execute("INSERT INTO users (name) VALUES ($1)", {"ann"}); };
    db.run_blocking(add);
    try {
        db.run_blocking(add);
        BOOST_FAIL("duplicate insert succeeded");
    } catch (store::constraint_error const& e) {
        BOOST_TEST((e.kind() == store::constraint_kind::unique));
    }
    // Other constraints are told apart too; foreign keys are enforced.
    try {
        db.run_blocking([](connection& c) {
            c.execute("INSERT INTO posts (user_id, body) VALUES ($1, $2)", {999, "x"});
        });
        BOOST_FAIL("foreign key not enforced");
    } catch (store::constraint_error const& e) {
        BOOST_TEST((e.kind() == store::constraint_kind::foreign_key));
    }
    try {
        db.run_blocking(
            [](connection& c) { c.execute("INSERT INTO users (name) VALUES ($1)", {nullptr}); });
        BOOST_FAIL("NOT NULL not enforced");
    } catch (store::constraint_error const& e) {
        BOOST_TEST((e.kind() == store::constraint_kind::not_null));
    }
    BOOST_TEST(count(db, "users") == 1);
}

BOOST_AUTO_TEST_CASE(a_throwing_callable_rolls_back_and_the_exception_reaches_the_caller)
{
    auto db = memory_db();
    auto run = [&] { return failing_run(db); };
    BOOST_CHECK_EXCEPTION(test::run_coro(run), std::runtime_error,
                          [](auto const& e) { return std::string(e.what()) == "boom"; });
    BOOST_TEST(count(db, "users") == 0);

    // A failing statement half-way also rolls back the earlier ones.
    BOOST_CHECK_THROW(db.run_blocking([](connection& c) {
        c.execute("INSERT INTO users (name) VALUES ($1)", {"a"});
        c.execute("INSERT INTO users (name) VALUES ($1)", {"a"});
    }),
                      store::constraint_error);
    BOOST_TEST(count(db, "users") == 0);
    // And the connection is usable afterwards.
    auto add = [&] { return insert_and_count(db, "b"); };
    BOOST_TEST(test::run_coro(add) == 1);
}

BOOST_AUTO_TEST_CASE(insert_returns_the_new_id_and_execute_counts_rows)
{
    auto db = memory_db();
    db.run_blocking([](connection& c) {
        auto a = c.insert("INSERT INTO users (name) VALUES ($1) RETURNING id", {"a"});
        auto b = c.insert("INSERT INTO users (name) VALUES ($1) RETURNING id", {"b"});
        BOOST_TEST(b == a + 1);
        BOOST_TEST(c.execute("UPDATE users SET name = name || $1", {"!"}) == 2);
        BOOST_TEST(c.execute("DELETE FROM users WHERE id = $1", {12345}) == 0);
        BOOST_CHECK_THROW(c.insert("INSERT INTO users (name) VALUES ($1)", {"c"}), store::error);
    });
}

BOOST_AUTO_TEST_CASE(query_one_finds_none_or_one_and_refuses_several)
{
    auto db = memory_db();
    db.run_blocking([](connection& c) {
        BOOST_TEST(!c.query_one("SELECT id FROM users WHERE name = $1", {"x"}).has_value());
        c.execute("INSERT INTO users (name) VALUES ($1), ($2)", {"x", "y"});
        BOOST_TEST(
            c.query_one("SELECT name FROM users WHERE name = $1", {"x"})->get<std::string>(0) ==
            "x");
        BOOST_CHECK_THROW(c.query_one("SELECT name FROM users"), store::error);
        BOOST_TEST(c.query("SELECT name FROM users").size() == 2u);
    });
}

BOOST_AUTO_TEST_CASE(placeholders_are_rewritten_only_outside_literals)
{
    auto db = memory_db();
    auto r = db.run_blocking([](connection& c) {
        // $2 used twice and out of order; '$1' in a literal and "$1" in a comment stay text.
        return c.query_one("SELECT '$1', $2, $1, $2 -- $3 \n /* $4 */", {"a", "b"}).value();
    });
    BOOST_TEST(r.get<std::string>(0) == "$1");
    BOOST_TEST(r.get<std::string>(1) == "b");
    BOOST_TEST(r.get<std::string>(2) == "a");
    BOOST_TEST(r.get<std::string>(3) == "b");
}

BOOST_AUTO_TEST_CASE(bad_statements_are_clear_errors)
{
    auto db = memory_db();
    db.run_blocking([](connection& c) {
        BOOST_CHECK_THROW(c.query("SELECT $1, $2", {1}), store::error);     // too few
        BOOST_CHECK_THROW(c.query("SELECT $1", {1, 2}), store::error);      // too many
        BOOST_CHECK_THROW(c.query("SELECT ?", {1}), store::error);          // not portable
        BOOST_CHECK_THROW(c.query("SELEKT 1"), store::error);               // syntax
        BOOST_CHECK_THROW(c.query("SELECT 1; DROP TABLE t"), store::error); // two statements
        BOOST_CHECK_THROW(c.query("   "), store::error);                    // none
        BOOST_CHECK_THROW(c.query("SELECT * FROM missing"), store::error);
    });
    BOOST_TEST(count(db, "t") == 0); // the second statement above never ran
}

BOOST_AUTO_TEST_CASE(sql_metacharacters_in_parameters_are_stored_literally)
{
    auto db = memory_db();
    for (std::string s : {"'; DROP TABLE users; --", "Robert'); DROP TABLE t;--", "\"$1\" ?1 ?",
                          "%_\\", "/* */ -- x"}) {
        BOOST_TEST(store_and_read(db, s) == s);
    }
    BOOST_TEST(count(db, "users") == 0); // the table still exists
    auto r = db.run_blocking([](connection& c) {
        return c.query("SELECT id FROM users WHERE name = $1", {"' OR '1'='1"});
    });
    BOOST_TEST(r.empty());
}

BOOST_AUTO_TEST_CASE(non_utf8_bytes_are_stored_unchanged)
{
    auto db = memory_db();
    std::string bytes("\xff\xfe\x00\x80 \xc3\x28 tail\x00", 14);
    std::string all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    BOOST_TEST(store_and_read(db, bytes) == bytes);
    BOOST_TEST(store_and_read(db, all) == all);
}

BOOST_AUTO_TEST_CASE(urls_pick_the_backend_and_postgres_is_not_built_yet)
{
    test::temp_dir dir;
    try {
        store::database::open("postgres://user@localhost/parley");
        BOOST_FAIL("postgres URL accepted");
    } catch (store::error const& e) {
        BOOST_TEST(std::string(e.what()).find("PostgreSQL support is not built yet") !=
                   std::string::npos);
    }
    BOOST_CHECK_THROW(store::database::open(""), store::error);
    BOOST_CHECK_THROW(store::database::open("mysql://x"), store::error);
    BOOST_CHECK_THROW(store::database::open("sqlite://"), store::error);

    auto file = dir / "nested/folder/a.db";
    auto db = store::database::open("sqlite://" + file.string());
    BOOST_TEST(db.backend_name() == "sqlite");
    BOOST_TEST(std::filesystem::exists(file));
    auto db2 = store::database::open((dir / "b.db").string());
    BOOST_TEST(std::filesystem::exists(dir / "b.db"));
}

BOOST_AUTO_TEST_CASE(file_databases_get_the_pragmas)
{
    test::temp_dir dir;
    auto db = store::database::open((dir / "p.db").string());
    auto r = db.run_blocking([](connection& c) {
        return std::vector<std::string>{
            c.query_value<std::string>("PRAGMA journal_mode").value(),
            std::to_string(c.query_value<std::int64_t>("PRAGMA synchronous").value()),
            std::to_string(c.query_value<std::int64_t>("PRAGMA foreign_keys").value()),
            std::to_string(c.query_value<std::int64_t>("PRAGMA busy_timeout").value())};
    });
    BOOST_TEST(r[0] == "wal");
    BOOST_TEST(r[1] == "1"); // NORMAL
    BOOST_TEST(r[2] == "1");
    BOOST_TEST(r[3] == "5000");
}

BOOST_AUTO_TEST_CASE(hundred_coroutines_on_two_threads_all_complete_on_their_executor)
{
    auto db = memory_db();
    net::io_context io(2);
    std::atomic<int> done{0};
    std::atomic<int> wrong_thread{0};
    std::atomic<int> failed{0};
    auto const store_thread =
        db.run_blocking([](connection&) { return std::this_thread::get_id(); });
    for (int i = 0; i < 100; ++i) {
        auto strand = net::make_strand(io);
        auto work = [&db, &io, &done, &wrong_thread, strand, store_thread,
                     i]() -> net::awaitable<void> {
            auto n = co_await insert_and_count(db, "user" + std::to_string(i));
            if (n < 1 || n > 100 || std::this_thread::get_id() == store_thread ||
                !io.get_executor().running_in_this_thread() || !strand.running_in_this_thread())
                ++wrong_thread;
            ++done;
        };
        auto completed = [&failed](std::exception_ptr e) {
            if (e)
                ++failed;
        };
        net::co_spawn(strand, work, completed);
    }
    std::thread other([&] { io.run_for(std::chrono::seconds(30)); });
    io.run_for(std::chrono::seconds(30));
    other.join();
    BOOST_TEST(done.load() == 100);
    BOOST_TEST(failed.load() == 0);
    BOOST_TEST(wrong_thread.load() == 0);
    BOOST_TEST(count(db, "users") == 100);
}

BOOST_AUTO_TEST_CASE(blocking_calls_from_the_store_thread_and_moved_from_use_are_logic_errors)
{
    auto db = memory_db();
    BOOST_CHECK_THROW(db.run_blocking([&db](connection&) { db.run_blocking([](connection&) {}); }),
                      std::logic_error);
    auto moved = std::move(db);
    BOOST_CHECK_THROW(db.run_blocking([](connection&) {}), std::logic_error);
    BOOST_TEST(moved.run_blocking([](connection&) { return 1; }) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
