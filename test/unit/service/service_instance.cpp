#include "parley/http/server.hpp"
#include "parley/service/instance.hpp"
#include "support/http.hpp"
#include "support/run.hpp"

#include <boost/test/unit_test.hpp>
#include <unistd.h>

using namespace parley;
using parley::test::http_call;

namespace {

net::awaitable<http::response> hello(http::request_context&)
{
    co_return http::json({{"hello", "world"}});
}

} // namespace

BOOST_AUTO_TEST_SUITE(service_instance)

BOOST_AUTO_TEST_CASE(reports_service_instance_version_and_load)
{
    auto setup = [](http::server& s) {
        expose_instance(s, "demo-service");
        s.routes().get("/hello", hello);
    };
    test::running_server srv(setup);
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(http_call(srv.port(), "GET", "/hello").status == 200u);

    auto reply = http_call(srv.port(), "GET", "/internal/instance");
    BOOST_TEST(reply.status == 200u);
    auto doc = reply.json().as_object();
    BOOST_TEST(doc.at("service").as_string() == "demo-service");
    BOOST_TEST(doc.at("version").as_string() == std::string(parley::version()));
    std::string instance(doc.at("instance").as_string());
    auto suffix = ":" + std::to_string(srv.port()) + "/" + std::to_string(::getpid());
    BOOST_TEST(instance.size() > suffix.size());
    BOOST_TEST(instance.substr(instance.size() - suffix.size()) == suffix);
    BOOST_TEST(doc.at("uptime_s").to_number<double>() >= 0.0);
    // This request's own connection is open while it is answered.
    BOOST_TEST(doc.at("open_connections").to_number<std::int64_t>() >= 1);
    BOOST_TEST(doc.at("open_websockets").to_number<std::int64_t>() == 0);
    // Five routed requests (and this one) counted: a positive rate.
    BOOST_TEST(doc.at("requests_per_s").to_number<double>() > 0.0);
}

BOOST_AUTO_TEST_CASE(unknown_internal_path_is_404)
{
    auto setup = [](http::server& s) { expose_instance(s, "demo-service"); };
    test::running_server srv(setup);
    BOOST_TEST(http_call(srv.port(), "GET", "/internal/other").status == 404u);
    BOOST_TEST(http_call(srv.port(), "POST", "/internal/instance").status == 405u);
}

BOOST_AUTO_TEST_SUITE_END()
