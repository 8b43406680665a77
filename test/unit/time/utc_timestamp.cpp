#include "parley/time/utc.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(utc_timestamp)

BOOST_AUTO_TEST_CASE(formats_utc_with_and_without_milliseconds)
{
    using namespace std::chrono;
    // 2026-11-26T09:41:07.123Z
    auto t = system_clock::time_point(seconds(1795686067)) + milliseconds(123);
    BOOST_TEST(parley::utc_timestamp(t) == "2026-11-26T09:41:07Z");
    BOOST_TEST(parley::utc_timestamp_ms(t) == "2026-11-26T09:41:07.123Z");
    BOOST_TEST(parley::utc_timestamp_ms(system_clock::time_point(seconds(0))) ==
               "1970-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_SUITE_END()
