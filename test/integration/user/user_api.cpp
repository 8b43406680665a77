// The user service against the real binaries: auth and user started together on one data
// directory (shared development keys), so tokens from auth are checked by user locally.
#include "integration/common/run_to_exit.hpp"
#include "support/http.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>

using namespace parley;
using parley::test::error_of;
using parley::test::http_call;
using parley::test::http_reply;
namespace bj = boost::json;

namespace {

constexpr char const* service_header = "X-Parley-Service-Token";
constexpr char const* dev_credential = "parley-development-service-token";

struct services {
    services()
    {
        // No auth service: revocation polls fail quietly (and reach no one else's auth).
        std::map<std::string, std::string> env{{"PARLEY_DATA_DIR", dir.path()},
                                               {"PARLEY_AUTH_URL", "http://127.0.0.1:9"}};
        env.merge(test::database_environment("auth")); // PARLEY_TEST_BACKEND=postgres
        env.merge(test::database_environment("user"));
        auth = std::make_unique<test::service_process>(test::binary_path("auth"), env);
        user = std::make_unique<test::service_process>(test::binary_path("user"), env);
    }

    // Registers and returns {token, user id}.
    std::pair<std::string, std::int64_t> account(std::string const& name)
    {
        auto body = bj::serialize(bj::object{{"username", name},
                                             {"email", name + "@example.com"},
                                             {"password", "password-" + name}});
        auto r = http_call(auth->port(), "POST", "/register", body);
        BOOST_REQUIRE_EQUAL(r.status, 201u);
        return {std::string(r.json().at("token").as_string()),
                r.json().at("user").at("id").as_int64()};
    }
    std::string admin_token()
    {
        auto r = http_call(auth->port(), "POST", "/login",
                           R"({"username":"admin","password":"admin123"})");
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return std::string(r.json().at("token").as_string());
    }
    http_reply put(std::int64_t id, std::string const& body, std::string const& token)
    {
        test::header_list h;
        if (!token.empty())
            h.emplace_back("Authorization", "Bearer " + token);
        return http_call(user->port(), "PUT", "/profiles/" + std::to_string(id), body, h);
    }
    http_reply get(std::string const& path) { return http_call(user->port(), "GET", path); }
    http_reply post_stats(std::string const& path, std::string const& body,
                          std::string const& credential = dev_credential)
    {
        test::header_list h;
        if (!credential.empty())
            h.emplace_back(service_header, credential);
        return http_call(user->port(), "POST", path, body, h);
    }

    test::temp_directory dir;
    std::unique_ptr<test::service_process> auth;
    std::unique_ptr<test::service_process> user;
};

} // namespace

BOOST_AUTO_TEST_SUITE(user_api)

BOOST_AUTO_TEST_CASE(health)
{
    services s;
    auto r = s.get("/health");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(bj::serialize(r.json()) == R"({"status":"healthy","service":"user-service"})");
}

BOOST_AUTO_TEST_CASE(profiles_read_and_edit_with_tokens_from_auth)
{
    services s;
    auto [ann, ann_id] = s.account("ann");
    auto [bob, bob_id] = s.account("bob");

    // Default profile for a user without one.
    auto r = s.get("/profiles/" + std::to_string(ann_id));
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("user_id").as_int64() == ann_id);
    BOOST_TEST(r.json().at("avatar").as_string() == "default-avatar.png");
    BOOST_TEST(r.json().at("messages_sent").as_int64() == 0);
    BOOST_TEST(r.json().at("rooms_created").as_int64() == 0);
    for (auto field : {"id", "bio", "last_seen"})
        BOOST_TEST(r.json().as_object().contains(field));

    // Own profile: 200 with the stored profile.
    r = s.put(ann_id, R"({"bio":"Hello there","avatar":"cat.png"})", ann);
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("message").as_string() == "Profile updated successfully");
    BOOST_TEST(r.json().at("profile").at("bio").as_string() == "Hello there");
    BOOST_TEST(r.json().at("profile").at("avatar").as_string() == "cat.png");
    BOOST_TEST(r.json().at("profile").at("id").is_int64());
    r = s.put(ann_id, R"({"avatar":"https://img.example.com/a.png?s=64"})", ann);
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("profile").at("bio").as_string() == "Hello there"); // unchanged

    // Errors: 401 missing / invalid token, 403 someone else's profile.
    r = s.put(ann_id, R"({"bio":"x"})", "");
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(error_of(r) == "Token is missing");
    r = s.put(ann_id, R"({"bio":"x"})", "abc.def.ghi");
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(error_of(r) == "Invalid token");
    auto tampered = ann;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    r = s.put(ann_id, R"({"bio":"x"})", tampered);
    BOOST_TEST(r.status == 401u);
    r = s.put(ann_id, R"({"bio":"hacked"})", bob);
    BOOST_TEST(r.status == 403u);
    BOOST_TEST(error_of(r) == "Unauthorized");

    // An admin may edit anyone's profile.
    r = s.put(bob_id, R"({"bio":"set by admin"})", s.admin_token());
    BOOST_TEST(r.status == 200u);

    r = s.get("/profiles");
    BOOST_TEST(r.status == 200u);
    auto list = r.json().as_array();
    BOOST_TEST(list.size() == 2u);
    BOOST_TEST(list[0].at("user_id").as_int64() == ann_id);
    BOOST_TEST(list[0].at("bio").as_string() == "Hello there");
    BOOST_TEST(list[1].at("bio").as_string() == "set by admin");
}

BOOST_AUTO_TEST_CASE(bad_profile_inputs_get_4xx_json_and_change_nothing)
{
    services s;
    auto [ann, ann_id] = s.account("ann");
    BOOST_REQUIRE_EQUAL(s.put(ann_id, R"({"bio":"original","avatar":"cat.png"})", ann).status,
                        200u);

    std::vector<std::string> const bodies = {
        "{",
        "[]",
        "null",
        R"({"bio":42})",
        R"({"avatar":false})",
        R"({"bio":["a"]})",
        bj::serialize(bj::object{{"bio", std::string(501, 'b')}}),
        bj::serialize(bj::object{{"avatar", "https://example.com/" + std::string(190, 'a')}}),
        R"x({"avatar":"javascript:alert(1)"})x",
        R"({"avatar":"<img src=x onerror=alert(1)>"})",
        R"({"avatar":"https://example.com/a b.png"})",
        R"({"avatar":"https://example.com/\"onload=\"x"})",
        R"({"avatar":"../../etc/passwd"})",
        R"({"avatar":""})",
        R"({"bio":"x', bio = 'pwned"})" /* valid (stored as text), checked below */,
        "{\"bio\":\"bad \xff\xfe utf8\"}",
        bj::serialize(bj::object{{"bio", std::string(20'000, 'b')}}), // over the body limit
    };
    for (auto const& body : bodies) {
        auto r = s.put(ann_id, body, ann);
        BOOST_TEST_CONTEXT(body.substr(0, 80))
        {
            if (body.find("pwned") != std::string::npos) {
                BOOST_TEST(r.status == 200u);
                BOOST_TEST(r.json().at("profile").at("bio").as_string() == "x', bio = 'pwned");
                BOOST_REQUIRE_EQUAL(s.put(ann_id, R"({"bio":"original"})", ann).status, 200u);
                continue;
            }
            BOOST_TEST(r.status >= 400u);
            BOOST_TEST(r.status < 500u);
            BOOST_TEST(r.header("content-type").find("application/json") != std::string::npos);
            BOOST_TEST(!error_of(r).empty());
        }
    }
    auto r = s.get("/profiles/" + std::to_string(ann_id));
    BOOST_TEST(r.json().at("bio").as_string() == "original");
    BOOST_TEST(r.json().at("avatar").as_string() == "cat.png");
    BOOST_TEST(s.get("/profiles/0").status == 400u);
    BOOST_TEST(s.get("/profiles/abc").status == 404u);
    BOOST_TEST(s.get("/profiles").json().as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(bio_with_control_characters_gets_400_and_is_not_stored)
{
    services s;
    auto [ann, ann_id] = s.account("ann");
    BOOST_REQUIRE_EQUAL(s.put(ann_id, R"({"bio":"original"})", ann).status, 200u);
    for (auto const& bio :
         {std::string("nul\0inside", 10), std::string("\0", 1), std::string("escape \x1b[2J"),
          std::string("cr\rlf"), std::string("del\x7f"), std::string("c1 \xC2\x85")}) {
        auto r = s.put(ann_id, bj::serialize(bj::object{{"bio", bio}}), ann);
        BOOST_TEST_CONTEXT(bj::serialize(bj::string(bio)))
        {
            BOOST_TEST(r.status == 400u, r.body);
            if (r.status == 400u)
                BOOST_TEST(error_of(r).find("control characters") != std::string::npos, r.body);
        }
    }
    BOOST_TEST(s.get("/profiles/" + std::to_string(ann_id)).json().at("bio").as_string() ==
               "original");
    // A bio may span lines (and hold tabs).
    auto r = s.put(ann_id, bj::serialize(bj::object{{"bio", "line one\n\tline two"}}), ann);
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(s.get("/profiles/" + std::to_string(ann_id)).json().at("bio").as_string() ==
               "line one\n\tline two");
}

BOOST_AUTO_TEST_CASE(stats_need_the_service_credential)
{
    services s;
    auto [ann, ann_id] = s.account("ann");
    auto const path = "/profiles/" + std::to_string(ann_id) + "/stats";

    auto r = s.post_stats(path, R"({"messages_sent":1})", "");
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(error_of(r) == "Service credential required");
    r = s.post_stats(path, R"({"messages_sent":1})", "wrong-credential");
    BOOST_TEST(r.status == 403u);
    // A user's token is not a service credential.
    r = http_call(s.user->port(), "POST", path, R"({"messages_sent":1})",
                  {{"Authorization", "Bearer " + ann}});
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(s.get("/profiles").json().as_array().empty());

    r = s.post_stats(path, R"({"messages_sent":2,"rooms_created":1,"last_seen":true})");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("message").as_string() == "Stats updated");
    r = s.post_stats(path, R"({"messages_sent":3})");
    BOOST_TEST(r.status == 200u);
    r = s.get("/profiles/" + std::to_string(ann_id));
    BOOST_TEST(r.json().at("messages_sent").as_int64() == 5);
    BOOST_TEST(r.json().at("rooms_created").as_int64() == 1);
    BOOST_TEST(r.json().at("last_seen").is_string());

    for (auto bad :
         {R"({"messages_sent":-1})", R"({"messages_sent":"3"})", R"({"rooms_created":1.5})",
          R"({"messages_sent":99999999999})", R"({"last_seen":"yes"})", "{", "[]"}) {
        r = s.post_stats(path, bad);
        BOOST_TEST(r.status == 400u, bad);
    }
    r = s.get("/profiles/" + std::to_string(ann_id));
    BOOST_TEST(r.json().at("messages_sent").as_int64() == 5);
}

BOOST_AUTO_TEST_CASE(batched_stats_in_one_transaction)
{
    services s;
    auto r = s.post_stats("/stats/batch", R"({"increments":[
        {"user_id":1,"messages_sent":3,"rooms_created":0,"last_seen":true},
        {"user_id":2,"messages_sent":1},
        {"user_id":1,"messages_sent":2,"rooms_created":1}]})");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("updated").as_int64() == 3);
    BOOST_TEST(s.get("/profiles/1").json().at("messages_sent").as_int64() == 5);
    BOOST_TEST(s.get("/profiles/1").json().at("rooms_created").as_int64() == 1);
    BOOST_TEST(s.get("/profiles/2").json().at("messages_sent").as_int64() == 1);
    BOOST_TEST(s.get("/profiles/2").json().at("last_seen").is_null());

    // One bad item refuses the whole batch: nothing of it is applied.
    r = s.post_stats("/stats/batch",
                     R"({"increments":[{"user_id":1,"messages_sent":10},{"user_id":-4}]})");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(s.get("/profiles/1").json().at("messages_sent").as_int64() == 5);

    bj::array many;
    for (int i = 0; i < 1001; ++i)
        many.push_back(bj::object{{"user_id", 1}, {"messages_sent", 1}});
    r = s.post_stats("/stats/batch", bj::serialize(bj::object{{"increments", many}}));
    BOOST_TEST(r.status == 400u);
    for (auto bad : {"{}", R"({"increments":{}})", R"({"increments":[{"messages_sent":1}]})",
                     R"({"increments":[{"user_id":"1"}]})", R"({"increments":[1]})"}) {
        r = s.post_stats("/stats/batch", bad);
        BOOST_TEST(r.status == 400u, bad);
    }
    r = s.post_stats("/stats/batch", R"({"increments":[]})", "nope");
    BOOST_TEST(r.status == 403u);
    BOOST_TEST(s.get("/profiles/1").json().at("messages_sent").as_int64() == 5);
}

BOOST_AUTO_TEST_CASE(production_refuses_to_start_without_keys_or_credential)
{
    test::temp_directory dir;
    auto r = test::run_to_exit(test::binary_path("user"),
                               {{"PARLEY_DATA_DIR", dir.path()}, {"PARLEY_ENV", "production"}});
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.output.find("PARLEY_JWT_PUBLIC_KEY") != std::string::npos, r.output);
    auto const pub = dir.path() + "/pub.pem";
    BOOST_REQUIRE_EQUAL(
        std::system(("openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout -out " +
                     pub + " 2>/dev/null")
                        .c_str()),
        0);
    r = test::run_to_exit(test::binary_path("user"), {{"PARLEY_DATA_DIR", dir.path()},
                                                      {"PARLEY_ENV", "production"},
                                                      {"PARLEY_JWT_PUBLIC_KEY_FILE", pub}});
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.output.find("PARLEY_SERVICE_TOKEN") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
