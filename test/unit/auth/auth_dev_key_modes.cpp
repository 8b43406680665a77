// The development key pair is written under <data dir>/keys: the folder is 0700 and the key
// files 0600 whatever the umask, and a keys folder left 0755 by an older Parley is tightened.
#include "parley/auth/token.hpp"
#include "support/file_modes.hpp"
#include "unit/store/temp_dir.hpp"

#include <boost/test/unit_test.hpp>
#include <sys/stat.h>

using namespace parley;
using test::mode_of;
using test::umask_scope;

BOOST_AUTO_TEST_SUITE(auth_dev_key_modes)

BOOST_AUTO_TEST_CASE(dev_keys_folder_is_0700_and_key_files_0600)
{
    umask_scope permissive(0022);
    test::temp_dir dir;
    auto const keys = dir / "var/keys";
    auth::load_or_create_dev_keys(keys);
    BOOST_TEST(mode_of(dir / "var") == 0700u);
    BOOST_TEST(mode_of(keys) == 0700u);
    BOOST_TEST(mode_of(keys / "jwt-ed25519.pem") == 0600u);
    BOOST_TEST(mode_of(keys / "jwt-ed25519.pub.pem") == 0600u);
}

BOOST_AUTO_TEST_CASE(existing_loose_keys_folder_and_files_are_tightened)
{
    umask_scope permissive(0022);
    test::temp_dir dir;
    auto const keys = dir / "keys";
    auto const first = auth::load_or_create_dev_keys(keys);
    ::chmod(keys.c_str(), 0755);
    ::chmod((keys / "jwt-ed25519.pem").c_str(), 0644);
    ::chmod((keys / "jwt-ed25519.pub.pem").c_str(), 0644);
    auto const again = auth::load_or_create_dev_keys(keys);
    BOOST_TEST(again.private_pem == first.private_pem); // the same key, only the modes changed
    BOOST_TEST(mode_of(keys) == 0700u);
    BOOST_TEST(mode_of(keys / "jwt-ed25519.pem") == 0600u);
    BOOST_TEST(mode_of(keys / "jwt-ed25519.pub.pem") == 0600u);
}

BOOST_AUTO_TEST_SUITE_END()
