// The auth service's API, walked against the real binary: every row and error of the original
// API, the safe changes, a table of bad inputs, throttling and production start-up.
#include "integration/common/run_to_exit.hpp"
#include "support/http.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>

using namespace parley;
using parley::test::error_of;
using parley::test::http_call;
using parley::test::http_reply;
namespace bj = boost::json;

namespace {

bj::value body_of(http_reply const& r)
{
    return r.json();
}

// One auth service on a fresh data directory.
struct auth_fixture {
    explicit auth_fixture(std::map<std::string, std::string> extra = {})
    {
        extra["PARLEY_DATA_DIR"] = dir.path();
        extra.merge(test::database_environment("auth")); // PARLEY_TEST_BACKEND=postgres
        process = std::make_unique<test::service_process>(test::binary_path("auth"), extra);
    }
    std::uint16_t port() const { return process->port(); }

    http_reply post(std::string const& path, std::string const& body,
                    test::header_list headers = {}) const
    {
        return http_call(port(), "POST", path, body, headers);
    }
    http_reply get(std::string const& path, std::string const& token = {}) const
    {
        test::header_list h;
        if (!token.empty())
            h.emplace_back("Authorization", "Bearer " + token);
        return http_call(port(), "GET", path, {}, h);
    }
    std::string login_token(std::string const& user, std::string const& password) const
    {
        auto r =
            post("/login", bj::serialize(bj::object{{"username", user}, {"password", password}}));
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return std::string(r.json().at("token").as_string());
    }
    std::int64_t user_count() const
    {
        auto r = get("/users/count", login_token("admin", "admin123"));
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return r.json().at("count").as_int64();
    }

    test::temp_directory dir;
    std::unique_ptr<test::service_process> process;
};

std::string register_body(std::string const& u, std::string const& e, std::string const& p)
{
    return bj::serialize(bj::object{{"username", u}, {"email", e}, {"password", p}});
}

} // namespace

BOOST_AUTO_TEST_SUITE(auth_api)

BOOST_AUTO_TEST_CASE(health)
{
    auth_fixture svc;
    auto r = svc.get("/health");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(bj::serialize(r.json()) == R"({"status":"healthy","service":"auth-service"})");
}

BOOST_AUTO_TEST_CASE(register_login_verify_and_their_errors)
{
    auth_fixture svc;
    auto r = svc.post("/register", register_body("ann", "ann@example.com", "correct horse"));
    BOOST_TEST(r.status == 201u);
    auto body = body_of(r).as_object();
    BOOST_TEST(body.at("message").as_string() == "User registered successfully");
    auto user = body.at("user").as_object();
    BOOST_TEST(user.at("username").as_string() == "ann");
    BOOST_TEST(user.at("email").as_string() == "ann@example.com");
    BOOST_TEST(user.at("is_admin").as_bool() == false);
    BOOST_TEST(user.at("id").as_int64() > 1);
    BOOST_TEST(user.at("created_at").as_string().size() == 20u);
    BOOST_TEST(!user.contains("password_hash"));
    auto const register_token = std::string(body.at("token").as_string());

    // 400 Missing required fields; 409 username; 409 email (case-insensitive).
    r = svc.post("/register", R"({"username":"bob","email":"bob@example.com"})");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(error_of(r) == "Missing required fields");
    r = svc.post("/register", register_body("ann", "other@example.com", "correct horse"));
    BOOST_TEST(r.status == 409u);
    BOOST_TEST(error_of(r) == "Username already exists");
    r = svc.post("/register", register_body("ANN", "other@example.com", "correct horse"));
    BOOST_TEST(r.status == 409u);
    BOOST_TEST(error_of(r) == "Username already exists");
    r = svc.post("/register", register_body("bob", "Ann@Example.com", "correct horse"));
    BOOST_TEST(r.status == 409u);
    BOOST_TEST(error_of(r) == "Email already exists");

    // Login: 200, 400 missing, 401 wrong password, 401 unknown user (same text).
    r = svc.post("/login", R"({"username":"ann","password":"correct horse"})");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("message").as_string() == "Login successful");
    BOOST_TEST(r.json().at("user").at("email").as_string() == "ann@example.com");
    auto const token = std::string(r.json().at("token").as_string());
    r = svc.post("/login", R"({"username":"ann"})");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(error_of(r) == "Missing username or password");
    r = svc.post("/login", R"({"username":"","password":"x"})");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(error_of(r) == "Missing username or password");
    r = svc.post("/login", R"({"username":"ann","password":"wrong horse"})");
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(error_of(r) == "Invalid username or password");
    r = svc.post("/login", R"({"username":"nobody","password":"wrong horse"})");
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(error_of(r) == "Invalid username or password");

    // Verify: 200 with the claims, 400 missing, 401 invalid (tampered, garbage, alg none).
    for (auto const& t : {token, register_token}) {
        r = svc.post("/verify", bj::serialize(bj::object{{"token", t}}));
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.json().at("valid").as_bool());
        BOOST_TEST(r.json().at("user").at("username").as_string() == "ann");
        BOOST_TEST(r.json().at("user").at("is_admin").as_bool() == false);
        BOOST_TEST(r.json().at("user").at("user_id").as_int64() == user.at("id").as_int64());
    }
    r = svc.post("/verify", "{}");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(error_of(r) == "Missing token");
    auto tampered = token;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    auto const none_token =
        std::string("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.") +
        token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1) + ".";
    for (auto const& bad : {tampered, std::string("garbage"), none_token}) {
        r = svc.post("/verify", bj::serialize(bj::object{{"token", bad}}));
        BOOST_TEST(r.status == 401u);
        BOOST_TEST(error_of(r) == "Invalid or expired token");
    }
}

BOOST_AUTO_TEST_CASE(users_need_a_token_and_hide_other_emails)
{
    auth_fixture svc;
    BOOST_REQUIRE_EQUAL(
        svc.post("/register", register_body("ann", "ann@example.com", "password-1")).status, 201u);
    BOOST_REQUIRE_EQUAL(
        svc.post("/register", register_body("bob", "bob@example.com", "password-2")).status, 201u);
    auto const ann = svc.login_token("ann", "password-1");
    auto const admin = svc.login_token("admin", "admin123");

    auto r = svc.get("/users");
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(error_of(r) == "Token is missing");
    r = svc.get("/users", "not-a-token");
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(error_of(r) == "Invalid token");
    r = svc.get("/users/2");
    BOOST_TEST(r.status == 401u);
    r = svc.get("/users/count");
    BOOST_TEST(r.status == 401u);

    // An admin sees every field of every user.
    r = svc.get("/users", admin);
    BOOST_TEST(r.status == 200u);
    auto all = r.json().as_array();
    BOOST_TEST(all.size() == 3u);
    for (auto const& u : all)
        BOOST_TEST(u.as_object().contains("email"));
    BOOST_TEST(all[0].at("username").as_string() == "admin");
    BOOST_TEST(all[0].at("is_admin").as_bool());

    // Others see their own email only.
    r = svc.get("/users", ann);
    BOOST_TEST(r.status == 200u);
    auto const seen_by_ann = r.json();
    for (auto const& u : seen_by_ann.as_array()) {
        bool const self = u.at("username").as_string() == "ann";
        BOOST_TEST(u.as_object().contains("email") == self);
    }
    auto const bob_id = all[2].at("id").as_int64();
    auto const ann_id = all[1].at("id").as_int64();
    r = svc.get("/users/" + std::to_string(bob_id), ann);
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("username").as_string() == "bob");
    BOOST_TEST(!r.json().as_object().contains("email"));
    r = svc.get("/users/" + std::to_string(ann_id), ann);
    BOOST_TEST(r.json().at("email").as_string() == "ann@example.com");
    r = svc.get("/users/" + std::to_string(bob_id), admin);
    BOOST_TEST(r.json().at("email").as_string() == "bob@example.com");

    r = svc.get("/users/999", ann);
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(error_of(r) == "User not found");

    r = svc.get("/users/count", ann);
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("count").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(bad_inputs_get_4xx_json_and_change_nothing)
{
    auth_fixture svc;
    BOOST_REQUIRE_EQUAL(
        svc.post("/register", register_body("ann", "ann@example.com", "password-1")).status, 201u);
    auto const before = svc.user_count();

    std::string const huge(20'000, 'x');
    std::string const big_name(5'000, 'x');
    struct bad_case {
        std::string path;
        std::string body;
    };
    std::vector<bad_case> const cases = {
        {"/register", "{"},
        {"/register", ""},
        {"/register", "[]"},
        {"/register", "null"},
        {"/register", "\"text\""},
        {"/register", R"({"username":1,"email":"x@example.com","password":"password-9"})"},
        {"/register", R"({"username":"carl","email":["x@example.com"],"password":"password-9"})"},
        {"/register", R"({"username":"carl","email":"x@example.com","password":12345678})"},
        {"/register", R"({"username":"carl","email":"x@example.com","password":true})"},
        {"/register", R"({"username":"carl","email":"x@example.com"})"},
        {"/register", R"({"username":null,"email":"x@example.com","password":"password-9"})"},
        {"/register", register_body(big_name, "x@example.com", "password-9")},
        {"/register", register_body("carl", big_name + "@example.com", "password-9")},
        {"/register", register_body("carl", "x@example.com", big_name)},
        {"/register", register_body(huge, "x@example.com", "password-9")}, // over the body limit
        {"/register", register_body("carl", "x@example.com", "short")},
        {"/register", register_body("ab", "x@example.com", "password-9")},
        {"/register", register_body("carl", "not-an-email", "password-9")},
        {"/register", register_body("x'; DROP TABLE users; --", "x@example.com", "password-9")},
        {"/register",
         register_body("carl", "x@example.com'); DELETE FROM users; --", "password-9")},
        {"/register",
         "{\"username\":\"ca\xff\xfe\",\"email\":\"x@example.com\",\"password\":\"password-9\"}"},
        {"/register",
         "{\"username\":\"carl\",\"email\":\"x@example.com\",\"password\":\"pass\xc3\x28word\"}"},
        {"/register", R"({"username":"carl","email":"x@example.com","password":"password-9")"},
        {"/register", std::string(100, '[')},
        {"/login", "{"},
        {"/login", "[1,2]"},
        {"/login", R"({"username":["ann"],"password":"password-1"})"},
        {"/login", R"({"username":"ann","password":{"$ne":null}})"},
        {"/login", R"({"username":"ann' OR '1'='1","password":"' OR '1'='1"})"},
        {"/login", bj::serialize(bj::object{{"username", "ann"}, {"password", big_name}})},
        {"/login", "{\"username\":\"an\xff\",\"password\":\"password-1\"}"},
        {"/verify", "{"},
        {"/verify", R"({"token":123})"},
        {"/verify", R"({"token":"' OR 1=1 --"})"},
        {"/verify", bj::serialize(bj::object{{"token", big_name}})},
    };
    for (auto const& c : cases) {
        auto r = svc.post(c.path, c.body);
        BOOST_TEST_CONTEXT(c.path << " " << c.body.substr(0, 80))
        {
            BOOST_TEST(r.status >= 400u);
            BOOST_TEST(r.status < 500u);
            BOOST_TEST(r.header("content-type").find("application/json") != std::string::npos);
            BOOST_TEST(!error_of(r).empty());
        }
    }
    BOOST_TEST(svc.user_count() == before);
    BOOST_TEST(svc.post("/login", R"({"username":"ann","password":"password-1"})").status == 200u);

    // SQL metacharacters in a valid field are stored and read back as given.
    auto r = svc.post("/register", register_body("o.hara", "o'hara--@example.com", "p@ss' OR 1=1"));
    BOOST_TEST(r.status == 201u);
    BOOST_TEST(r.json().at("user").at("email").as_string() == "o'hara--@example.com");
    BOOST_TEST(svc.post("/login", R"({"username":"o.hara","password":"p@ss' OR 1=1"})").status ==
               200u);
    BOOST_TEST(svc.user_count() == before + 1);
}

BOOST_AUTO_TEST_CASE(failed_logins_are_throttled_per_account)
{
    auth_fixture svc;
    BOOST_REQUIRE_EQUAL(
        svc.post("/register", register_body("ann", "ann@example.com", "password-1")).status, 201u);
    auto const wrong = R"({"username":"ann","password":"wrong-pass"})";
    auto const right = R"({"username":"ann","password":"password-1"})";

    // A success clears the account's count: 4 failures, a success, 4 more failures: no 429.
    for (int i = 0; i < 4; ++i)
        BOOST_TEST(svc.post("/login", wrong).status == 401u);
    BOOST_TEST(svc.post("/login", right).status == 200u);
    for (int i = 0; i < 4; ++i)
        BOOST_TEST(svc.post("/login", wrong).status == 401u);
    BOOST_TEST(svc.post("/login", wrong).status == 401u); // the 5th failure in this window
    auto r = svc.post("/login", wrong);
    BOOST_TEST(r.status == 429u);
    BOOST_TEST(!error_of(r).empty());
    auto retry = std::stoi(r.header("retry-after"));
    BOOST_TEST(retry > 0);
    BOOST_TEST(retry <= 15 * 60);
    // The right password is refused too while throttled; other accounts are not affected.
    BOOST_TEST(svc.post("/login", right).status == 429u);
    BOOST_TEST(svc.post("/login", R"({"username":"ANN","password":"password-1"})").status == 429u);
    BOOST_TEST(svc.post("/login", R"({"username":"admin","password":"admin123"})").status == 200u);
}

BOOST_AUTO_TEST_CASE(failed_logins_are_throttled_per_address)
{
    // Behind a trusted proxy the address comes from X-Forwarded-For (the last entry).
    auth_fixture svc(std::map<std::string, std::string>{
        {"PARLEY_LOGIN_MAX_FAILURES_PER_ADDRESS", "3"}, {"PARLEY_TRUST_PROXY", "true"}});
    auto from = [](std::string const& ip) {
        return test::header_list{{"X-Forwarded-For", "1.1.1.1, " + ip}};
    };
    for (int i = 0; i < 3; ++i) {
        auto body = bj::serialize(
            bj::object{{"username", "guess" + std::to_string(i)}, {"password", "nope-nope"}});
        BOOST_TEST(svc.post("/login", body, from("198.51.100.7")).status == 401u);
    }
    auto r = svc.post("/login", R"({"username":"another","password":"nope-nope"})",
                      from("198.51.100.7"));
    BOOST_TEST(r.status == 429u);
    BOOST_TEST(!r.header("retry-after").empty());
    // Another address is not throttled, even for the same usernames; the first entry is ignored.
    r = svc.post("/login", R"({"username":"another","password":"nope-nope"})",
                 from("198.51.100.8"));
    BOOST_TEST(r.status == 401u);
    r = svc.post("/login", R"({"username":"admin","password":"admin123"})", from("198.51.100.8"));
    BOOST_TEST(r.status == 200u);
}

BOOST_AUTO_TEST_CASE(forwarded_for_is_ignored_unless_trusted)
{
    auth_fixture svc(
        std::map<std::string, std::string>{{"PARLEY_LOGIN_MAX_FAILURES_PER_ADDRESS", "2"}});
    for (int i = 0; i < 2; ++i) {
        auto body = bj::serialize(
            bj::object{{"username", "guess" + std::to_string(i)}, {"password", "nope-nope"}});
        auto spoof = test::header_list{{"X-Forwarded-For", "203.0.113." + std::to_string(i)}};
        BOOST_TEST(svc.post("/login", body, spoof).status == 401u);
    }
    auto spoof = test::header_list{{"X-Forwarded-For", "203.0.113.99"}};
    BOOST_TEST(svc.post("/login", R"({"username":"x3","password":"nope-nope"})", spoof).status ==
               429u);
}

BOOST_AUTO_TEST_CASE(data_survives_a_restart_and_migrations_are_idempotent)
{
    test::temp_directory dir;
    std::string token;
    {
        test::service_process p(test::binary_path("auth"), {{"PARLEY_DATA_DIR", dir.path()}});
        auto r = http_call(p.port(), "POST", "/register",
                           register_body("ann", "ann@example.com", "password-1"));
        BOOST_REQUIRE_EQUAL(r.status, 201u);
        token = std::string(r.json().at("token").as_string());
        BOOST_TEST(p.stop() == 0);
    }
    test::service_process p(test::binary_path("auth"), {{"PARLEY_DATA_DIR", dir.path()}});
    // Same dev key (kept in the data dir): the old token is still valid; the user is still there.
    auto r = http_call(p.port(), "POST", "/verify", bj::serialize(bj::object{{"token", token}}));
    BOOST_TEST(r.status == 200u);
    r = http_call(p.port(), "POST", "/login", R"({"username":"ann","password":"password-1"})");
    BOOST_TEST(r.status == 200u);
    r = http_call(p.port(), "GET", "/users/count", {}, {{"Authorization", "Bearer " + token}});
    BOOST_TEST(r.json().at("count").as_int64() == 2); // admin created once, not twice
}

BOOST_AUTO_TEST_CASE(production_refuses_to_start_without_secrets)
{
    test::temp_directory dir;
    auto result = test::run_to_exit(
        test::binary_path("auth"), {{"PARLEY_DATA_DIR", dir.path()}, {"PARLEY_ENV", "production"}});
    BOOST_TEST(result.code == 2);
    BOOST_TEST(result.output.find("PARLEY_ADMIN_PASSWORD") != std::string::npos, result.output);

    // With the admin password but no signing key: still refused, naming the key variable.
    result = test::run_to_exit(test::binary_path("auth"),
                               {{"PARLEY_DATA_DIR", dir.path()},
                                {"PARLEY_ENV", "production"},
                                {"PARLEY_ADMIN_PASSWORD", "a-long-admin-secret"}});
    BOOST_TEST(result.code == 2);
    BOOST_TEST(result.output.find("PARLEY_JWT_PRIVATE_KEY") != std::string::npos, result.output);

    // The development password is refused in production.
    result = test::run_to_exit(test::binary_path("auth"), {{"PARLEY_DATA_DIR", dir.path()},
                                                           {"PARLEY_ENV", "production"},
                                                           {"PARLEY_ADMIN_PASSWORD", "admin123"}});
    BOOST_TEST(result.code == 2);
    BOOST_TEST(!std::filesystem::exists(std::string(dir.path()) + "/keys")); // no dev keys made
}

BOOST_AUTO_TEST_CASE(production_starts_with_secrets_and_has_no_default_admin_password)
{
    test::temp_directory dir;
    std::string const key_path = dir.path() + "/jwt.pem";
    {
        // A key made by openssl, as an operator would.
        auto rc = std::system(
            ("openssl genpkey -algorithm ed25519 -out " + key_path + " 2>/dev/null").c_str());
        BOOST_REQUIRE_EQUAL(rc, 0);
    }
    // Without the service credential (the gateway's, which makes its X-Forwarded-For believed):
    // refused, naming it.
    auto refused = test::run_to_exit(test::binary_path("auth"),
                                     {{"PARLEY_DATA_DIR", dir.path()},
                                      {"PARLEY_ENV", "production"},
                                      {"PARLEY_ADMIN_PASSWORD", "a-long-admin-secret"},
                                      {"PARLEY_JWT_PRIVATE_KEY_FILE", key_path}});
    BOOST_TEST(refused.code == 2);
    BOOST_TEST(refused.output.find("PARLEY_SERVICE_TOKEN") != std::string::npos, refused.output);
    test::service_process p(test::binary_path("auth"),
                            {{"PARLEY_DATA_DIR", dir.path()},
                             {"PARLEY_ENV", "production"},
                             {"PARLEY_ADMIN_PASSWORD", "a-long-admin-secret"},
                             {"PARLEY_JWT_PRIVATE_KEY_FILE", key_path},
                             // for GET /internal/revocations
                             {"PARLEY_SERVICE_TOKEN", "a-long-service-credential"}});
    BOOST_TEST(
        http_call(p.port(), "POST", "/login", R"({"username":"admin","password":"admin123"})")
            .status == 401u);
    BOOST_TEST(http_call(p.port(), "POST", "/login",
                         R"({"username":"admin","password":"a-long-admin-secret"})")
                   .status == 200u);
    BOOST_TEST(p.log().find("admin123") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
