// parley-bench's arithmetic and frame scanning: the layout of clients over rooms and replicas,
// the histogram's quantiles, and the frames of both protocols.
#include "histogram.hpp"
#include "plan.hpp"
#include "protocol.hpp"

#include <boost/test/unit_test.hpp>
#include <map>
#include <numeric>
#include <set>

using namespace parley::bench;

BOOST_AUTO_TEST_SUITE(bench_tool)

BOOST_AUTO_TEST_CASE(uniform_rooms_share_the_clients_evenly)
{
    auto const sizes = room_sizes(1003, 10, 0);
    BOOST_TEST(std::accumulate(sizes.begin(), sizes.end(), 0) == 1003);
    BOOST_TEST(sizes.front() == 101);
    BOOST_TEST(sizes.back() == 100);
}

BOOST_AUTO_TEST_CASE(zipf_rooms_are_a_few_big_and_many_small)
{
    auto const sizes = room_sizes(5000, 500, 1.0);
    BOOST_TEST(std::accumulate(sizes.begin(), sizes.end(), 0) == 5000);
    BOOST_TEST(std::is_sorted(sizes.rbegin(), sizes.rend()));
    BOOST_TEST(sizes.back() >= 1);
    BOOST_TEST(sizes.front() > 600);          // 1 + 4500 / H(500) = 663
    BOOST_TEST(sizes[1] * 2 <= sizes[0] + 4); // the second room about half the first
}

BOOST_AUTO_TEST_CASE(more_rooms_than_clients_is_refused)
{
    BOOST_CHECK_THROW(room_sizes(5, 6, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(every_room_spans_every_replica_and_publishers_are_spread)
{
    auto const p = make_plan({.clients = 1000, .rooms = 10, .addresses = 2});
    BOOST_TEST(p.clients.size() == 1000u);
    BOOST_TEST(p.publishers.size() == 10u);
    std::map<int, std::set<int>> replicas_of_room;
    std::set<int> users;
    for (auto const& c : p.clients) {
        replicas_of_room[c.room].insert(c.address);
        users.insert(c.user);
    }
    for (auto const& [room, replicas] : replicas_of_room)
        BOOST_TEST(replicas.size() == 2u, "room " << room);
    BOOST_TEST(users.size() == 1000u);
    std::map<int, int> publishers_per_replica;
    std::set<int> publisher_rooms;
    for (auto const i : p.publishers) {
        auto const& c = p.clients[static_cast<std::size_t>(i)];
        BOOST_TEST(c.member == 0);
        ++publishers_per_replica[c.address];
        publisher_rooms.insert(c.room);
    }
    BOOST_TEST(publisher_rooms.size() == 10u);
    BOOST_TEST(publishers_per_replica[0] == 5);
    BOOST_TEST(publishers_per_replica[1] == 5);
    BOOST_TEST(p.fanout_of_publisher(0) == 100);
}

BOOST_AUTO_TEST_CASE(identities_per_room_can_be_capped)
{
    auto const p = make_plan({.clients = 5000, .rooms = 1, .users_per_room = 100});
    BOOST_TEST(p.users == 100);
    std::set<int> users;
    for (std::size_t i = 0; i < 100; ++i) // the first hundred to join are distinct users
        users.insert(p.clients[i].user);
    BOOST_TEST(users.size() == 100u);
}

BOOST_AUTO_TEST_CASE(more_publishers_than_rooms_take_the_next_members)
{
    auto const p = make_plan({.clients = 40, .rooms = 4, .publishers = 8});
    BOOST_TEST(p.publishers.size() == 8u);
    std::map<int, int> per_room;
    for (auto const i : p.publishers)
        ++per_room[p.clients[static_cast<std::size_t>(i)].room];
    for (auto const& [room, n] : per_room)
        BOOST_TEST(n == 2, "room " << room);
}

BOOST_AUTO_TEST_CASE(histogram_quantiles_are_within_two_percent)
{
    histogram h;
    for (std::int64_t v = 1; v <= 100'000; ++v)
        h.record(v * 1000); // 1 µs .. 100 ms, uniform
    BOOST_TEST(h.count() == 100'000u);
    auto near = [](std::uint64_t got, double want) {
        return std::abs(static_cast<double>(got) - want) <= want * 0.02;
    };
    BOOST_TEST(near(h.quantile(0.5), 50e6));
    BOOST_TEST(near(h.quantile(0.99), 99e6));
    BOOST_TEST(near(h.quantile(0.999), 99.9e6));
    BOOST_TEST(h.quantile(1.0) == 100'000'000u);
    BOOST_TEST(h.max() == 100'000'000u);
    std::uint64_t total = 0;
    for (auto const& [upper, count] : h.buckets_used())
        total += count;
    BOOST_TEST(total == h.count());
}

BOOST_AUTO_TEST_CASE(histogram_buckets_cover_their_values)
{
    for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 1000ull, 123456789ull, 1ull << 39})
        BOOST_TEST(histogram::upper_of(histogram::index_of(v)) >= v, "value " << v);
    for (std::size_t i = 1; i + 1 < histogram::buckets; ++i)
        BOOST_TEST_REQUIRE(histogram::index_of(histogram::upper_of(i)) == i);
}

BOOST_AUTO_TEST_CASE(parley_frames_are_read)
{
    auto const d = read_frame(
        protocol::parley,
        R"({"id":91,"room_id":7,"seq":42,"user_id":100003,"username":"bench3","content":"1234xxxx",)"
        R"("timestamp":"2026-12-01T10:00:00.000Z","is_file":false,"file_url":null,)"
        R"("client_id":"b1234","type":"new_message"})");
    BOOST_TEST((d.kind == frame_kind::delivery));
    BOOST_TEST(d.room == 7);
    BOOST_TEST(d.seq == 42);
    BOOST_TEST(d.index == 1234);

    // Another field order takes the general path.
    auto const moved =
        read_frame(protocol::parley,
                   R"({"type":"new_message","content":"5","seq":3,"room_id":2,"client_id":"b5"})");
    BOOST_TEST((moved.kind == frame_kind::delivery));
    BOOST_TEST(moved.seq == 3);
    BOOST_TEST(moved.room == 2);
    BOOST_TEST(moved.index == 5);

    auto const ack = read_frame(
        protocol::parley,
        R"({"type":"ack","client_id":"b77","room_id":7,"seq":9,"id":3,"duplicate":true})");
    BOOST_TEST((ack.kind == frame_kind::ack));
    BOOST_TEST(ack.index == 77);
    BOOST_TEST(ack.seq == 9);
    BOOST_TEST(ack.duplicate);

    auto const joined = read_frame(
        protocol::parley, R"({"type":"joined","room_id":7,"last_seq":12,"truncated":true})");
    BOOST_TEST((joined.kind == frame_kind::joined));
    BOOST_TEST(joined.seq == 12);
    BOOST_TEST(joined.truncated);

    auto const error = read_frame(
        protocol::parley,
        R"({"type":"error","code":"rate_limited","message":"slow down","room_id":7,"client_id":"b8"})");
    BOOST_TEST((error.kind == frame_kind::error));
    BOOST_TEST(error.index == 8);

    BOOST_TEST(
        (read_frame(protocol::parley, R"({"type":"online_users","room_id":7,"users":[]})").kind ==
         frame_kind::other));
    BOOST_TEST(
        (read_frame(protocol::parley, R"({"room_id":7,"seq":1,"type":"new_message"})").kind ==
         frame_kind::malformed));
}

BOOST_AUTO_TEST_CASE(reference_frames_are_read)
{
    auto const d =
        read_frame(protocol::reference,
                   R"({"type":"message","message":{"id":5,"room_id":3,"user_id":1,"username":"u",)"
                   R"("content":"17","timestamp":"2026-12-01T10:00:00.000Z"}})");
    BOOST_TEST((d.kind == frame_kind::delivery));
    BOOST_TEST(d.seq == 5);
    BOOST_TEST(d.room == 3);
    BOOST_TEST(d.index == 17);
    BOOST_TEST((read_frame(protocol::reference, R"({"type":"ready"})").kind == frame_kind::ready));
    BOOST_TEST((read_frame(protocol::reference, R"({"type":"joined","room_id":3})").room == 3));
}

BOOST_AUTO_TEST_CASE(message_frames_carry_the_index_and_pad_the_content)
{
    auto const f = message_frame(protocol::parley, 7, 123, 10);
    BOOST_TEST(f == R"({"type":"message","room_id":7,"client_id":"b123","content":"123xxxxxxx"})");
    BOOST_TEST(message_frame(protocol::reference, 7, 123, 0) ==
               R"({"type":"message","room_id":7,"content":"123"})");
    BOOST_TEST(join_frame(7, -1) == R"({"type":"join","room_id":7})");
    BOOST_TEST(join_frame(7, 40) == R"({"type":"join","room_id":7,"last_seq":40})");
}

BOOST_AUTO_TEST_SUITE_END()
