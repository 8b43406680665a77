// The Boost.Test entry point of parley_unit_tests.
#define BOOST_TEST_MODULE parley
#include "parley/log/log.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

namespace {

// Servers under test log every request; keep the output to warnings unless asked for more.
struct quiet_logs {
    quiet_logs()
    {
        auto const* level = std::getenv("PARLEY_LOG_LEVEL");
        parley::log::init(
            "test", parley::log::parse_level(level ? level : "warn", parley::log::level::warn));
    }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(quiet_logs);
