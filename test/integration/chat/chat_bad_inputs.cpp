// Bad input to the HTTP API: every row gets a 4xx JSON error and leaves the data intact.
#include "chat_fixture.hpp"

using namespace chat_test;

namespace {

struct bad_case {
    std::string what;
    std::string body;
    unsigned status;
};

} // namespace

BOOST_AUTO_TEST_SUITE(chat_bad_inputs)

BOOST_AUTO_TEST_CASE(create_room_refuses_bad_bodies_with_a_json_4xx)
{
    chat_server srv;
    auto const auth = srv.bearer(1, "u");
    auto const rooms_before = srv.get("/rooms").body;
    std::vector<bad_case> cases{
        {"malformed JSON", R"({"name": "x")", 400},
        {"not an object", R"(["name"])", 400},
        {"a bare string", R"("room")", 400},
        {"empty body", "", 400},
        {"name missing", R"({"description":"d"})", 400},
        {"name null", R"({"name":null})", 400},
        {"name a number", R"({"name":123})", 400},
        {"name an object", R"({"name":{"a":1}})", 400},
        {"name empty", R"({"name":""})", 400},
        {"name blank", R"({"name":"   "})", 400},
        {"name 101 characters", R"({"name":")" + std::string(101, 'n') + R"("})", 400},
        {"name with a newline", R"({"name":"a\nb"})", 400},
        {"name with NUL", R"({"name":"a\u0000b"})", 400},
        {"description 501 characters",
         R"({"name":"ok","description":")" + std::string(501, 'd') + R"("})", 400},
        {"description a number", R"({"name":"ok","description":5})", 400},
        {"is_private a string", R"({"name":"ok","is_private":"yes"})", 400},
        {"is_private a number", R"({"name":"ok","is_private":1})", 400},
        {"non-UTF-8 name", "{\"name\":\"\xFF\xFE\"}", 400},
        {"lone surrogate", R"({"name":"\ud800"})", 400},
        {"huge body", R"({"name":"x","description":")" + std::string(64 * 1024, 'd') + R"("})",
         413},
        {"deeply nested", std::string(5000, '[') + std::string(5000, ']'), 400},
    };
    for (auto const& c : cases) {
        auto r = srv.send("POST", "/rooms", c.body, auth);
        BOOST_TEST(r.status == c.status, c.what << ": " << r.status << " " << r.body);
        bool json_error = false;
        try {
            json_error = r.json().at("error").is_string();
        } catch (std::exception const&) {
        }
        BOOST_TEST(json_error, c.what << ": " << r.body);
    }
    BOOST_TEST(srv.get("/rooms").body == rooms_before); // nothing was created
    BOOST_TEST(srv.get("/health").status == 200u);
}

BOOST_AUTO_TEST_CASE(hostile_but_valid_text_is_stored_verbatim)
{
    chat_server srv;
    auto const auth = srv.bearer(1, "u");
    std::vector<std::string> names{
        "'); DROP TABLE rooms;--",
        "Robert\"); DELETE FROM messages; --",
        "<script>alert(1)</script>",
        "%00%27 OR 1=1",
        std::string(100, 'x'),
        "\xE6\xBC\xA2\xE5\xAD\x97 \xF0\x9F\x98\x80",     // 4 characters, 11 bytes... plus a space
        std::string(100, 'x').replace(0, 3, "\xC3\xA9"), // multi-byte characters count as one
    };
    for (auto const& name : names) {
        auto body = json::serialize(bj::object{{"name", name}, {"description", name}});
        auto r = srv.send("POST", "/rooms", body, auth);
        BOOST_TEST_REQUIRE(r.status == 201u, r.body);
        auto id = r.json().at("room").at("id").as_int64();
        auto back = srv.get("/rooms/" + std::to_string(id)).json();
        BOOST_TEST(back.at("name").as_string() == name);
        BOOST_TEST(back.at("description").as_string() == name);
    }
    BOOST_TEST(srv.get("/rooms").json().as_array().size() == names.size() + 1);
    BOOST_TEST(srv.get("/rooms/1").status == 200u);
}

BOOST_AUTO_TEST_CASE(bad_path_and_query_values_are_refused)
{
    chat_server srv;
    auto const auth = srv.bearer(1, "u");
    struct row {
        std::string method, target;
        unsigned status;
    };
    std::vector<row> rows{
        {"GET", "/rooms/1/messages?limit=-5", 400},
        {"GET", "/rooms/1/messages?limit=99999999999999999999", 400},
        {"GET", "/rooms/1/messages?before=%27%3B", 400},
        {"GET", "/rooms/99999999999999999999", 404},
        {"GET", "/rooms/-1", 404},
        {"POST", "/rooms/1/members/abc", 404},
        {"POST", "/rooms/1/members/0", 403}, // not the creator of General
        {"PUT", "/rooms/1", 405},
        {"DELETE", "/rooms", 405},
    };
    for (auto const& r : rows) {
        auto reply = srv.send(r.method, r.target, "", auth);
        BOOST_TEST(reply.status == r.status, r.method << " " << r.target << ": " << reply.body);
    }
    BOOST_TEST(srv.get("/rooms", "Bearer garbage").status == 401u);
    BOOST_TEST(srv.get("/rooms").json().as_array().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
