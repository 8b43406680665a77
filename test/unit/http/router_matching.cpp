#include "parley/http/router.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::http;

namespace {

handler respond(std::string tag)
{
    return [tag](request_context&) -> net::awaitable<response> { co_return text(status::ok, tag); };
}

std::string param_of(router::match const& m, std::string_view name)
{
    for (auto const& p : m.params)
        if (p.name == name)
            return std::string(p.value);
    return "<none>";
}

} // namespace

BOOST_AUTO_TEST_SUITE(router_matching)

BOOST_AUTO_TEST_CASE(literal_and_typed_parameters_match)
{
    router r;
    r.get("/rooms", respond("list"));
    r.get("/rooms/{id:int}", respond("one"));
    r.get("/rooms/{id:int}/messages", respond("messages"));
    r.get("/users/{name}", respond("user"));

    auto m = r.find(method::get, "/rooms/42/messages");
    BOOST_TEST(m.result == router::match::found);
    BOOST_TEST(router::pattern(*m.target) == "/rooms/{id:int}/messages");
    BOOST_TEST(param_of(m, "id") == "42");

    m = r.find(method::get, "/users/alice");
    BOOST_TEST(m.result == router::match::found);
    BOOST_TEST(param_of(m, "name") == "alice");
}

BOOST_AUTO_TEST_CASE(int_parameter_rejects_non_digits_as_not_found)
{
    router r;
    r.get("/rooms/{id:int}", respond("one"));
    BOOST_TEST(r.find(method::get, "/rooms/abc").result == router::match::not_found);
    BOOST_TEST(r.find(method::get, "/rooms/-1").result == router::match::not_found);
    BOOST_TEST(r.find(method::get, "/rooms/12345678901234567890").result ==
               router::match::not_found);
    BOOST_TEST(r.find(method::get, "/rooms/").result == router::match::not_found);
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_with_allow)
{
    router r;
    r.get("/rooms", respond("list"));
    r.post("/rooms", respond("create"));
    auto m = r.find(method::delete_, "/rooms");
    BOOST_TEST(m.result == router::match::method_not_allowed);
    BOOST_TEST(m.allow.find("GET") != std::string::npos);
    BOOST_TEST(m.allow.find("POST") != std::string::npos);
    BOOST_TEST(m.allow.find("HEAD") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(literal_beats_parameter_whatever_the_order)
{
    router r;
    r.get("/users/{name}", respond("param"));
    r.get("/users/me", respond("literal"));
    auto m = r.find(method::get, "/users/me");
    BOOST_TEST(router::pattern(*m.target) == "/users/me");
    m = r.find(method::get, "/users/bob");
    BOOST_TEST(router::pattern(*m.target) == "/users/{name}");
}

BOOST_AUTO_TEST_CASE(path_parameter_takes_the_rest)
{
    router r;
    r.get("/assets/{file:path}", respond("file"));
    auto m = r.find(method::get, "/assets/css/app.css");
    BOOST_TEST(m.result == router::match::found);
    BOOST_TEST(param_of(m, "file") == "css/app.css");
}

BOOST_AUTO_TEST_CASE(head_is_served_by_get)
{
    router r;
    r.get("/health", respond("ok"));
    BOOST_TEST(r.find(method::head, "/health").result == router::match::found);
}

BOOST_AUTO_TEST_CASE(trailing_slash_and_extra_segments_do_not_match)
{
    router r;
    r.get("/rooms", respond("list"));
    BOOST_TEST(r.find(method::get, "/rooms/").result == router::match::not_found);
    BOOST_TEST(r.find(method::get, "/rooms/1").result == router::match::not_found);
    BOOST_TEST(r.find(method::get, "").result == router::match::not_found);
}

BOOST_AUTO_TEST_CASE(bad_patterns_are_refused_at_registration)
{
    router r;
    BOOST_CHECK_THROW(r.get("rooms", respond("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.get("/rooms/{id:float}", respond("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.get("/rooms/{:int}", respond("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.get("/a/{rest:path}/b", respond("x")), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
