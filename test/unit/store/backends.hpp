// The store suites run against both backends: each data test case takes a `backend` and opens a
// fresh, empty database of that kind (SQLite: in memory or a file in a temp dir; PostgreSQL: a new
// database on the test process's throwaway server, support/postgres_server.hpp).
#pragma once

#include "parley/store/database.hpp"
#include "support/postgres_server.hpp"
#include "unit/store/temp_dir.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace parley::test {

enum class backend { sqlite, postgres };

inline std::ostream& operator<<(std::ostream& os, backend b)
{
    return os << (b == backend::sqlite ? "sqlite" : "postgres");
}

// ThreadSanitizer cannot follow the PostgreSQL backend's stack switches (its transactions run on
// Boost.Context fibers, which Boost 1.81 does not announce to TSan: it crashes on the first
// switch). Under TSan the store suites therefore run on SQLite only; the default and asan runs
// cover PostgreSQL.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PARLEY_TEST_UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(PARLEY_TEST_UNDER_TSAN)
inline std::vector<backend> const all_backends{backend::sqlite};
#else
inline std::vector<backend> const all_backends{backend::sqlite, backend::postgres};
#endif

// A URL naming a new, empty database (a file under `dir` for SQLite).
inline std::string fresh_url(backend b, temp_dir const& dir, std::string const& name = "test")
{
    if (b == backend::sqlite)
        return (dir / (name + ".db")).string();
    return postgres_server::shared().create_database();
}

// A new, empty database: SQLite in memory, or a new PostgreSQL database.
inline store::database fresh_database(backend b, store::database_options options = {})
{
    if (b == backend::sqlite)
        return store::database::open("sqlite::memory:", options);
    return store::database::open(postgres_server::shared().create_database(), options);
}

// The schema of the store tests in both dialects: SQLite's INTEGER PRIMARY KEY is PostgreSQL's
// identity column, SQLite's REAL PostgreSQL's DOUBLE PRECISION.
inline store::migration portable(std::int64_t version, std::string sqlite_sql,
                                 std::string postgres_sql)
{
    return {version, std::move(sqlite_sql), std::move(postgres_sql)};
}

} // namespace parley::test

// A test case run once per backend (reported as name/_0 for SQLite, name/_1 for PostgreSQL), whose
// body sees `parley::test::backend kind`. The body is a plain function, not a template.
#define PARLEY_STORE_TEST_CASE(name)                                                               \
    static void name##_on(::parley::test::backend kind);                                           \
    BOOST_DATA_TEST_CASE(name, ::boost::unit_test::data::make(::parley::test::all_backends),       \
                         sample)                                                                   \
    {                                                                                              \
        name##_on(sample);                                                                         \
    }                                                                                              \
    static void name##_on(::parley::test::backend kind)
