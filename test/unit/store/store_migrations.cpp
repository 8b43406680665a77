#include "parley/store/database.hpp"
#include "unit/store/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using store::connection;

namespace {

// Migration 2 records each time it runs, so running twice would show.
std::vector<store::migration> const v1_v2 = {
    {1, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)"},
    {2, "CREATE TABLE runs (n INTEGER); INSERT INTO runs (n) VALUES (2)"},
};

std::int64_t runs(store::database& db)
{
    return db.run_blocking([](connection& c) {
        return c.query_value<std::int64_t>("SELECT count(*) FROM runs").value();
    });
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_migrations)

BOOST_AUTO_TEST_CASE(applied_once_across_reopens_of_the_same_file)
{
    test::temp_dir dir;
    auto const file = (dir / "m.db").string();
    {
        auto db = store::database::open(file);
        BOOST_TEST(db.schema_version() == 0);
        db.migrate(v1_v2);
        BOOST_TEST(db.schema_version() == 2);
        db.migrate(v1_v2); // same process, again
        BOOST_TEST(runs(db) == 1);
        db.run_blocking(
            [](connection& c) { c.execute("INSERT INTO users (name) VALUES ($1)", {"kept"}); });
    }
    {
        auto db = store::database::open(file);
        BOOST_TEST(db.schema_version() == 2);
        auto more = v1_v2;
        more.push_back({3, "ALTER TABLE users ADD COLUMN bio TEXT"});
        db.migrate(more);
        BOOST_TEST(db.schema_version() == 3);
        BOOST_TEST(runs(db) == 1);
        auto bio = db.run_blocking([](connection& c) {
            c.execute("UPDATE users SET bio = $1 WHERE name = $2", {"hi", "kept"});
            return c.query_value<std::string>("SELECT bio FROM users WHERE name = $1", {"kept"});
        });
        BOOST_TEST(bio.value() == "hi");
        auto applied = db.run_blocking([](connection& c) {
            return c.query_value<std::int64_t>("SELECT count(*) FROM schema_migrations").value();
        });
        BOOST_TEST(applied == 3);
    }
}

BOOST_AUTO_TEST_CASE(an_existing_file_without_migrations_table_works)
{
    test::temp_dir dir;
    auto const file = (dir / "old.db").string();
    {
        auto db = store::database::open(file);
        db.run_blocking([](connection& c) {
            c.execute("CREATE TABLE legacy (x INTEGER)");
            c.execute("INSERT INTO legacy (x) VALUES ($1)", {7});
        });
    }
    auto db = store::database::open(file);
    db.migrate(
        {{1, "CREATE TABLE IF NOT EXISTS legacy (x INTEGER); ALTER TABLE legacy ADD y TEXT"}});
    auto x = db.run_blocking(
        [](connection& c) { return c.query_value<std::int64_t>("SELECT x FROM legacy"); });
    BOOST_TEST(x.value() == 7);
    BOOST_TEST(db.schema_version() == 1);
}

BOOST_AUTO_TEST_CASE(migrations_apply_in_version_order)
{
    auto db = store::database::open("sqlite::memory:");
    db.migrate({{2, "INSERT INTO t (x) VALUES (2)"}, {1, "CREATE TABLE t (x INTEGER)"}});
    auto n = db.run_blocking(
        [](connection& c) { return c.query_value<std::int64_t>("SELECT x FROM t").value(); });
    BOOST_TEST(n == 2);
}

BOOST_AUTO_TEST_CASE(a_failing_migration_rolls_back_and_stops)
{
    auto db = store::database::open("sqlite::memory:");
    try {
        db.migrate({{1, "CREATE TABLE a (x INTEGER)"},
                    {2, "CREATE TABLE b (x INTEGER); THIS IS NOT SQL"},
                    {3, "CREATE TABLE c (x INTEGER)"}});
        BOOST_FAIL("bad migration accepted");
    } catch (store::error const& e) {
        BOOST_TEST(std::string(e.what()).find("migration 2") != std::string::npos);
    }
    BOOST_TEST(db.schema_version() == 1);
    auto tables = db.run_blocking([](connection& c) {
        return c.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
                       "('a', 'b', 'c') ORDER BY name");
    });
    BOOST_REQUIRE_EQUAL(tables.size(), 1u); // b rolled back, c never ran
    BOOST_TEST(tables[0].get<std::string>(0) == "a");
}

BOOST_AUTO_TEST_CASE(bad_version_lists_are_refused)
{
    auto db = store::database::open("sqlite::memory:");
    BOOST_CHECK_THROW(db.migrate({{1, "SELECT 1"}, {1, "SELECT 2"}}), store::error);
    BOOST_CHECK_THROW(db.migrate({{0, "SELECT 1"}}), store::error);
    BOOST_TEST(db.schema_version() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
