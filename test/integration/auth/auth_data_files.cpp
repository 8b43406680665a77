// The auth service's data directory as a fresh start leaves it: auth.db (password hashes,
// e-mail addresses) and its -wal/-shm 0600, the development keys folder 0700.
#include "support/file_modes.hpp"
#include "support/http.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <sys/stat.h>

using namespace parley;
using test::mode_of;

BOOST_AUTO_TEST_SUITE(auth_data_files)

BOOST_AUTO_TEST_CASE(database_and_keys_are_private_to_the_service_user)
{
    auto const previous = ::umask(0022); // the child inherits it: files 0644, folders 0755
    test::temp_directory dir;
    auto const data = std::filesystem::path(dir.path()) / "var";
    {
        test::service_process auth(test::binary_path("auth"), {{"PARLEY_DATA_DIR", data.string()}});
        ::umask(previous);
        auto r = test::http_call(auth.port(), "POST", "/register",
                                 R"({"username":"ann","email":"ann@example.com",)"
                                 R"("password":"password-ann"})");
        BOOST_TEST(r.status == 201u, r.body);
        BOOST_TEST(mode_of(data) == 0700u);
        BOOST_TEST(mode_of(data / "auth.db") == 0600u);
        for (auto const* suffix : {"-wal", "-shm"})
            if (std::filesystem::exists(data / (std::string("auth.db") + suffix)))
                BOOST_TEST(mode_of(data / (std::string("auth.db") + suffix)) == 0600u, suffix);
        BOOST_TEST(mode_of(data / "keys") == 0700u);
        BOOST_TEST(mode_of(data / "keys/jwt-ed25519.pem") == 0600u);
        BOOST_TEST(auth.stop() == 0);
    }
    BOOST_TEST(mode_of(data / "auth.db") == 0600u);
}

BOOST_AUTO_TEST_SUITE_END()
