// GET /api/stats against the real services: everyone gets the user count and the status of the
// services as it is; rooms and messages count public rooms only, except for an admin, who also
// sees private rooms and the live WebSocket count.
#include "integration/chat/chat_fixture.hpp"
#include "integration/gateway/fakes.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::test;
using namespace parley::test::gateway;
using chat_test::join;
using chat_test::login;
using chat_test::next_of;
using chat_test::send_message;

namespace {

struct services {
    temp_directory data;
    std::map<std::string, std::string> env{{"PARLEY_DATA_DIR", data.path()},
                                           {"PARLEY_BIND", "127.0.0.1"}};
    service_process auth{binary_path("auth"), env};
    service_process user{binary_path("user"), env};
    service_process chat{binary_path("chat"), with({{"PARLEY_USER_URL", at(user)}})};
    service_process gateway{
        binary_path("gateway"),
        with({{"PARLEY_AUTH_URL", at(auth)},
              {"PARLEY_USER_URL", at(user)},
              {"PARLEY_CHAT_URL", at(chat)},
              {"PARLEY_FRONTEND_URL", "127.0.0.1:" + std::to_string(closed_port())}})};

    static std::string at(service_process const& p)
    {
        return "127.0.0.1:" + std::to_string(p.port());
    }
    std::map<std::string, std::string> with(std::map<std::string, std::string> extra) const
    {
        auto e = env;
        for (auto& [k, v] : extra)
            e[k] = v;
        return e;
    }
    std::string token_of(http_reply const& r) const
    {
        BOOST_TEST_REQUIRE((r.status == 200u || r.status == 201u), r.body);
        return std::string(r.json().at("token").as_string());
    }
    boost::json::object stats(std::string const& token = {}) const
    {
        header_list h;
        if (!token.empty())
            h.emplace_back("Authorization", "Bearer " + token);
        auto r = http_call(gateway.port(), "GET", "/api/stats", {}, h);
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
        return r.json().as_object();
    }
    std::int64_t create_room(std::string const& token, std::string const& name, bool is_private)
    {
        auto r = http_call(
            gateway.port(), "POST", "/api/chat/rooms",
            json::serialize(boost::json::object{{"name", name}, {"is_private", is_private}}),
            {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
        BOOST_TEST_REQUIRE(r.status == 201u, r.body);
        return r.json().at("room").at("id").as_int64();
    }
};

net::awaitable<void> post_messages(std::uint16_t chat_port, std::string token,
                                   std::vector<std::pair<std::int64_t, int>> per_room)
{
    auto c = co_await login(chat_port, token);
    int n = 0;
    for (auto const& [room, count] : per_room) {
        co_await join(c, room);
        for (int i = 0; i < count; ++i) {
            auto const content = "message " + std::to_string(n);
            auto const client_id = "m" + std::to_string(n++);
            co_await send_message(c, room, content, client_id);
            co_await next_of(c, "ack");
        }
    }
    co_await c.close();
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_stats)

BOOST_AUTO_TEST_CASE(anonymous_stats_count_users_and_public_rooms_and_report_real_health)
{
    services s;
    auto const ann = s.token_of(http_call(s.gateway.port(), "POST", "/api/auth/register",
                                          R"({"username":"ann","email":"ann@example.com",)"
                                          R"("password":"ann-password-1"})",
                                          {{"Content-Type", "application/json"}}));
    auto const admin = s.token_of(http_call(s.gateway.port(), "POST", "/api/auth/login",
                                            R"({"username":"admin","password":"admin123"})",
                                            {{"Content-Type", "application/json"}}));
    auto const secret = s.create_room(ann, "secret plans", true);
    s.create_room(ann, "open room", false);
    run_coro([&] { return post_messages(s.chat.port(), ann, {{secret, 2}, {1, 1}}); });

    for (auto const& token : {std::string(), ann}) { // anonymous, and a user who is no admin
        BOOST_TEST_CONTEXT((token.empty() ? "anonymous" : "ann"))
        {
            auto st = s.stats(token);
            BOOST_TEST(st.at("users").as_int64() == 2); // admin and ann
            BOOST_TEST(st.at("total_users").as_int64() == 2);
            BOOST_TEST(st.at("rooms").as_int64() == 2); // General and the open room
            BOOST_TEST(st.at("total_rooms").as_int64() == 2);
            BOOST_TEST(st.at("messages").as_int64() == 1); // not the private room's two
            BOOST_TEST(st.at("services_status").as_string() == "operational");
            BOOST_TEST(st.at("websocket_connections").is_null());
        }
    }
    auto st = s.stats(admin);
    BOOST_TEST(st.at("users").as_int64() == 2);
    BOOST_TEST(st.at("rooms").as_int64() == 3);
    BOOST_TEST(st.at("messages").as_int64() == 3);
    BOOST_TEST(st.at("services_status").as_string() == "operational");
    BOOST_TEST(st.at("websocket_connections").is_int64());

    // The status follows the services' health, for everyone alike.
    BOOST_REQUIRE_EQUAL(s.user.stop(), 0);
    BOOST_TEST(s.stats().at("services_status").as_string() == "degraded");
    BOOST_TEST(s.stats().at("users").as_int64() == 2);
    BOOST_TEST(s.stats(admin).at("services_status").as_string() == "degraded");
}

BOOST_AUTO_TEST_CASE(chat_stats_count_private_rooms_for_admins_only)
{
    services s;
    auto const admin = s.token_of(http_call(s.gateway.port(), "POST", "/api/auth/login",
                                            R"({"username":"admin","password":"admin123"})",
                                            {{"Content-Type", "application/json"}}));
    s.create_room(admin, "staff", true);
    auto anonymous = http_call(s.chat.port(), "GET", "/stats").json();
    BOOST_TEST(anonymous.at("rooms").as_int64() == 1);
    auto full =
        http_call(s.chat.port(), "GET", "/stats", {}, {{"Authorization", "Bearer " + admin}})
            .json();
    BOOST_TEST(full.at("rooms").as_int64() == 2);
    // Auth's user count: for a token, or for a Parley service (the gateway's /api/stats).
    BOOST_TEST(http_call(s.auth.port(), "GET", "/users/count").status == 401u);
    BOOST_TEST(http_call(s.auth.port(), "GET", "/users/count", {},
                         {{"X-Parley-Service-Token", "parley-development-service-token"}})
                   .json()
                   .at("count")
                   .as_int64() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
