// Configuration errors stop a real service at start with exit code 2 and a message naming the
// variable (run_service, shared by every service: the frontend is the quickest to start).
#include "integration/common/run_to_exit.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;

BOOST_AUTO_TEST_SUITE(frontend_config)

BOOST_AUTO_TEST_CASE(a_duration_that_would_overflow_the_clock_is_a_config_error)
{
    test::temp_directory dir;
    for (auto const* variable : {"PARLEY_IDLE_TIMEOUT", "PARLEY_REQUEST_TIMEOUT"}) {
        auto r =
            test::run_to_exit(test::binary_path("frontend"), {{"PARLEY_DATA_DIR", dir.path()},
                                                              {variable, "9223372036854775807ms"}});
        BOOST_TEST(r.code == 2, variable << ": " << r.output);
        BOOST_TEST(r.output.find(std::string(variable) + "=\"9223372036854775807ms\"") !=
                       std::string::npos,
                   r.output);
    }
    auto r = test::run_to_exit(
        test::binary_path("frontend"),
        {{"PARLEY_DATA_DIR", dir.path()}, {"PARLEY_MAX_BODY_BYTES", "18446744073709551615"}});
    BOOST_TEST(r.code == 2, r.output);
    BOOST_TEST(r.output.find("PARLEY_MAX_BODY_BYTES") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
