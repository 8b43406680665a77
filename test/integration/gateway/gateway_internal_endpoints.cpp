// /metrics and /internal/* describe the process, not the API: on the gateway's public port they
// answer 404 unless the service credential comes with the request, and with PARLEY_INTERNAL_PORT
// every service serves them (and nothing else) on a second listener.
#include "integration/gateway/fakes.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::test;
using namespace parley::test::gateway;

namespace {

constexpr char const* dev_credential = "parley-development-service-token";

// The port of the n-th "listening" line of a process's log (the first is the public port).
std::uint16_t listening_port(service_process const& p, std::size_t n)
{
    for (int attempt = 0; attempt < 200; ++attempt) {
        auto const log = p.log();
        std::size_t pos = 0, seen = 0, line_start = 0;
        while ((pos = log.find("\"message\":\"listening\"", pos)) != std::string::npos) {
            line_start = log.rfind('\n', pos);
            line_start = line_start == std::string::npos ? 0 : line_start + 1;
            auto end = log.find('\n', pos);
            if (end == std::string::npos)
                break;
            if (++seen == n)
                return static_cast<std::uint16_t>(
                    boost::json::parse(log.substr(line_start, end - line_start))
                        .at("port")
                        .to_number<int>());
            pos = end;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    throw std::runtime_error("no listening line #" + std::to_string(n) + " in:\n" + p.log());
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_internal_endpoints)

BOOST_AUTO_TEST_CASE(public_port_hides_metrics_and_internal_without_the_credential)
{
    fake_service auth{"auth"}, user{"user"}, chat{"chat"};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    for (auto const* target : {"/metrics", "/internal/instance", "/internal/instance?x=1"}) {
        BOOST_TEST_CONTEXT(target)
        {
            auto anonymous = http_call(gw.port(), "GET", target);
            BOOST_TEST(anonymous.status == 404u);
            BOOST_TEST(error_of(anonymous) == "Not found");
            BOOST_TEST(anonymous.body.find("parley_") == std::string::npos);
            auto forged =
                http_call(gw.port(), "GET", target, {},
                          {{"X-Parley-Service-Token", "parley-development-service-tokeN"}});
            BOOST_TEST(forged.status == 404u);
            auto bearer = http_call(gw.port(), "GET", target, {},
                                    {{"Authorization", "Bearer " + gw.token(true, "admin")}});
            BOOST_TEST(bearer.status == 404u); // not even for an admin's token: services only
            auto service = http_call(gw.port(), "GET", target, {},
                                     {{"X-Parley-Service-Token", dev_credential}});
            BOOST_TEST(service.status == 200u);
        }
    }
    auto metrics =
        http_call(gw.port(), "GET", "/metrics", {}, {{"X-Parley-Service-Token", dev_credential}});
    BOOST_TEST(metrics.body.find("parley_http_requests_total") != std::string::npos);
    // The topology still shows the gateway itself (it asks its own /internal/instance).
    auto topology = http_call(gw.port(), "GET", "/api/admin/topology", {},
                              {{"Authorization", "Bearer " + gw.token(true, "admin")}});
    BOOST_TEST_REQUIRE(topology.status == 200u);
    auto const doc = topology.json();
    for (auto const& s : doc.at("services").as_array())
        if (s.at("name").as_string() == "gateway")
            BOOST_TEST(s.at("instances").as_array()[0].at("up").as_bool());
}

BOOST_AUTO_TEST_CASE(a_configured_credential_is_the_one_that_opens_them)
{
    fake_service auth{"auth"}, user{"user"}, chat{"chat"};
    std::string const token = "a-configured-service-token-0123456789";
    gateway_under_test gw{
        auth.address(), user.address(), chat.address(), {{"PARLEY_SERVICE_TOKEN", token}}};
    BOOST_TEST(
        http_call(gw.port(), "GET", "/metrics", {}, {{"X-Parley-Service-Token", dev_credential}})
            .status == 404u);
    BOOST_TEST(
        http_call(gw.port(), "GET", "/metrics", {}, {{"X-Parley-Service-Token", token}}).status ==
        200u);
    auto topology = http_call(gw.port(), "GET", "/api/admin/topology", {},
                              {{"Authorization", "Bearer " + gw.token(true, "admin")}});
    BOOST_TEST_REQUIRE(topology.status == 200u);
    auto const doc = topology.json();
    for (auto const& s : doc.at("services").as_array())
        if (s.at("name").as_string() == "gateway")
            BOOST_TEST(s.at("instances").as_array()[0].at("up").as_bool());
}

BOOST_AUTO_TEST_CASE(internal_port_serves_metrics_and_internal_only)
{
    fake_service auth{"auth"}, user{"user"}, chat{"chat"};
    gateway_under_test gw{
        auth.address(), user.address(), chat.address(), {{"PARLEY_INTERNAL_PORT", "0"}}};
    auto const internal = listening_port(gw.process, 2);
    BOOST_TEST(internal != gw.port());
    BOOST_TEST(http_call(gw.port(), "GET", "/api/chat/rooms").status == 200u); // one to count
    // A request is counted once its response is written: the client may ask before that.
    auto metrics = http_call(internal, "GET", "/metrics");
    for (int i = 0; i < 100 && metrics.body.find("parley_http_requests_total") == std::string::npos;
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        metrics = http_call(internal, "GET", "/metrics");
    }
    BOOST_TEST(metrics.status == 200u);
    BOOST_TEST(metrics.header("content-type").find("text/plain") == 0u);
    BOOST_TEST(metrics.body.find("parley_http_requests_total") != std::string::npos);
    auto instance = http_call(internal, "GET", "/internal/instance");
    BOOST_TEST_REQUIRE(instance.status == 200u);
    BOOST_TEST(instance.json().at("service").as_string() == "gateway");
    // It describes the service (its public port), not the internal listener.
    BOOST_TEST(std::string(instance.json().at("instance").as_string())
                   .find(":" + std::to_string(gw.port()) + "/") != std::string::npos);
    for (auto const* other : {"/health", "/api/stats", "/api/chat/rooms", "/internal/nothing"})
        BOOST_TEST(http_call(internal, "GET", other).status == 404u, other);
    // The public port still refuses them without the credential.
    BOOST_TEST(http_call(gw.port(), "GET", "/metrics").status == 404u);
}

BOOST_AUTO_TEST_CASE(every_service_can_have_an_internal_port)
{
    temp_directory dir;
    service_process frontend(binary_path("frontend"), {{"PARLEY_DATA_DIR", dir.path()},
                                                       {"PARLEY_BIND", "127.0.0.1"},
                                                       {"PARLEY_INTERNAL_PORT", "0"}});
    auto const internal = listening_port(frontend, 2);
    BOOST_TEST(http_call(internal, "GET", "/metrics").status == 200u);
    BOOST_TEST(http_call(internal, "GET", "/internal/instance").json().at("service").as_string() ==
               "frontend");
    BOOST_TEST(http_call(internal, "GET", "/").status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
