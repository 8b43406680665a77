#include "parley/json/json.hpp"

#include <boost/test/unit_test.hpp>

namespace {

struct member {
    std::int64_t id;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(member, (), (id, name))

struct create_room {
    std::string name;
    std::optional<std::string> description;
    std::optional<bool> is_private;
    std::vector<member> members;
};
BOOST_DESCRIBE_STRUCT(create_room, (), (name, description, is_private, members))

} // namespace

using parley::json::read;
using parley::json::read_error;

BOOST_AUTO_TEST_SUITE(json_read)

BOOST_AUTO_TEST_CASE(reads_a_described_struct)
{
    auto r = read<create_room>(std::string_view(
        R"({"name":"General","is_private":true,"members":[{"id":7,"name":"ann"}],"extra":1})"));
    BOOST_TEST(r.name == "General");
    BOOST_TEST(!r.description);
    BOOST_TEST(r.is_private.value());
    BOOST_REQUIRE(r.members.size() == 1u);
    BOOST_TEST(r.members[0].id == 7);
    BOOST_TEST(r.members[0].name == "ann");
}

BOOST_AUTO_TEST_CASE(null_optional_is_empty)
{
    auto r = read<create_room>(std::string_view(R"({"name":"x","description":null,"members":[]})"));
    BOOST_TEST(!r.description);
}

std::string error_of(std::string_view text)
{
    try {
        read<create_room>(text);
    } catch (read_error const& e) {
        return e.what();
    }
    return "no error";
}

BOOST_AUTO_TEST_CASE(errors_name_the_field)
{
    BOOST_TEST(error_of(R"({"members":[]})") == "missing field 'name'");
    BOOST_TEST(error_of(R"({"name":5,"members":[]})") == "field 'name' must be a string");
    BOOST_TEST(error_of(R"({"name":"a","is_private":"yes","members":[]})") ==
               "field 'is_private' must be true or false");
    BOOST_TEST(error_of(R"({"name":"a","members":[{"id":"x","name":"b"}]})") ==
               "field 'members[0].id' must be an integer in range");
    BOOST_TEST(error_of(R"([1,2])") == "body must be an object");
    BOOST_TEST(error_of(R"({"name":)") == "body is not valid JSON");
    BOOST_TEST(error_of("") == "body is not valid JSON");
}

BOOST_AUTO_TEST_CASE(integer_range_is_checked)
{
    BOOST_TEST(error_of(R"({"name":"a","members":[{"id":1.5,"name":"b"}]})") ==
               "field 'members[0].id' must be an integer in range");
    BOOST_TEST(error_of(R"({"name":"a","members":[{"id":1e300,"name":"b"}]})") ==
               "field 'members[0].id' must be an integer in range");
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_not_a_crash)
{
    std::string deep(100000, '[');
    BOOST_TEST(!parley::json::parse(deep));
    BOOST_TEST(error_of(deep) == "body is not valid JSON");
}

// Found by test/fuzz/json_read: 1e400 parsed as infinity, which Boost.JSON writes back as
// `Infinity` (not JSON), so a value read from a client could not be written out again.
BOOST_AUTO_TEST_CASE(numbers_too_large_for_a_double_are_refused)
{
    BOOST_TEST(!parley::json::parse("1e400"));
    BOOST_TEST(!parley::json::parse(R"({"a":[1,{"b":-1.5e+370}]})"));
    BOOST_TEST(!parley::json::parse(std::string(400, '9')));
    BOOST_TEST(error_of(R"({"name":"a","members":[],"extra":1e999})") == "body is not valid JSON");
    auto const largest = parley::json::parse("[1.7976931348623157e308, 1e-400]");
    BOOST_REQUIRE(largest);
    BOOST_TEST(parley::json::parse(parley::json::serialize(*largest)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
