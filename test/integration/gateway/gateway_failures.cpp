// The original's failure answers: 503 "Service unavailable" for a service that is down, 504
// "Service timeout" for one that hangs, and an aggregated /health.
#include "integration/gateway/fakes.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::test;
using namespace parley::test::gateway;

BOOST_AUTO_TEST_SUITE(gateway_failures)

BOOST_AUTO_TEST_CASE(health_is_healthy_when_every_service_answers)
{
    fake_service auth{"auth"}, user{"user"}, chat{"chat"};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    auto reply = http_call(gw.port(), "GET", "/health");
    BOOST_TEST(reply.status == 200u);
    auto doc = reply.json().as_object();
    BOOST_TEST(doc.at("status").as_string() == "healthy");
    BOOST_TEST(doc.at("services").at("auth").as_bool());
    BOOST_TEST(doc.at("services").at("user").as_bool());
    BOOST_TEST(doc.at("services").at("chat").as_bool());
}

BOOST_AUTO_TEST_CASE(a_service_that_is_down_gives_503_and_degraded_health)
{
    fake_service auth{"auth"}, user{"user"};
    auto dead = "127.0.0.1:" + std::to_string(closed_port());
    gateway_under_test gw{auth.address(), user.address(), dead};
    for (auto target : {"/api/chat/rooms", "/api/chat/rooms/1/messages?limit=5"}) {
        auto reply = http_call(gw.port(), "GET", target);
        BOOST_TEST(reply.status == 503u);
        BOOST_TEST(reply.json().at("error").as_string() == "Service unavailable");
    }
    auto post = http_call(gw.port(), "POST", "/api/chat/rooms", R"({"name":"x"})");
    BOOST_TEST(post.status == 503u);
    // The other services still work.
    BOOST_TEST(http_call(gw.port(), "GET", "/api/users/profiles/1").status == 200u);

    auto health = http_call(gw.port(), "GET", "/health");
    BOOST_TEST(health.status == 503u);
    auto doc = health.json().as_object();
    BOOST_TEST(doc.at("status").as_string() == "degraded");
    BOOST_TEST(doc.at("services").at("auth").as_bool());
    BOOST_TEST(doc.at("services").at("user").as_bool());
    BOOST_TEST(!doc.at("services").at("chat").as_bool());
}

BOOST_AUTO_TEST_CASE(a_service_that_hangs_gives_504)
{
    fake_service user{"user"}, chat{"chat"};
    // An auth "service" that accepts connections (the listen backlog does) and never answers.
    net::io_context io;
    net::ip::tcp::acceptor silent(io, {net::ip::make_address("127.0.0.1"), 0});
    gateway_under_test hanging{"127.0.0.1:" + std::to_string(silent.local_endpoint().port()),
                               user.address(),
                               chat.address(),
                               {{"PARLEY_UPSTREAM_TIMEOUT", "500ms"}}};
    auto reply =
        http_call(hanging.port(), "POST", "/api/auth/login", R"({"username":"a","password":"b"})");
    BOOST_TEST(reply.status == 504u);
    BOOST_TEST(reply.json().at("error").as_string() == "Service timeout");
    // The gateway itself is still responsive.
    BOOST_TEST(http_call(hanging.port(), "GET", "/api/users/profiles").status == 200u);
}

BOOST_AUTO_TEST_CASE(topology_lists_every_instance_for_admins_only)
{
    fake_service auth{"auth"}, user{"user"}, chat_a{"chat"}, chat_b{"chat"};
    auto dead = "127.0.0.1:" + std::to_string(closed_port());
    gateway_under_test gw{auth.address(), user.address(),
                          chat_a.address() + "," + chat_b.address() + "," + dead};

    BOOST_TEST(http_call(gw.port(), "GET", "/api/admin/topology").status == 401u);
    auto user_reply = http_call(gw.port(), "GET", "/api/admin/topology", {},
                                {{"Authorization", "Bearer " + gw.token(false)}});
    BOOST_TEST(user_reply.status == 403u);

    auto reply = http_call(gw.port(), "GET", "/api/admin/topology", {},
                           {{"Authorization", "Bearer " + gw.token(true, "admin")}});
    BOOST_TEST(reply.status == 200u);
    auto doc = reply.json().as_object();
    std::map<std::string, boost::json::array> by_name;
    for (auto const& s : doc.at("services").as_array())
        by_name[std::string(s.at("name").as_string())] = s.at("instances").as_array();
    BOOST_TEST(by_name.size() == 5u);
    BOOST_TEST(by_name["auth"].size() == 1u);
    BOOST_TEST(by_name["auth"][0].at("up").as_bool());
    BOOST_TEST(by_name["auth"][0].at("service").as_string() == "auth-service");
    BOOST_TEST(by_name["auth"][0].at("address").as_string() == auth.address());
    BOOST_TEST(by_name["auth"][0].at("version").is_string());
    BOOST_TEST(by_name["auth"][0].at("uptime_s").is_number());
    BOOST_TEST(by_name["auth"][0].at("requests_per_s").is_number());
    BOOST_TEST(by_name["auth"][0].at("open_connections").is_number());
    auto const& chats = by_name["chat"];
    BOOST_TEST(chats.size() == 3u);
    BOOST_TEST(chats[0].at("up").as_bool());
    BOOST_TEST(chats[1].at("up").as_bool());
    BOOST_TEST(!chats[2].at("up").as_bool());
    BOOST_TEST(chats[0].at("instance").as_string() != chats[1].at("instance").as_string());
    // The gateway reports itself; the frontend is down in this test.
    BOOST_TEST(by_name["gateway"].size() == 1u);
    BOOST_TEST(by_name["gateway"][0].at("up").as_bool());
    BOOST_TEST(by_name["gateway"][0].at("service").as_string() == "gateway");
    BOOST_TEST(!by_name["frontend"][0].at("up").as_bool());
    BOOST_TEST(doc.at("links").as_array().size() > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
