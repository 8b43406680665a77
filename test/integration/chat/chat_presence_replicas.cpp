// Presence across chat replicas (issue 9): three parley-chat processes on one PostgreSQL and one
// redis-server. Who is online in a room is the same on every replica; the users of a replica
// killed with kill -9 leave online_users within 10 s (its heartbeat expires), those of a
// replica stopped gracefully at once; sessions on the other replicas hear user_left.
#include "integration/common/run_to_exit.hpp"
#include "replica_cluster.hpp"

#include <boost/asio/io_context.hpp>
#include <set>

using namespace chat_test;
using namespace std::chrono_literals;

namespace {

// The user ids GET /rooms/<room>/online lists on that replica (empty on an error).
std::set<std::int64_t> online_at(chat_server const& srv, std::int64_t room)
{
    auto r = srv.get("/rooms/" + std::to_string(room) + "/online");
    std::set<std::int64_t> ids;
    if (r.status != 200)
        return ids;
    auto const doc = r.json();
    for (auto const& u : doc.as_array())
        ids.insert(u.at("user_id").as_int64());
    return ids;
}

// Polls until `pred` holds or `limit` passes; the time it took.
template <class Pred>
std::optional<std::chrono::milliseconds> within(std::chrono::milliseconds limit, Pred pred)
{
    auto const start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
        if (pred())
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start);
        std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
}

// The ids in an online_users frame.
std::set<std::int64_t> users_of(bj::object const& frame)
{
    std::set<std::int64_t> ids;
    for (auto const& u : frame.at("users").as_array())
        ids.insert(u.at("user_id").as_int64());
    return ids;
}

// Reads frames until an online_users frame lists exactly `expected`; the user_left frames seen
// on the way.
net::awaitable<std::vector<std::int64_t>> until_online(ws::client& c,
                                                       std::set<std::int64_t> expected)
{
    std::vector<std::int64_t> left;
    for (;;) {
        auto f = co_await next_frame(c);
        if (type_of(f) == "user_left")
            left.push_back(f.at("user_id").as_int64());
        if (type_of(f) == "online_users" && users_of(f) == expected)
            co_return left;
    }
}

// A session of the user on that replica, joined to room 1 (ws::client is not default
// constructible: run_coro cannot return it).
net::awaitable<void> open_session(std::uint16_t port, std::string token,
                                  std::optional<ws::client>& out)
{
    auto c = co_await login(port, token);
    co_await join(c, 1);
    out.emplace(std::move(c));
}

ws::client session_on(net::io_context& io, chat_server const& srv, std::int64_t user_id,
                      std::string const& name)
{
    std::optional<ws::client> c;
    test::run_coro(io, [&] { return open_session(srv.port(), srv.token(user_id, name), c); });
    return std::move(*c);
}

net::awaitable<void> close_session(ws::client& c)
{
    co_await c.close();
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_presence_replicas)

BOOST_AUTO_TEST_CASE(
    every_replica_lists_every_replicas_users_and_a_dead_replicas_users_leave_within_10_s)
{
    cluster c(3);
    net::io_context io;
    auto alice = session_on(io, *c.chat[0], 1, "alice");
    auto bob = session_on(io, *c.chat[1], 2, "bob");
    auto carol = session_on(io, *c.chat[2], 3, "carol");
    std::set<std::int64_t> const everyone{1, 2, 3};
    for (std::size_t i = 0; i < 3; ++i)
        BOOST_TEST(within(5s, [&] { return online_at(*c.chat[i], 1) == everyone; }).has_value(),
                   "replica " << i << " lists alice, bob and carol");
    // Each hears the others arrive, whichever replica they came through (the last to join may
    // first get a list its replica had not completed yet: the full one follows).
    test::run_coro(io, [&] { return until_online(alice, everyone); });
    test::run_coro(io, [&] { return until_online(carol, everyone); });

    // kill -9: nobody says goodbye; bob goes when the replica's heartbeat expires.
    c.chat[1]->killed = true;
    c.chat[1]->process.kill();
    auto const gone = within(12s, [&] {
        return online_at(*c.chat[0], 1) == std::set<std::int64_t>{1, 3};
    });
    BOOST_TEST_REQUIRE(gone.has_value(), "bob still listed 12 s after his replica was killed");
    BOOST_TEST_MESSAGE("a killed replica's user left online_users after " << gone->count()
                                                                          << " ms");
    BOOST_TEST(gone->count() < 10'000);
    BOOST_TEST(within(3s, [&] {
                   return online_at(*c.chat[2], 1) == std::set<std::int64_t>{1, 3};
               }).has_value());
    // alice and carol are told, each by their own replica, once.
    auto const told_alice = test::run_coro(io, [&] { return until_online(alice, {1, 3}); });
    BOOST_TEST(told_alice == std::vector<std::int64_t>{2});
    auto const told_carol = test::run_coro(io, [&] { return until_online(carol, {1, 3}); });
    BOOST_TEST(told_carol == std::vector<std::int64_t>{2});

    // A graceful stop: carol's session closes (1001) and her replica takes itself out at once.
    BOOST_TEST(c.chat[2]->process.stop() == 0);
    auto const stopped =
        within(3s, [&] { return online_at(*c.chat[0], 1) == std::set<std::int64_t>{1}; });
    BOOST_TEST(stopped.has_value(), "carol still listed after her replica stopped");
    test::run_coro(io, [&] { return until_online(alice, {1}); });
}

BOOST_AUTO_TEST_CASE(a_user_with_sessions_on_two_replicas_stays_online_until_the_last_one_leaves)
{
    cluster c(2);
    net::io_context io;
    auto watcher = session_on(io, *c.chat[0], 1, "watcher");
    auto here = session_on(io, *c.chat[0], 5, "dana");
    auto there = session_on(io, *c.chat[1], 5, "dana");
    std::set<std::int64_t> const both{1, 5};
    BOOST_TEST(within(5s, [&] { return online_at(*c.chat[1], 1) == both; }).has_value());
    test::run_coro(io, [&] { return until_online(watcher, both); });
    test::run_coro(io, [&] { return close_session(here); });
    // Her session on replica 1 keeps her online everywhere.
    std::this_thread::sleep_for(1500ms);
    BOOST_TEST((online_at(*c.chat[0], 1) == both));
    BOOST_TEST((online_at(*c.chat[1], 1) == both));
    test::run_coro(io, [&] { return close_session(there); });
    BOOST_TEST(within(5s, [&] {
                   return online_at(*c.chat[0], 1) == std::set<std::int64_t>{1};
               }).has_value());
    auto const told = test::run_coro(
        io, [&] { return until_online(watcher, {1}); }, 10s);
    BOOST_TEST(told == std::vector<std::int64_t>{5});
}

BOOST_AUTO_TEST_CASE(a_heartbeat_too_short_to_be_served_is_refused_at_start)
{
    test::temp_directory dir;
    auto r =
        test::run_to_exit(test::binary_path("chat"), {{"PARLEY_DATA_DIR", dir.path()},
                                                      {"PARLEY_CHAT_PRESENCE_HEARTBEAT", "10ms"}});
    BOOST_TEST(r.code == 2, r.output);
    BOOST_TEST(r.output.find("PARLEY_CHAT_PRESENCE_HEARTBEAT") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
