// PostgreSQL's text formats to store::value and back, and postgres:// URLs: pure functions.
#include "store/pg_url.hpp"
#include "store/pg_value.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>

using namespace parley;
using namespace parley::store::pg;

namespace {

store::value parsed(std::uint32_t oid, std::string_view text)
{
    auto v = parse_pg_value(oid, text);
    BOOST_REQUIRE_MESSAGE(v.has_value(), "parse_pg_value(" << oid << ", " << text << ") failed");
    return *v;
}

bool refused(std::uint32_t oid, std::string_view text)
{
    return !parse_pg_value(oid, text).has_value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_pg_value)

BOOST_AUTO_TEST_CASE(integers_booleans_and_reals)
{
    BOOST_TEST((parsed(int4_oid, "42") == store::value(42)));
    BOOST_TEST((parsed(int8_oid, "-9223372036854775808") ==
                store::value(std::numeric_limits<std::int64_t>::min())));
    BOOST_TEST((parsed(int2_oid, "-7") == store::value(-7)));
    BOOST_TEST((parsed(bool_oid, "t") == store::value(1)));
    BOOST_TEST((parsed(bool_oid, "f") == store::value(0)));
    BOOST_TEST((parsed(float8_oid, "2.5") == store::value(2.5)));
    BOOST_TEST((parsed(float8_oid, "1e+300") == store::value(1e300)));
    BOOST_TEST((parsed(float4_oid, "-0.125") == store::value(-0.125)));
    BOOST_TEST(std::isnan(std::get<double>(parsed(float8_oid, "NaN").get())));
    BOOST_TEST(
        (parsed(float8_oid, "Infinity") == store::value(std::numeric_limits<double>::infinity())));
    BOOST_TEST((parsed(float8_oid, "-Infinity") ==
                store::value(-std::numeric_limits<double>::infinity())));
}

BOOST_AUTO_TEST_CASE(numeric_is_an_integer_when_integral)
{
    BOOST_TEST((parsed(numeric_oid, "7") == store::value(7)));
    BOOST_TEST((parsed(numeric_oid, "-9223372036854775808") ==
                store::value(std::numeric_limits<std::int64_t>::min())));
    BOOST_TEST((parsed(numeric_oid, "1.50") == store::value(1.5)));
    BOOST_TEST((parsed(numeric_oid, "99999999999999999999") == store::value(1e20)));
    BOOST_TEST((parsed(numeric_oid, "NaN").type() == store::value_type::real));
}

BOOST_AUTO_TEST_CASE(bytea_and_text)
{
    BOOST_TEST((parsed(bytea_oid, "\\x00ff41") == store::value(std::string("\0\xff"
                                                                           "A",
                                                                           3))));
    BOOST_TEST((parsed(bytea_oid, "\\x") == store::value(std::string())));
    BOOST_TEST((parsed(text_oid, "") == store::value(std::string())));
    BOOST_TEST((parsed(1043, "varchar") == store::value("varchar")));
    BOOST_TEST((parsed(1184, "2026-12-01 10:00:00+00") == store::value("2026-12-01 10:00:00+00")));
}

BOOST_AUTO_TEST_CASE(malformed_text_is_an_error_not_a_crash)
{
    for (auto t : {"", "x", "1x", " 1", "1 ", "+1", "9223372036854775808", "--1", "0x10"})
        BOOST_TEST(refused(int8_oid, t), t);
    for (auto t : {"", "true", "1", "T"})
        BOOST_TEST(refused(bool_oid, t), t);
    for (auto t : {"", "abc", "1.5.5", "+1", "1e", "e5", " 1", "1e-400", "infinityx"})
        BOOST_TEST(refused(float8_oid, t), t);
    for (auto t : {"", "-", "1-", "abc"})
        BOOST_TEST(refused(numeric_oid, t), t);
    for (auto t : {"", "\\", "\\x0", "\\xzz", "00ff", "\\X00"})
        BOOST_TEST(refused(bytea_oid, t), t);
}

BOOST_AUTO_TEST_CASE(parameters_are_typed_and_round_trip)
{
    BOOST_TEST(param_type_oid(store::value(1)) == int8_oid);
    BOOST_TEST(param_type_oid(store::value(true)) == int8_oid);
    BOOST_TEST(param_type_oid(store::value(1.5)) == float8_oid);
    BOOST_TEST(param_type_oid(store::value("x")) == text_oid);
    BOOST_TEST(param_type_oid(store::value()) == 0u);
    BOOST_TEST(format_pg_integer(std::numeric_limits<std::int64_t>::min()) ==
               "-9223372036854775808");
    for (double d : {0.1, -2.5, 1e300, 5e-324, 123456789.125}) {
        auto text = format_pg_real(d);
        BOOST_TEST((parsed(float8_oid, text) == store::value(d)), text);
    }
    BOOST_TEST(format_pg_real(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    BOOST_TEST(format_pg_real(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

BOOST_AUTO_TEST_CASE(urls_lose_parley_parameters_and_passwords_in_messages)
{
    auto u = parse_url("postgres://app:s3cret@db:5432/chat?pool=8&sslmode=require");
    BOOST_TEST(u.conninfo == "postgres://app:s3cret@db:5432/chat?sslmode=require");
    BOOST_TEST(u.redacted == "postgres://app:***@db:5432/chat?pool=8&sslmode=require");
    BOOST_TEST(u.pool_size.value() == 8u);
    BOOST_TEST(u.connect_timeout.count() == 5000);

    u = parse_url("postgresql://db/chat?connect_timeout=3&password=hunter2");
    BOOST_TEST(!u.pool_size.has_value());
    BOOST_TEST(u.connect_timeout.count() == 3000);
    BOOST_TEST(u.redacted == "postgresql://db/chat?connect_timeout=3&password=***");
    BOOST_TEST(u.conninfo == "postgresql://db/chat?connect_timeout=3&password=hunter2");

    u = parse_url("postgres://user@host/db?pool=1");
    BOOST_TEST(u.conninfo == "postgres://user@host/db");
    BOOST_TEST(u.redacted == "postgres://user@host/db?pool=1");

    BOOST_CHECK_THROW(parse_url("postgres://h/d?pool=0"), store::error);
    BOOST_CHECK_THROW(parse_url("postgres://h/d?pool=257"), store::error);
    BOOST_CHECK_THROW(parse_url("postgres://h/d?pool="), store::error);
    BOOST_CHECK_THROW(parse_url("postgres://h/d?connect_timeout=x"), store::error);
    BOOST_CHECK_THROW(parse_url("mysql://h/d"), store::error);
    try {
        parse_url("postgres://u:topsecret@h/d?pool=x");
    } catch (store::error const& e) {
        BOOST_TEST(std::string(e.what()).find("topsecret") == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
