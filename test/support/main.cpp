// The Boost.Test entry point of parley_unit_tests.
#define BOOST_TEST_MODULE parley
#include <boost/test/unit_test.hpp>
