#include "parley/config/config.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <limits>
#include <string>

using namespace std::chrono_literals;
using parley::config;
using parley::config_error;
using vars = std::map<std::string, std::string>;

namespace {

config with(std::string name, std::string value)
{
    return config(vars{{std::move(name), std::move(value)}});
}

// The message of the config_error thrown by f, or "" when none was thrown.
template <class F> std::string error_of(F f)
{
    try {
        f();
    } catch (config_error const& e) {
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_reader)

BOOST_AUTO_TEST_CASE(unset_variables_yield_fallbacks)
{
    config const cfg{vars{}};
    BOOST_TEST(cfg.string({"PARLEY_X"}, "dflt") == "dflt");
    BOOST_TEST(!cfg.optional_string({"PARLEY_X"}).has_value());
    BOOST_TEST(cfg.integer({"PARLEY_X"}, 7, 0, 10) == 7);
    BOOST_TEST(cfg.port({"PARLEY_X"}, 5003) == 5003);
    BOOST_TEST(cfg.boolean({"PARLEY_X"}, true) == true);
    BOOST_TEST(cfg.duration({"PARLEY_X"}, 42ms).count() == 42);
    BOOST_TEST(cfg.list({"PARLEY_X"}, {"a"}) == std::vector<std::string>{"a"});
    BOOST_TEST(cfg.bytes({"PARLEY_X"}, 99) == 99u);
    BOOST_TEST(cfg.production() == false);
}

BOOST_AUTO_TEST_CASE(first_set_name_wins_and_is_named_in_errors)
{
    config const both(vars{{"PARLEY_AUTH_URL", "http://a"}, {"AUTH_SERVICE_URL", "http://b"}});
    BOOST_TEST(both.string({"PARLEY_AUTH_URL", "AUTH_SERVICE_URL"}, "x") == "http://a");
    config const old_only(vars{{"AUTH_SERVICE_URL", "http://b"}});
    BOOST_TEST(old_only.string({"PARLEY_AUTH_URL", "AUTH_SERVICE_URL"}, "x") == "http://b");

    // Set but empty still counts as set: the later name is not consulted.
    config const empty_first(vars{{"PARLEY_AUTH_URL", ""}, {"AUTH_SERVICE_URL", "http://b"}});
    BOOST_TEST(empty_first.string({"PARLEY_AUTH_URL", "AUTH_SERVICE_URL"}, "x") == "");

    config const bad_old(vars{{"PORT", "abc"}});
    BOOST_TEST(error_of([&] {
                   bad_old.port({"PARLEY_PORT", "PORT"}, 1);
               }) == R"(PORT="abc": expected a port number 1-65535)");
}

BOOST_AUTO_TEST_CASE(required_string_rejects_unset_and_empty)
{
    config const set(vars{{"PARLEY_SECRET", "s3cret"}});
    BOOST_TEST(set.required_string({"PARLEY_SECRET"}) == "s3cret");

    config const none{vars{}};
    auto const unset = error_of([&] { none.required_string({"PARLEY_SECRET", "SECRET_KEY"}); });
    BOOST_TEST(unset.find("PARLEY_SECRET or SECRET_KEY is not set") != std::string::npos);

    auto const empty = error_of([&] {
        with("SECRET_KEY", "").required_string({"PARLEY_SECRET", "SECRET_KEY"});
    });
    BOOST_TEST(empty.find("SECRET_KEY is empty") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(integer_parses_whole_string_within_bounds)
{
    BOOST_TEST(with("N", "42").integer({"N"}, 0, 0, 100) == 42);
    BOOST_TEST(with("N", "-5").integer({"N"}, 0, -10, 10) == -5);
    BOOST_TEST(with("N", " 8 ").integer({"N"}, 0, 0, 10) == 8);
    BOOST_TEST(with("N", "0").integer({"N"}, 5, 0, 10) == 0);
    BOOST_TEST(with("N", "9223372036854775807")
                   .integer({"N"}, 0, 0, std::numeric_limits<std::int64_t>::max()) ==
               std::numeric_limits<std::int64_t>::max());

    for (auto bad : {"", "abc", "12abc", "1.5", "0x10", "101", "-1", "+", "99999999999999999999"})
        BOOST_CHECK_THROW(with("N", bad).integer({"N"}, 0, 0, 100), config_error);

    BOOST_TEST(error_of([] { with("PARLEY_N", "12x").integer({"PARLEY_N"}, 0, 1, 64); }) ==
               R"(PARLEY_N="12x": expected an integer from 1 to 64)");
}

BOOST_AUTO_TEST_CASE(port_accepts_1_to_65535)
{
    BOOST_TEST(with("P", "1").port({"P"}, 9) == 1);
    BOOST_TEST(with("P", "65535").port({"P"}, 9) == 65535);
    for (auto bad : {"0", "65536", "-80", "80a", "", "http"})
        BOOST_CHECK_THROW(with("P", bad).port({"P"}, 9), config_error);
    BOOST_TEST(error_of([] { with("PARLEY_PORT", "abc").port({"PARLEY_PORT"}, 1); }) ==
               R"(PARLEY_PORT="abc": expected a port number 1-65535)");
}

BOOST_AUTO_TEST_CASE(boolean_accepts_common_spellings_in_any_case)
{
    for (auto t : {"true", "TRUE", "1", "yes", "Yes", "on", "ON"})
        BOOST_TEST(with("B", t).boolean({"B"}, false) == true, t);
    for (auto f : {"false", "False", "0", "no", "NO", "off", "Off"})
        BOOST_TEST(with("B", f).boolean({"B"}, true) == false, f);
    for (auto bad : {"", "2", "enabled", "y", "truee"})
        BOOST_CHECK_THROW(with("B", bad).boolean({"B"}, false), config_error);
}

BOOST_AUTO_TEST_CASE(duration_units_and_bare_seconds)
{
    BOOST_TEST(with("D", "250ms").duration({"D"}, 0ms).count() == 250);
    BOOST_TEST(with("D", "10s").duration({"D"}, 0ms).count() == 10'000);
    BOOST_TEST(with("D", "5m").duration({"D"}, 0ms).count() == 300'000);
    BOOST_TEST(with("D", "1h").duration({"D"}, 0ms).count() == 3'600'000);
    BOOST_TEST(with("D", "30").duration({"D"}, 0ms).count() == 30'000);
    BOOST_TEST(with("D", "0").duration({"D"}, 5ms).count() == 0);

    for (auto bad : {"", "-1s", "-5", "abc", "10 s", "10sec", "1.5s", "ms", "5d", "s10",
                     "99999999999999999999h", "9999999999999999h"})
        BOOST_CHECK_THROW(with("D", bad).duration({"D"}, 0ms), config_error);

    auto const message =
        error_of([] { with("PARLEY_IDLE", "-1s").duration({"PARLEY_IDLE"}, 0ms); });
    BOOST_TEST(message.find(R"(PARLEY_IDLE="-1s": expected a duration)") == 0u);
}

BOOST_AUTO_TEST_CASE(durations_past_a_year_are_config_errors_naming_the_variable)
{
    // A year is the most any setting needs; more would overflow the clock once added to now().
    BOOST_TEST(with("D", "8760h").duration({"D"}, 0ms).count() == 365LL * 24 * 3'600'000);
    BOOST_TEST(with("D", "31536000").duration({"D"}, 0ms).count() == 31'536'000'000LL);
    for (auto bad : {"9223372036854775807ms", "9223372036854775s", "8761h", "31536001", "525601m",
                     "31536000001ms"})
        BOOST_CHECK_THROW(with("D", bad).duration({"D"}, 0ms), config_error);
    auto const message = error_of([] {
        with("PARLEY_IDLE_TIMEOUT", "9223372036854775807ms").duration({"PARLEY_IDLE_TIMEOUT"}, 0ms);
    });
    BOOST_TEST(message.find(R"(PARLEY_IDLE_TIMEOUT="9223372036854775807ms": expected)") == 0u,
               message);
    BOOST_TEST(message.find("at most 1 year") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(sizes_past_a_tebibyte_and_integers_past_their_range_are_config_errors)
{
    BOOST_TEST(with("S", "1024GiB").bytes({"S"}, 0) == std::size_t{1} << 40);
    for (auto bad : {"1025GiB", "18446744073709551615", "17179869184GiB", "18446744073709551616"})
        BOOST_CHECK_THROW(with("S", bad).bytes({"S"}, 0), config_error);
    auto const message = error_of([] { with("PARLEY_S", "2000GiB").bytes({"PARLEY_S"}, 0); });
    BOOST_TEST(message.find(R"(PARLEY_S="2000GiB": expected)") == 0u, message);
    for (auto bad : {"9223372036854775808", "-9223372036854775809", "99999999999999999999", "11"})
        BOOST_CHECK_THROW(with("I", bad).integer({"I"}, 0, 0, 10), config_error);
    BOOST_TEST(with("I", "9223372036854775807")
                   .integer({"I"}, 0, 0, std::numeric_limits<std::int64_t>::max()) ==
               std::numeric_limits<std::int64_t>::max());
}

BOOST_AUTO_TEST_CASE(bytes_binary_units_and_plain_bytes)
{
    BOOST_TEST(with("S", "512").bytes({"S"}, 0) == 512u);
    BOOST_TEST(with("S", "512B").bytes({"S"}, 0) == 512u);
    BOOST_TEST(with("S", "64KiB").bytes({"S"}, 0) == 64u * 1024);
    BOOST_TEST(with("S", "1MiB").bytes({"S"}, 0) == 1024u * 1024);
    BOOST_TEST(with("S", "2GiB").bytes({"S"}, 0) == std::size_t{2} * 1024 * 1024 * 1024);

    for (auto bad : {"", "64KB", "1MB", "1kib", "-1", "1.5MiB", "MiB", "1 MiB", "99999999999GiB"})
        BOOST_CHECK_THROW(with("S", bad).bytes({"S"}, 0), config_error);

    auto const message =
        error_of([] { with("PARLEY_MAX_BODY", "64KB").bytes({"PARLEY_MAX_BODY"}, 0); });
    BOOST_TEST(message.find(R"(PARLEY_MAX_BODY="64KB": expected a size in bytes)") == 0u);
    BOOST_TEST(message.find("KiB") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(list_trims_and_drops_empty_items)
{
    using v = std::vector<std::string>;
    BOOST_TEST(with("L", "a,b,c").list({"L"}, {}) == (v{"a", "b", "c"}));
    BOOST_TEST(with("L", " a , ,b,, c ,").list({"L"}, {}) == (v{"a", "b", "c"}));
    BOOST_TEST(with("L", "").list({"L"}, {"fallback"}).empty());
    BOOST_TEST(with("L", " , ").list({"L"}, {"fallback"}).empty());
    BOOST_TEST(with("L", "http://x:1").list({"L"}, {}) == (v{"http://x:1"}));
}

BOOST_AUTO_TEST_CASE(production_accepts_only_development_or_production)
{
    BOOST_TEST(with("PARLEY_ENV", "development").production() == false);
    BOOST_TEST(with("PARLEY_ENV", "production").production() == true);
    for (auto bad : {"prod", "", "staging", "Production "})
        BOOST_CHECK_THROW(with("PARLEY_ENV", bad).production(), config_error);
    BOOST_TEST(error_of([] { with("PARLEY_ENV", "prod").production(); }) ==
               R"(PARLEY_ENV="prod": expected development or production)");
}

BOOST_AUTO_TEST_CASE(error_message_keeps_bad_value_on_one_line)
{
    auto const message = error_of([] { with("P", "8\n0\"").port({"P"}, 1); });
    BOOST_TEST(message == R"(P="8\x0a0\"": expected a port number 1-65535)");
}

BOOST_AUTO_TEST_CASE(environment_is_read_lazily)
{
    config const cfg;
    ::unsetenv("PARLEY_TEST_CONFIG_LAZY");
    BOOST_TEST(cfg.port({"PARLEY_TEST_CONFIG_LAZY"}, 1234) == 1234);
    ::setenv("PARLEY_TEST_CONFIG_LAZY", "4321", 1);
    BOOST_TEST(cfg.port({"PARLEY_TEST_CONFIG_LAZY"}, 1234) == 4321);
    ::unsetenv("PARLEY_TEST_CONFIG_LAZY");
}

BOOST_AUTO_TEST_CASE(copies_of_a_map_config_stay_valid)
{
    std::optional<config> original(config(vars{{"K", "v"}}));
    config const copy = *original;
    original.reset();
    BOOST_TEST(copy.string({"K"}, "") == "v");
}

BOOST_AUTO_TEST_SUITE_END()
