// The admin topology with chat replicas sharing Redis (issue 9): the gateway lists the chat
// replicas from their heartbeats (parley/bus/replicas.hpp), every one of them even when it is
// configured with a single address (a Kubernetes Service), and a killed replica drops out once
// its heartbeat expires.
#include "integration/chat/replica_cluster.hpp"
#include "integration/gateway/fakes.hpp"

#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

using namespace chat_test;
using namespace std::chrono_literals;
namespace gw = parley::test::gateway;

namespace {

// The chat instances of the topology: their "instance" ("host:port/pid") and source.
std::vector<bj::object> chat_instances(gw::gateway_under_test const& gateway)
{
    auto r = test::http_call(gateway.port(), "GET", "/api/admin/topology", {},
                             {{"Authorization", "Bearer " + gateway.token(true, "admin")}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    std::vector<bj::object> out;
    auto const doc = r.json();
    for (auto const& s : doc.at("services").as_array())
        if (s.at("name").as_string() == "chat")
            for (auto const& i : s.at("instances").as_array())
                out.push_back(i.as_object());
    return out;
}

std::set<std::uint16_t> ports_of(std::vector<bj::object> const& instances)
{
    std::set<std::uint16_t> ports;
    for (auto const& i : instances) {
        std::string const instance(i.at("instance").as_string()); // host:port/pid
        auto const colon = instance.rfind(':'), slash = instance.rfind('/');
        ports.insert(
            static_cast<std::uint16_t>(std::stoi(instance.substr(colon + 1, slash - colon - 1))));
    }
    return ports;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_replica_topology)

BOOST_AUTO_TEST_CASE(the_topology_lists_the_chat_replicas_from_their_heartbeats)
{
    cluster c(2);
    auto const nowhere = "127.0.0.1:" + std::to_string(gw::closed_port());
    // One chat address, as behind a Service: the replicas come from Redis.
    gw::gateway_under_test gateway{nowhere,
                                   nowhere,
                                   "127.0.0.1:" + std::to_string(c.chat[0]->port()),
                                   {{"PARLEY_BUS_URL", c.redis.url()}}};
    std::set<std::uint16_t> const both{c.chat[0]->port(), c.chat[1]->port()};
    std::vector<bj::object> instances;
    for (int i = 0; i < 50 && ports_of(instances) != both; ++i) {
        std::this_thread::sleep_for(100ms);
        instances = chat_instances(gateway);
    }
    BOOST_TEST_REQUIRE((ports_of(instances) == both));
    for (auto const& i : instances) {
        BOOST_TEST(i.at("up").as_bool());
        BOOST_TEST(i.at("source").as_string() == "heartbeat");
        BOOST_TEST(i.at("service").as_string() == "chat-service");
        BOOST_TEST(i.contains("open_websockets"));
    }

    c.chat[1]->killed = true;
    c.chat[1]->process.kill();
    auto const start = std::chrono::steady_clock::now();
    while (ports_of(instances) != std::set<std::uint16_t>{c.chat[0]->port()} &&
           std::chrono::steady_clock::now() - start < 12s) {
        std::this_thread::sleep_for(200ms);
        instances = chat_instances(gateway);
    }
    BOOST_TEST((ports_of(instances) == std::set<std::uint16_t>{c.chat[0]->port()}));
    auto const took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    BOOST_TEST_MESSAGE("a killed replica left the topology after " << took.count() << " ms");
    BOOST_TEST(took.count() < 10'000);
}

BOOST_AUTO_TEST_SUITE_END()
