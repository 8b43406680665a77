// PARLEY_BUS_URL: parsing redis:// URLs and choosing the bus (no server needed).
#include "parley/bus/bus.hpp"
#include "parley/bus/redis.hpp"
#include "parley/config/config.hpp"
#include "support/io_threads.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using bus::redis::parse_url;

BOOST_AUTO_TEST_SUITE(redis_url)

BOOST_AUTO_TEST_CASE(host_port_and_database)
{
    auto const e = parse_url("redis://10.0.0.5:6380/3");
    BOOST_TEST_REQUIRE(e.has_value());
    BOOST_TEST(e->host == "10.0.0.5");
    BOOST_TEST(e->port == 6380);
    BOOST_TEST(e->db == 3);
    BOOST_TEST(e->user.empty());
    BOOST_TEST(e->password.empty());

    auto const d = parse_url("redis://redis.default.svc");
    BOOST_TEST_REQUIRE(d.has_value());
    BOOST_TEST(d->host == "redis.default.svc");
    BOOST_TEST(d->port == 6379);
    BOOST_TEST(d->db == 0);
    BOOST_TEST(parse_url("redis://h/")->db == 0);
    BOOST_TEST(parse_url("REDIS://h:1")->port == 1);
    BOOST_TEST(parse_url("redis://[::1]:7000")->host == "::1");
}

BOOST_AUTO_TEST_CASE(password_and_user)
{
    auto const p = parse_url("redis://:s3cret@127.0.0.1:6379");
    BOOST_TEST_REQUIRE(p.has_value());
    BOOST_TEST(p->user.empty());
    BOOST_TEST(p->password == "s3cret");
    auto const u = parse_url("redis://app:p%40ss%3Aword@h/1");
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST(u->user == "app");
    BOOST_TEST(u->password == "p@ss:word"); // percent-decoded
    BOOST_TEST(u->db == 1);
}

BOOST_AUTO_TEST_CASE(malformed_urls_are_refused_with_a_reason)
{
    struct bad_case {
        char const* url;
        char const* reason;
    };
    bad_case const cases[] = {
        {"", "not a URL"},
        {"localhost:6379", "scheme"},
        {"http://h:6379", "scheme"},
        {"rediss://h", "TLS"},
        {"redis://", "no host"},
        {"redis:h", "no host"},
        {"redis://h:0", "port"},
        {"redis://h:65536", "port"},
        {"redis://h:99999", "port"},
        {"redis://h:", "port"},
        {"redis://h:abc", "port"},
        {"redis://h/x", "database"},
        {"redis://h/1/2", "database"},
        {"redis://h/-1", "database"},
        {"redis://h?timeout=1", "options"},
        {"redis://h#x", "options"},
        {"redis://user@h", "user needs a password"},
        {"redis://:@h", "password is empty"},
        {"redis://h h", "not a URL"},
    };
    for (auto const& c : cases) {
        auto const r = parse_url(c.url);
        BOOST_TEST(!r.has_value(), c.url);
        if (!r.has_value())
            BOOST_TEST(r.error().find(c.reason) != std::string::npos,
                       c.url << " -> " << r.error() << " (expected: " << c.reason << ")");
    }
}

BOOST_AUTO_TEST_CASE(make_bus_names_the_variable_and_masks_the_password)
{
    test::io_threads io(1);
    try {
        (void)bus::make_bus("redis://:topsecret@127.0.0.1:99999", io.executor(), "PARLEY_BUS_URL");
        BOOST_FAIL("a malformed URL was accepted");
    } catch (config_error const& e) {
        std::string const what = e.what();
        BOOST_TEST(what.find("PARLEY_BUS_URL") == 0u, what);
        BOOST_TEST(what.find("port") != std::string::npos, what);
        BOOST_TEST(what.find("topsecret") == std::string::npos, what);
        BOOST_TEST(what.find(":***@127.0.0.1") != std::string::npos, what);
    }
    BOOST_CHECK_THROW(bus::make_bus("nats://h", io.executor(), "X"), config_error);
}

BOOST_AUTO_TEST_CASE(an_empty_url_is_the_in_process_bus)
{
    test::io_threads io(1);
    auto b = bus::make_bus("", io.executor());
    int got = 0;
    auto sub = b->subscribe("c", [&](std::string_view, bus::payload const&) { ++got; });
    b->publish("c", bus::make_payload("x"));
    BOOST_TEST(got == 1); // synchronous: the local bus
}

BOOST_AUTO_TEST_CASE(a_redis_bus_without_a_server_is_created_and_destroyed_cleanly)
{
    test::io_threads io(2);
    // Port 1 on loopback refuses: the bus keeps trying in the background, publish never blocks.
    auto b = bus::make_bus("redis://127.0.0.1:1", io.executor());
    auto sub = b->subscribe("c", [](std::string_view, bus::payload const&) {});
    for (int i = 0; i < 1000; ++i)
        b->publish("c", bus::make_payload("x"));
    sub.reset();
    b.reset();
}

BOOST_AUTO_TEST_SUITE_END()
