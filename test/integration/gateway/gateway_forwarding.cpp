// Every gateway row of the original API reaches the right service with its method, path, query,
// body and the headers that may cross; answers come back with the upstream's status and body.
#include "integration/gateway/fakes.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::test;
using namespace parley::test::gateway;

namespace {

struct fixture {
    fake_service auth{"auth"};
    fake_service user{"user"};
    fake_service chat{"chat"};
    gateway_under_test gw{auth.address(), "http://" + user.address(), chat.address()};
};

struct row {
    std::string method;
    std::string gateway_target;
    std::string service;
    std::string upstream_target;
    unsigned status = 200;
};

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_forwarding)

BOOST_FIXTURE_TEST_CASE(every_original_row_is_forwarded, fixture)
{
    std::vector<row> const rows = {
        {"POST", "/api/auth/register", "auth", "/register", 201},
        {"POST", "/api/auth/login", "auth", "/login"},
        {"POST", "/api/auth/verify", "auth", "/verify"},
        {"GET", "/api/auth/users", "auth", "/users"},
        {"GET", "/api/auth/users/42", "auth", "/users/42"},
        {"GET", "/api/users/profiles/42", "user", "/profiles/42"},
        {"PUT", "/api/users/profiles/42", "user", "/profiles/42"},
        {"GET", "/api/users/profiles", "user", "/profiles"},
        {"GET", "/api/chat/rooms", "chat", "/rooms"},
        {"POST", "/api/chat/rooms", "chat", "/rooms"},
        {"GET", "/api/chat/rooms/3", "chat", "/rooms/3"},
        {"GET", "/api/chat/rooms/3/messages?limit=20&after=5", "chat",
         "/rooms/3/messages?limit=20&after=5"},
        {"GET", "/api/chat/rooms/3/online", "chat", "/rooms/3/online"},
        // Parley's additions: private-room members.
        {"GET", "/api/chat/rooms/3/members", "chat", "/rooms/3/members"},
        {"POST", "/api/chat/rooms/3/members/9", "chat", "/rooms/3/members/9"},
        {"DELETE", "/api/chat/rooms/3/members/9", "chat", "/rooms/3/members/9"},
    };
    for (auto const& r : rows) {
        BOOST_TEST_CONTEXT(r.method << " " << r.gateway_target)
        {
            std::string body = r.method == "GET" || r.method == "DELETE" ? "" : R"({"x":1})";
            auto reply = http_call(gw.port(), r.method, r.gateway_target, body,
                                   {{"Authorization", "Bearer abc"},
                                    {"Content-Type", "application/json"},
                                    {"X-Request-ID", "req-12345678"},
                                    {"X-Parley-Service-Token", "forged"},
                                    {"Cookie", "secret=1"}});
            BOOST_TEST(reply.status == r.status);
            auto seen = reply.json().as_object();
            BOOST_TEST(seen.at("service").as_string() == r.service);
            BOOST_TEST(seen.at("method").as_string() == r.method);
            BOOST_TEST(seen.at("target").as_string() == r.upstream_target);
            BOOST_TEST(seen.at("body").as_string() == body);
            BOOST_TEST(seen.at("authorization").as_string() == "Bearer abc");
            BOOST_TEST(seen.at("content_type").as_string() == "application/json");
            // The caller's request id travels on; the gateway answers with it too.
            BOOST_TEST(seen.at("request_id").as_string() == "req-12345678");
            BOOST_TEST(reply.header("x-request-id") == "req-12345678");
            BOOST_TEST(!seen.at("traceparent").as_string().empty());
            BOOST_TEST(seen.at("forwarded_for").as_string() == "127.0.0.1");
            // A client cannot pose as a service: its header is dropped. Auth gets the gateway's
            // own credential with X-Forwarded-For (it throttles logins per client address).
            BOOST_TEST(seen.at("service_token").as_string() ==
                       (r.service == "auth" ? "parley-development-service-token" : ""));
            BOOST_TEST(reply.header("x-upstream") == r.service);
            BOOST_TEST(reply.header("content-type") == "application/json");
        }
    }
}

BOOST_FIXTURE_TEST_CASE(upstream_errors_pass_through_unchanged, fixture)
{
    auto reply = http_call(gw.port(), "GET", "/api/auth/users/999");
    BOOST_TEST(reply.status == 404u);
    BOOST_TEST(reply.json().at("error").as_string() == "User not found");
}

BOOST_FIXTURE_TEST_CASE(unknown_paths_and_methods_get_clear_json_errors, fixture)
{
    auto unknown = http_call(gw.port(), "GET", "/api/nothing/here");
    BOOST_TEST(unknown.status == 404u);
    BOOST_TEST(unknown.json().at("error").as_string() == "Not found");
    // Upstream-internal endpoints are not reachable through the gateway.
    BOOST_TEST(http_call(gw.port(), "GET", "/api/chat/internal/instance").status == 404u);
    BOOST_TEST(http_call(gw.port(), "POST", "/api/users/profiles/3/stats", "{}").status == 404u);
    auto wrong_method = http_call(gw.port(), "DELETE", "/api/auth/login");
    BOOST_TEST(wrong_method.status == 405u);
    BOOST_TEST(wrong_method.json().at("error").is_string());
}

BOOST_FIXTURE_TEST_CASE(bodies_over_the_route_limit_get_413, fixture)
{
    std::string huge(64 * 1024, 'x');
    auto reply = http_call(gw.port(), "POST", "/api/auth/login", huge,
                           {{"Content-Type", "application/json"}});
    BOOST_TEST(reply.status == 413u);
}

BOOST_FIXTURE_TEST_CASE(cors_allows_the_browser_app, fixture)
{
    auto reply =
        http_call(gw.port(), "GET", "/api/chat/rooms", {}, {{"Origin", "http://localhost:8080"}});
    BOOST_TEST(reply.status == 200u);
    BOOST_TEST(reply.header("access-control-allow-origin") == "*");
    auto preflight = http_call(gw.port(), "OPTIONS", "/api/chat/rooms", {},
                               {{"Origin", "http://localhost:8080"},
                                {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "authorization, content-type"}});
    BOOST_TEST(preflight.status == 204u);
    BOOST_TEST(preflight.header("access-control-allow-methods").find("POST") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cors_origins_come_from_configuration)
{
    fake_service auth{"auth"}, user{"user"}, chat{"chat"};
    gateway_under_test gw{auth.address(),
                          user.address(),
                          chat.address(),
                          {{"PARLEY_CORS_ORIGINS", "http://app.example"}}};
    auto allowed =
        http_call(gw.port(), "GET", "/api/chat/rooms", {}, {{"Origin", "http://app.example"}});
    BOOST_TEST(allowed.header("access-control-allow-origin") == "http://app.example");
    auto other =
        http_call(gw.port(), "GET", "/api/chat/rooms", {}, {{"Origin", "http://evil.example"}});
    BOOST_TEST(other.header("access-control-allow-origin") == "");
}

BOOST_AUTO_TEST_CASE(several_addresses_fail_over_to_a_live_one)
{
    fake_service auth{"auth"}, user{"user"}, chat{"chat"};
    auto dead = "127.0.0.1:" + std::to_string(closed_port());
    gateway_under_test gw{dead + "," + auth.address(), user.address(), chat.address() + "," + dead};
    for (int i = 0; i < 6; ++i) {
        BOOST_TEST(http_call(gw.port(), "POST", "/api/auth/login", "{}").status == 200u);
        BOOST_TEST(http_call(gw.port(), "GET", "/api/chat/rooms").status == 200u);
    }
    auto health = http_call(gw.port(), "GET", "/health");
    BOOST_TEST(health.status == 200u);
}

BOOST_AUTO_TEST_CASE(stats_are_counted_by_each_service)
{
    fake_service auth{"auth", nullptr, boost::json::object{{"count", 3}}};
    fake_service user{"user"};
    fake_service chat{"chat", nullptr, boost::json::object{{"rooms", 2}, {"messages", 5}}};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    auto reply = http_call(gw.port(), "GET", "/api/stats", {},
                           {{"Authorization", "Bearer " + gw.token(true, "admin")}});
    BOOST_TEST(reply.status == 200u);
    auto s = reply.json().as_object();
    BOOST_TEST(s.at("users").as_int64() == 3);
    BOOST_TEST(s.at("total_users").as_int64() == 3);
    BOOST_TEST(s.at("rooms").as_int64() == 2);
    BOOST_TEST(s.at("messages").as_int64() == 5);
    BOOST_TEST(s.at("websocket_connections").as_int64() == 0);
    BOOST_TEST(s.at("services_status").as_string() == "operational");
}

BOOST_AUTO_TEST_SUITE_END()
