// SQLite files hold password hashes and e-mail addresses: the database and its -wal and -shm
// files are created 0600 and the folders the store creates 0700, whatever the umask; an existing
// database (and its -wal/-shm) with looser bits is tightened when opened.
#include "parley/store/database.hpp"
#include "support/file_modes.hpp"
#include "unit/store/temp_dir.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sys/stat.h>

using namespace parley;
using test::mode_of;
using test::umask_scope;

namespace {

void write_something(store::database& db)
{
    db.migrate({{1, "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)"}});
    db.run_blocking([](store::connection& c) { c.execute("INSERT INTO t (s) VALUES ('x')"); });
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_file_modes)

BOOST_AUTO_TEST_CASE(new_database_files_are_0600_and_new_folders_0700)
{
    umask_scope permissive(0022); // the usual default: files 0644, folders 0755
    test::temp_dir dir;
    auto const file = dir / "var/data/chat.db";
    {
        auto db = store::database::open(file.string());
        write_something(db);
        // In WAL mode the -wal and -shm files exist while the database is open.
        BOOST_TEST_REQUIRE(std::filesystem::exists(file.string() + "-wal"));
        BOOST_TEST_REQUIRE(std::filesystem::exists(file.string() + "-shm"));
        BOOST_TEST(mode_of(file) == 0600u);
        BOOST_TEST(mode_of(file.string() + "-wal") == 0600u);
        BOOST_TEST(mode_of(file.string() + "-shm") == 0600u);
    }
    BOOST_TEST(mode_of(dir / "var") == 0700u);
    BOOST_TEST(mode_of(dir / "var/data") == 0700u);
    BOOST_TEST(mode_of(file) == 0600u);
}

BOOST_AUTO_TEST_CASE(existing_database_files_with_loose_modes_are_tightened)
{
    umask_scope permissive(0022);
    test::temp_dir dir;
    auto const file = dir / "auth.db";
    {
        auto db = store::database::open(file.string());
        write_something(db);
    }
    // As an older Parley left them: world-readable (the -wal and -shm of a crashed process too).
    for (auto const* suffix : {"", "-wal", "-shm"}) {
        auto const p = file.string() + suffix;
        if (!std::filesystem::exists(p))
            std::ofstream(p).flush();
        ::chmod(p.c_str(), 0644);
    }
    {
        auto db = store::database::open(file.string());
        write_something(db);
        BOOST_TEST(mode_of(file) == 0600u);
        BOOST_TEST(mode_of(file.string() + "-wal") == 0600u);
        BOOST_TEST(mode_of(file.string() + "-shm") == 0600u);
    }
    // An existing folder chosen by the operator is left as it is (it may be a shared mount).
    BOOST_TEST(mode_of(dir.path()) == 0700u); // mkdtemp's own mode, untouched
}

BOOST_AUTO_TEST_SUITE_END()
