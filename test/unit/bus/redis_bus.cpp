// The Redis bus against a real redis-server: several bus instances stand for several processes.
#include "parley/bus/bus.hpp"
#include "parley/bus/redis.hpp"
#include "parley/metrics/metrics.hpp"
#include "support/io_threads.hpp"
#include "support/redis_server.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <mutex>
#include <numeric>
#include <thread>
#include <unistd.h>

using namespace parley;
namespace redis = parley::bus::redis;

namespace {

redis::client_options fast_options(std::string name = "test")
{
    redis::client_options o;
    o.connect_timeout = 500ms;
    o.command_timeout = 1s;
    o.health_check_interval = 200ms;
    o.reconnect_min_delay = 20ms;
    o.reconnect_max_delay = 300ms;
    o.name = std::move(name);
    return o;
}

// Messages a handler received, readable from the test thread.
class inbox {
public:
    void add(std::string_view m)
    {
        std::lock_guard lock(mutex_);
        messages_.emplace_back(m);
    }
    std::size_t size() const
    {
        std::lock_guard lock(mutex_);
        return messages_.size();
    }
    std::vector<std::string> messages() const
    {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    bool has(std::string_view m) const
    {
        std::lock_guard lock(mutex_);
        return std::find(messages_.begin(), messages_.end(), m) != messages_.end();
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> messages_;
};

net::awaitable<std::int64_t> numsub(redis::client& c, std::string channel)
{
    auto const r = co_await c.command("PUBSUB", "NUMSUB", channel);
    if (!r || r->elements.size() != 2)
        co_return -1;
    co_return r->elements[1].integer;
}

// Redis's count of subscribers of `channel` reaches `expected`.
bool subscribers_reach(test::io_threads& io, redis::client& admin, std::string const& channel,
                       std::int64_t expected, std::chrono::milliseconds limit = 10s)
{
    return test::wait_until(
        [&] { return io.run([&] { return numsub(admin, channel); }) == expected; }, limit);
}

// The numbers after `prefix` in the messages that start with it, in arrival order.
std::vector<int> sequence(std::vector<std::string> const& messages, std::string const& prefix)
{
    std::vector<int> out;
    for (auto const& m : messages)
        if (m.starts_with(prefix))
            out.push_back(std::stoi(m.substr(prefix.size())));
    return out;
}

bool increasing(std::vector<int> const& v)
{
    return std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end();
}

std::size_t resident_bytes()
{
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_bus)

BOOST_AUTO_TEST_CASE(two_processes_exchange_messages_in_publish_order)
{
    test::redis_server server;
    test::io_threads io;
    redis::client admin(io.executor(), server.endpoint());
    // One through the factory the services use, one configured directly.
    auto a = bus::make_bus(server.url(), io.executor());
    auto b = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options());
    inbox at_a, at_b;
    auto sa =
        a->subscribe("room:1", [&](std::string_view, bus::payload const& p) { at_a.add(*p); });
    auto sb =
        b->subscribe("room:1", [&](std::string_view, bus::payload const& p) { at_b.add(*p); });
    BOOST_TEST_REQUIRE(subscribers_reach(io, admin, "room:1", 2));

    for (int i = 0; i < 100; ++i) {
        a->publish("room:1", bus::make_payload("a:" + std::to_string(i)));
        b->publish("room:1", bus::make_payload("b:" + std::to_string(i)));
    }
    BOOST_TEST_REQUIRE(test::wait_until([&] { return at_a.size() == 200 && at_b.size() == 200; }));
    for (auto const* box : {&at_a, &at_b}) {
        auto const got = box->messages();
        auto const from_a = sequence(got, "a:");
        auto const from_b = sequence(got, "b:");
        BOOST_TEST(from_a.size() == 100u);
        BOOST_TEST(from_b.size() == 100u);
        BOOST_TEST(increasing(from_a)); // each publisher's order is kept
        BOOST_TEST(increasing(from_b));
    }
}

BOOST_AUTO_TEST_CASE(ten_thousand_pipelined_publishes_arrive_in_order)
{
    test::redis_server server;
    test::io_threads io;
    redis::client admin(io.executor(), server.endpoint());
    auto publisher = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options("pub"));
    auto subscriber = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options("sub"));
    inbox got;
    auto sub = subscriber->subscribe("bench",
                                     [&](std::string_view, bus::payload const& p) { got.add(*p); });
    BOOST_TEST_REQUIRE(subscribers_reach(io, admin, "bench", 1));
    auto const info_before = io.run([&] { return admin.command("INFO", "stats"); })->text;

    constexpr int n = 10'000;
    auto const t0 = clock::now();
    for (int i = 0; i < n; ++i)
        publisher->publish("bench", bus::make_payload(std::to_string(i)));
    auto const queued = clock::now();
    BOOST_TEST_REQUIRE(test::wait_until([&] { return got.size() == std::size_t(n); }, 20s));
    auto const done = clock::now();

    auto const numbers = sequence(got.messages(), "");
    std::vector<int> expected(n);
    std::iota(expected.begin(), expected.end(), 0);
    BOOST_TEST((numbers == expected));
    using us = std::chrono::microseconds;
    auto const total_us = std::chrono::duration_cast<us>(done - t0).count();
    BOOST_TEST_MESSAGE(n << " publishes: queued in "
                         << std::chrono::duration_cast<us>(queued - t0).count()
                         << " us, all received after " << total_us << " us ("
                         << (n * 1'000'000.0 / double(total_us)) << " msg/s end to end)");
    // They reached Redis in few reads: many publishes per write.
    auto const info_after = io.run([&] { return admin.command("INFO", "stats"); })->text;
    auto const reads = [](std::string const& info) {
        auto const at = info.find("total_reads_processed:");
        return std::stoll(info.substr(at + 22));
    };
    auto const redis_reads = reads(info_after) - reads(info_before);
    BOOST_TEST_MESSAGE("Redis needed " << redis_reads << " reads for them");
    BOOST_TEST(redis_reads < n / 10);
}

BOOST_AUTO_TEST_CASE(a_channel_is_subscribed_while_a_local_subscription_exists)
{
    test::redis_server server;
    test::io_threads io;
    redis::client admin(io.executor(), server.endpoint());
    auto b = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options());
    auto none = [](std::string_view, bus::payload const&) {};
    auto s1 = b->subscribe("c1", none);
    auto s2 = b->subscribe("c1", none);
    auto s3 = b->subscribe("c2", none);
    // One subscriber connection per process, whatever the number of local subscriptions.
    BOOST_TEST(subscribers_reach(io, admin, "c1", 1));
    BOOST_TEST(subscribers_reach(io, admin, "c2", 1));

    s1.reset();
    auto s4 = b->subscribe("c3", none); // a later command: once c3 is in, s1's reset was seen
    BOOST_TEST(subscribers_reach(io, admin, "c3", 1));
    BOOST_TEST(io.run([&] { return numsub(admin, "c1"); }) == 1);

    s2.reset();
    BOOST_TEST(subscribers_reach(io, admin, "c1", 0));
    BOOST_TEST(io.run([&] { return numsub(admin, "c2"); }) == 1);

    // Another process subscribing counts once more.
    auto other = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options());
    auto s5 = other->subscribe("c2", none);
    BOOST_TEST(subscribers_reach(io, admin, "c2", 2));
    s3.reset();
    s5.reset();
    s4.reset();
    BOOST_TEST(subscribers_reach(io, admin, "c2", 0));
    BOOST_TEST(subscribers_reach(io, admin, "c3", 0));
}

BOOST_AUTO_TEST_CASE(handlers_never_overlap_and_may_unsubscribe_themselves)
{
    test::redis_server server;
    test::io_threads io(4);
    redis::client admin(io.executor(), server.endpoint());
    auto b = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options());
    std::atomic<int> inside{0}, overlaps{0}, calls{0};
    auto count = [&](std::string_view, bus::payload const&) {
        if (inside.fetch_add(1) != 0)
            overlaps.fetch_add(1);
        calls.fetch_add(1);
        inside.fetch_sub(1);
    };
    auto sub = b->subscribe("busy", count);
    std::atomic<int> self_calls{0};
    std::unique_ptr<bus::subscription> once;
    once = b->subscribe("once", [&](std::string_view, bus::payload const&) {
        ++self_calls;
        once.reset();
    });
    BOOST_TEST_REQUIRE(subscribers_reach(io, admin, "busy", 1));
    BOOST_TEST_REQUIRE(subscribers_reach(io, admin, "once", 1));

    std::vector<std::thread> publishers;
    for (int t = 0; t < 4; ++t)
        publishers.emplace_back([&] {
            auto const p = bus::make_payload("m");
            for (int i = 0; i < 2'000; ++i)
                b->publish("busy", p);
        });
    b->publish("once", bus::make_payload("1"));
    b->publish("once", bus::make_payload("2"));
    for (auto& t : publishers)
        t.join();
    BOOST_TEST(test::wait_until([&] { return calls.load() == 8'000; }));
    BOOST_TEST(overlaps.load() == 0);
    BOOST_TEST(subscribers_reach(io, admin, "once", 0));
    BOOST_TEST(self_calls.load() == 1);
}

// A subscriber that read its store before subscribing learns when the subscription is in effect:
// what was published before it was not received, and is read back from the store.
BOOST_AUTO_TEST_CASE(a_new_channel_reports_one_gap_once_its_subscription_is_in_effect)
{
    test::redis_server server;
    test::io_threads io;
    redis::client admin(io.executor(), server.endpoint(), fast_options());
    auto publisher = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options("pub"));
    auto subscriber = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options("sub"));
    BOOST_TEST_REQUIRE(test::wait_until([&] { return admin.connected(); }));
    std::this_thread::sleep_for(200ms); // the subscriber's connection is up, subscribed to nothing
    inbox got;
    std::atomic<int> gaps{0};
    std::atomic<std::size_t> received_at_gap{99};
    auto sub = subscriber->subscribe(
        "room:g", [&](std::string_view, bus::payload const& p) { got.add(*p); },
        [&](std::string_view) {
            received_at_gap = got.size();
            gaps.fetch_add(1);
        });
    BOOST_TEST_REQUIRE(test::wait_until([&] { return gaps.load() == 1; }));
    BOOST_TEST(received_at_gap.load() == 0u);
    publisher->publish("room:g", bus::make_payload("after"));
    BOOST_TEST(test::wait_until([&] { return got.size() == 1; }));
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(gaps.load() == 1); // once, not per message
}

BOOST_AUTO_TEST_CASE(a_redis_restart_under_traffic_reports_a_gap_and_delivery_resumes)
{
    test::redis_server server;
    test::io_threads io;
    redis::client admin(io.executor(), server.endpoint(), fast_options());
    auto publisher = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options("pub"));
    auto subscriber = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options("sub"));
    inbox got;
    std::atomic<int> gaps{0};
    auto sub = subscriber->subscribe(
        "room:9", [&](std::string_view, bus::payload const& p) { got.add(*p); },
        [&](std::string_view channel) {
            if (channel == "room:9") // (Boost.Test is for the test thread only)
                gaps.fetch_add(1);
        });
    BOOST_TEST_REQUIRE(subscribers_reach(io, admin, "room:9", 1));
    std::this_thread::sleep_for(200ms);   // the first confirmation has been handled
    auto const gaps_before = gaps.load(); // 1 if the subscription preceded the first connection

    std::atomic<bool> stop{false};
    std::thread traffic([&] {
        for (int i = 0; !stop; ++i) {
            publisher->publish("room:9", bus::make_payload("t:" + std::to_string(i)));
            std::this_thread::sleep_for(1ms);
        }
    });
    BOOST_TEST_REQUIRE(test::wait_until([&] { return got.size() >= 50; }));

    server.stop();
    std::this_thread::sleep_for(300ms);
    server.start();
    BOOST_TEST(test::wait_until([&] { return gaps.load() > gaps_before; }, 10s));
    BOOST_TEST(subscribers_reach(io, admin, "room:9", 1)); // subscribed again
    auto const after_gap = got.size();
    BOOST_TEST(test::wait_until([&] { return got.size() >= after_gap + 50; }, 10s));
    stop = true;
    traffic.join();
    BOOST_TEST(gaps.load() == gaps_before + 1);
    BOOST_TEST(increasing(sequence(got.messages(), "t:"))); // losses, but never out of order
}

BOOST_AUTO_TEST_CASE(a_stopped_redis_never_blocks_publish_and_memory_stays_bounded)
{
    test::redis_server server;
    test::io_threads io;
    redis::client admin(io.executor(), server.endpoint(), fast_options());
    auto options = fast_options("stopped");
    options.max_outbound_bytes = 256 * 1024;
    auto publisher = redis::make_redis_bus(io.executor(), server.endpoint(), options);
    auto subscriber = redis::make_redis_bus(io.executor(), server.endpoint(), fast_options("sub"));
    inbox got;
    std::atomic<int> gaps{0};
    auto sub = subscriber->subscribe(
        "room:s", [&](std::string_view, bus::payload const& p) { got.add(*p); },
        [&](std::string_view) { gaps.fetch_add(1); });
    BOOST_TEST_REQUIRE(subscribers_reach(io, admin, "room:s", 1));
    auto& dropped = metrics::counter("parley_redis_publish_dropped_total", "",
                                     {{"connection", "stopped-publisher"}});
    auto const dropped_before = dropped.value();

    server.pause();
    auto const rss_before = resident_bytes();
    auto const message = bus::make_payload(std::string(1000, 'm'));
    constexpr int n = 100'000; // 100 MB offered
    auto slowest = clock::duration::zero();
    auto const t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        auto const t = clock::now();
        publisher->publish("room:s", message);
        slowest = std::max(slowest, clock::now() - t);
    }
    auto const elapsed = clock::now() - t0;
    auto const grown = resident_bytes() - std::min(resident_bytes(), rss_before);
    using ms = std::chrono::milliseconds;
    BOOST_TEST_MESSAGE(n << " publishes to a stopped Redis in "
                         << std::chrono::duration_cast<ms>(elapsed).count() << " ms, slowest "
                         << std::chrono::duration_cast<std::chrono::microseconds>(slowest).count()
                         << " us, dropped " << dropped.value() - dropped_before
                         << ", resident memory grew " << grown / 1024 << " KiB");
    BOOST_TEST(
        (slowest < 250ms)); // (a blocked publish would take seconds; this allows for a busy CPU)
    BOOST_TEST((elapsed < 5s));
    BOOST_TEST(dropped.value() - dropped_before > std::uint64_t(n / 2));
    BOOST_TEST(grown < std::size_t(32 * 1024 * 1024));

    std::this_thread::sleep_for(1500ms); // longer than command_timeout: connections replaced
    server.resume();
    BOOST_TEST(subscribers_reach(io, admin, "room:s", 1));
    // Traffic resumes: a new message gets through.
    BOOST_TEST(test::wait_until(
        [&] {
            publisher->publish("room:s", bus::make_payload("after"));
            return got.has("after");
        },
        10s));
}

BOOST_AUTO_TEST_SUITE_END()
