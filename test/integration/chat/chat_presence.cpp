// Who is online across replicas (apps/chat/realtime/presence.hpp): this process's sessions
// merged with what other replicas reported (their changes, their snapshots, their departure).
// Pure logic: no process started.
#include "chat/realtime/presence.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using namespace parley::chat_app;

namespace {

std::vector<std::int64_t> ids(std::vector<online_user> const& users)
{
    std::vector<std::int64_t> v;
    for (auto const& u : users)
        v.push_back(u.user_id);
    return v;
}

online_user user(std::int64_t id, std::string at)
{
    return {.user_id = id, .username = "u" + std::to_string(id), .joined_at = std::move(at)};
}

presence_change arrives(std::int64_t room, online_user u)
{
    return {.online = true, .room_id = room, .user = std::move(u)};
}

presence_change leaves(std::int64_t room, std::int64_t user_id)
{
    return {.online = false,
            .room_id = room,
            .user = {.user_id = user_id, .username = {}, .joined_at = {}}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_presence)

BOOST_AUTO_TEST_CASE(a_user_counts_once_and_leaves_with_the_last_session)
{
    presence p;
    BOOST_TEST(p.add(1, 7, "alice"));
    BOOST_TEST(!p.add(1, 7, "alice")); // a second tab
    BOOST_TEST(ids(p.online(1)) == std::vector<std::int64_t>{7});
    BOOST_TEST(!p.remove(1, 7));
    BOOST_TEST(p.remove(1, 7));
    BOOST_TEST(p.online(1).empty());
    BOOST_TEST(!p.remove(1, 7)); // not there any more
}

BOOST_AUTO_TEST_CASE(other_replicas_users_are_online_here_in_order_of_arrival)
{
    presence p;
    p.replace(
        "b", 3,
        {{1, user(20, "2026-01-01T00:00:02.000Z")}, {2, user(21, "2026-01-01T00:00:01.000Z")}});
    p.apply("c", 1, {arrives(1, user(30, "2026-01-01T00:00:01.000Z"))});
    p.add(1, 10, "u10"); // now: later than every remote arrival above
    BOOST_TEST(ids(p.online(1)) == (std::vector<std::int64_t>{30, 20, 10}));
    BOOST_TEST(ids(p.local(1)) == std::vector<std::int64_t>{10});
    BOOST_TEST(ids(p.online(2)) == std::vector<std::int64_t>{21});
}

BOOST_AUTO_TEST_CASE(arriving_where_another_replica_has_the_user_is_no_arrival_of_the_room)
{
    presence p;
    p.apply("b", 1, {arrives(1, user(7, "2026-01-01T00:00:00.000Z"))});
    BOOST_TEST(!p.add(1, 7, "u7")); // the room saw alice arrive through b already
    BOOST_TEST(!p.remove(1, 7));    // and she is still there through b
    p.add(1, 7, "u7");
    p.apply("b", 2, {leaves(1, 7)});
    BOOST_TEST(p.remove(1, 7)); // now she has left the room as a whole
    BOOST_TEST(p.online(1).empty());
}

BOOST_AUTO_TEST_CASE(changes_are_kept_in_order_with_a_version_each_once_asked_for)
{
    presence p;
    p.add(1, 7, "u7"); // before keep_changes: counted, not kept
    p.keep_changes();
    p.add(2, 7, "u7");
    p.add(2, 8, "u8");
    p.remove(1, 7);
    auto [changes, version] = p.take_changes();
    BOOST_TEST(version == 4u);
    BOOST_TEST_REQUIRE(changes.size() == 3u);
    BOOST_TEST(changes[0].online);
    BOOST_TEST(changes[0].room_id == 2);
    BOOST_TEST(changes[0].user.username == "u7");
    BOOST_TEST(!changes[2].online);
    BOOST_TEST(changes[2].room_id == 1);
    BOOST_TEST(p.take_changes().first.empty());
    auto [entries, at] = p.snapshot();
    BOOST_TEST(at == 4u);
    BOOST_TEST(entries.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_snapshot_older_than_the_changes_applied_is_ignored_a_newer_one_wins)
{
    presence p;
    p.apply("b", 5, {arrives(1, user(20, "2026-01-01T00:00:00.000Z"))});
    // Read from Redis before change 5 reached it: it does not undo the arrival.
    p.replace("b", 4, {});
    BOOST_TEST(ids(p.online(1)) == std::vector<std::int64_t>{20});
    // Changes the bus lost (6: 20 left, 7: 21 arrived) come back with the next snapshot.
    auto effects = p.replace("b", 7, {{1, user(21, "2026-01-01T00:00:03.000Z")}});
    BOOST_TEST(ids(p.online(1)) == std::vector<std::int64_t>{21});
    BOOST_TEST_REQUIRE(effects.size() == 1u);
    BOOST_TEST(effects[0].room_id == 1);
    BOOST_TEST(ids(effects[0].gone) == std::vector<std::int64_t>{20});
    // A batch of changes already in that snapshot changes nothing.
    BOOST_TEST(p.apply("b", 7, {leaves(1, 21)}).empty());
    BOOST_TEST(ids(p.online(1)) == std::vector<std::int64_t>{21});
}

BOOST_AUTO_TEST_CASE(a_replica_forgotten_takes_its_users_with_it_unless_they_are_elsewhere)
{
    presence p;
    p.apply("b", 1,
            {arrives(1, user(20, "2026-01-01T00:00:00.000Z")),
             arrives(1, user(7, "2026-01-01T00:00:00.000Z")),
             arrives(2, user(20, "2026-01-01T00:00:00.000Z"))});
    p.add(1, 7, "u7");
    BOOST_TEST(p.replicas() == std::vector<std::string>{"b"});
    auto effects = p.forget("b");
    BOOST_TEST(p.replicas().empty());
    BOOST_TEST(ids(p.online(1)) == std::vector<std::int64_t>{7}); // still here
    BOOST_TEST(p.online(2).empty());
    BOOST_TEST_REQUIRE(effects.size() == 2u);
    for (auto const& e : effects)
        BOOST_TEST(ids(e.gone) == std::vector<std::int64_t>{20}, "room " << e.room_id);
    BOOST_TEST(p.forget("b").empty());
}

BOOST_AUTO_TEST_SUITE_END()
