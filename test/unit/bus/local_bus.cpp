#include "parley/bus/bus.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>

using namespace parley;

BOOST_AUTO_TEST_SUITE(local_bus)

BOOST_AUTO_TEST_CASE(delivers_to_subscribers_of_the_channel_only)
{
    auto b = bus::make_local_bus();
    std::vector<std::string> got_a, got_b;
    auto sub_a = b->subscribe(
        "room:1", [&](std::string_view, bus::payload const& p) { got_a.push_back(*p); });
    auto sub_b = b->subscribe(
        "room:2", [&](std::string_view, bus::payload const& p) { got_b.push_back(*p); });
    b->publish("room:1", bus::make_payload("one"));
    b->publish("room:2", bus::make_payload("two"));
    b->publish("room:3", bus::make_payload("nobody"));
    BOOST_TEST((got_a == std::vector<std::string>{"one"}));
    BOOST_TEST((got_b == std::vector<std::string>{"two"}));
}

BOOST_AUTO_TEST_CASE(every_subscriber_gets_the_same_bytes_without_copy)
{
    auto b = bus::make_local_bus();
    std::string const* seen1 = nullptr;
    std::string const* seen2 = nullptr;
    auto s1 = b->subscribe("c", [&](std::string_view, bus::payload const& p) { seen1 = p.get(); });
    auto s2 = b->subscribe("c", [&](std::string_view, bus::payload const& p) { seen2 = p.get(); });
    auto p = bus::make_payload("shared");
    b->publish("c", p);
    BOOST_TEST(seen1 == p.get());
    BOOST_TEST(seen2 == p.get());
}

BOOST_AUTO_TEST_CASE(unsubscribe_stops_delivery)
{
    auto b = bus::make_local_bus();
    int count = 0;
    auto sub = b->subscribe("c", [&](std::string_view, bus::payload const&) { ++count; });
    b->publish("c", bus::make_payload("x"));
    sub.reset();
    b->publish("c", bus::make_payload("y"));
    BOOST_TEST(count == 1);
}

BOOST_AUTO_TEST_CASE(a_handler_may_unsubscribe_itself)
{
    auto b = bus::make_local_bus();
    int count = 0;
    std::unique_ptr<bus::subscription> sub;
    sub = b->subscribe("c", [&](std::string_view, bus::payload const&) {
        ++count;
        sub.reset();
    });
    b->publish("c", bus::make_payload("x"));
    b->publish("c", bus::make_payload("y"));
    BOOST_TEST(count == 1);
}

BOOST_AUTO_TEST_CASE(concurrent_publishers_lose_nothing)
{
    auto b = bus::make_local_bus();
    std::atomic<int> count{0};
    int unsynchronised = 0; // handler calls for one subscription never overlap
    auto sub = b->subscribe("c", [&](std::string_view, bus::payload const&) {
        ++count;
        ++unsynchronised;
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            auto p = bus::make_payload("m");
            for (int i = 0; i < 10000; ++i)
                b->publish("c", p);
        });
    for (auto& t : threads)
        t.join();
    BOOST_TEST(count.load() == 40000);
    BOOST_TEST(unsynchronised == 40000);
}

BOOST_AUTO_TEST_SUITE_END()
