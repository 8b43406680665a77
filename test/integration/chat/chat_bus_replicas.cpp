// Chat replicas on real engines (issue 9): three parley-chat processes sharing one throwaway
// PostgreSQL database and one redis-server (PARLEY_BUS_URL), PARLEY_REPLICAS=3. WebSocket clients
// spread over the replicas must get every message of their room exactly once, in seq order, with
// no gap, whichever replica it was sent through.
#include "replica_cluster.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <memory>
#include <set>
#include <sstream>

using namespace chat_test;

namespace {

// What one client saw.
struct record {
    std::int64_t room = 0;
    std::int64_t joined_at = -1;    // the seq its `joined` carried
    std::vector<std::int64_t> seqs; // new_message seqs of its room, in arrival order
    std::vector<std::int64_t> acks; // seqs of its own messages
    std::string failure;
    bool done = false;
};

struct plan {
    std::int64_t room = 0;
    int sends = 0;              // messages this client sends (after everyone joined)
    std::string prefix;         // of its client_ids
    std::int64_t final_seq = 0; // the room's seq once every sender is done
};

net::awaitable<void> pause_for(std::chrono::milliseconds d)
{
    auto ex = co_await net::this_coro::executor;
    net::steady_timer t(ex);
    t.expires_after(d);
    co_await t.async_wait(use_tuple);
}

// Joins, waits until `joined` reaches `everyone`, sends its messages (not waiting for acks), and
// reads until it has seen the room's final seq and all its acks; then checks that nothing else
// is queued for it (no late duplicate).
net::awaitable<void> member(std::uint16_t port, std::string token, plan p, std::atomic<int>& joined,
                            int everyone, record& rec)
{
    rec.room = p.room;
    try {
        auto c = co_await login(port, token);
        auto const j = co_await join(c, p.room);
        rec.joined_at = j.at("last_seq").as_int64();
        joined.fetch_add(1);
        while (joined.load() < everyone)
            co_await pause_for(std::chrono::milliseconds(10));
        for (int i = 0; i < p.sends; ++i) {
            auto const client_id = p.prefix + std::to_string(i);
            auto const content = "message " + client_id;
            co_await send_message(c, p.room, content, client_id);
        }
        auto seen_final = [&] { return !rec.seqs.empty() && rec.seqs.back() >= p.final_seq; };
        while (!seen_final() || rec.acks.size() < std::size_t(p.sends)) {
            auto f = co_await next_frame(c);
            auto const type = type_of(f);
            if (type == "new_message" && f.at("room_id").as_int64() == p.room)
                rec.seqs.push_back(f.at("seq").as_int64());
            else if (type == "ack")
                rec.acks.push_back(f.at("seq").as_int64());
            else if (type == "error")
                throw std::runtime_error("error frame: " + json::serialize(f));
        }
        auto const rest = co_await drain_until_pong(c);
        for (auto const& f : rest)
            if (type_of(f) == "new_message")
                throw std::runtime_error("after the last message: " + json::serialize(f));
        rec.done = true;
        co_await c.close();
    } catch (std::exception const& e) {
        rec.failure = e.what();
    }
}

// member(), sending in bursts of 5 and waiting for their acks each time (load spread over time,
// e.g. around a fault).
net::awaitable<void> paced_member(std::uint16_t port, std::string token, plan p,
                                  std::atomic<int>& joined, int everyone, record& rec)
{
    rec.room = p.room;
    try {
        auto c = co_await login(port, token);
        auto const j = co_await join(c, p.room);
        rec.joined_at = j.at("last_seq").as_int64();
        joined.fetch_add(1);
        while (joined.load() < everyone)
            co_await pause_for(std::chrono::milliseconds(10));
        int sent = 0;
        auto seen_final = [&] { return !rec.seqs.empty() && rec.seqs.back() >= p.final_seq; };
        while (!seen_final() || rec.acks.size() < std::size_t(p.sends)) {
            for (int k = 0; k < 5 && sent < p.sends; ++k) {
                auto const client_id = p.prefix + std::to_string(sent++);
                auto const content = "message " + client_id;
                co_await send_message(c, p.room, content, client_id);
            }
            while (rec.acks.size() < std::size_t(sent) || (sent == p.sends && !seen_final())) {
                auto f = co_await next_frame(c);
                auto const type = type_of(f);
                if (type == "new_message" && f.at("room_id").as_int64() == p.room)
                    rec.seqs.push_back(f.at("seq").as_int64());
                else if (type == "ack")
                    rec.acks.push_back(f.at("seq").as_int64());
                else if (type == "error")
                    throw std::runtime_error("error frame: " + json::serialize(f));
            }
            co_await pause_for(std::chrono::milliseconds(3));
        }
        auto const rest = co_await drain_until_pong(c);
        for (auto const& f : rest)
            if (type_of(f) == "new_message")
                throw std::runtime_error("after the last message: " + json::serialize(f));
        rec.done = true;
        co_await c.close();
    } catch (std::exception const& e) {
        rec.failure = e.what();
    }
}

// Like member(), without sending, for a client whose replica may go away: when the connection
// ends it reconnects to `fallback` and joins again with the last seq it saw (the replay comes
// before `joined`).
net::awaitable<void> survivor(std::uint16_t port, std::string token, std::uint16_t fallback,
                              std::string fallback_token, plan p, std::atomic<int>& joined,
                              record& rec, int& reconnects)
{
    rec.room = p.room;
    try {
        auto c = co_await login(port, token);
        auto const j = co_await join(c, p.room);
        rec.joined_at = j.at("last_seq").as_int64();
        joined.fetch_add(1);
        while (rec.seqs.empty() || rec.seqs.back() < p.final_seq) {
            auto text = co_await c.read();
            if (!text) {
                // The replica went away: another one, from the last seq seen.
                ++reconnects;
                std::vector<bj::object> before;
                auto const last = rec.seqs.empty() ? rec.joined_at : rec.seqs.back();
                bool rejoined = false;
                for (int attempt = 0; attempt < 50 && !rejoined; ++attempt) {
                    try {
                        c = co_await login(fallback, fallback_token);
                        co_await join(c, p.room, last, &before);
                        rejoined = true;
                    } catch (std::exception const&) {
                        before.clear(); // (no co_await in a handler)
                    }
                    if (!rejoined)
                        co_await pause_for(std::chrono::milliseconds(100));
                }
                if (!rejoined)
                    throw std::runtime_error("could not rejoin through the other replica");
                for (auto const& f : before)
                    if (type_of(f) == "new_message" && f.at("room_id").as_int64() == p.room)
                        rec.seqs.push_back(f.at("seq").as_int64());
                continue;
            }
            auto const f = parse_object(*text);
            if (type_of(f) == "new_message" && f.at("room_id").as_int64() == p.room)
                rec.seqs.push_back(f.at("seq").as_int64());
        }
        auto const rest = co_await drain_until_pong(c);
        for (auto const& f : rest)
            if (type_of(f) == "new_message")
                throw std::runtime_error("after the last message: " + json::serialize(f));
        rec.done = true;
        co_await c.close();
    } catch (std::exception const& e) {
        rec.failure = e.what();
    }
}

// Sends its messages one at a time; an `unavailable` answer (the database is down) is retried
// with the same client_id until stored. Then reads until the room's final seq.
net::awaitable<void> retrying_sender(std::uint16_t port, std::string token, plan p,
                                     std::atomic<int>& joined, int everyone, record& rec,
                                     int& retries)
{
    rec.room = p.room;
    try {
        auto c = co_await login(port, token);
        auto const j = co_await join(c, p.room);
        rec.joined_at = j.at("last_seq").as_int64();
        joined.fetch_add(1);
        while (joined.load() < everyone)
            co_await pause_for(std::chrono::milliseconds(10));
        for (int i = 0; i < p.sends; ++i) {
            auto const client_id = p.prefix + std::to_string(i);
            auto const content = "message " + client_id;
            for (bool stored = false; !stored;) {
                co_await send_message(c, p.room, content, client_id);
                for (;;) {
                    auto f = co_await next_frame(c);
                    auto const type = type_of(f);
                    if (type == "new_message" && f.at("room_id").as_int64() == p.room) {
                        rec.seqs.push_back(f.at("seq").as_int64());
                        continue;
                    }
                    auto const* id = f.if_contains("client_id");
                    if (!id || !id->is_string() || id->as_string() != client_id)
                        continue;
                    if (type == "ack") {
                        rec.acks.push_back(f.at("seq").as_int64());
                        stored = true;
                        break;
                    }
                    if (type == "error" && f.at("code").as_string() == "unavailable") {
                        ++retries;
                        break;
                    }
                    throw std::runtime_error("unexpected: " + json::serialize(f));
                }
                if (!stored)
                    co_await pause_for(std::chrono::milliseconds(200));
            }
        }
        while (rec.seqs.empty() || rec.seqs.back() < p.final_seq) {
            auto f = co_await next_frame(c);
            if (type_of(f) == "new_message" && f.at("room_id").as_int64() == p.room)
                rec.seqs.push_back(f.at("seq").as_int64());
        }
        auto const rest = co_await drain_until_pong(c);
        for (auto const& f : rest)
            if (type_of(f) == "new_message")
                throw std::runtime_error("after the last message: " + json::serialize(f));
        rec.done = true;
        co_await c.close();
    } catch (std::exception const& e) {
        rec.failure = e.what();
    }
}

// Joins once `watch` (a sender) has `threshold` acks, i.e. under load, then reads until the room's
// final seq.
net::awaitable<void> late_member(std::uint16_t port, std::string token, plan p, record const& watch,
                                 std::size_t threshold, record& rec)
{
    rec.room = p.room;
    try {
        while (watch.acks.size() < threshold && watch.failure.empty() && !watch.done)
            co_await pause_for(std::chrono::milliseconds(2));
        auto c = co_await login(port, token);
        auto const j = co_await join(c, p.room);
        rec.joined_at = j.at("last_seq").as_int64();
        while (rec.seqs.empty() ? rec.joined_at < p.final_seq : rec.seqs.back() < p.final_seq) {
            auto f = co_await next_frame(c);
            if (type_of(f) == "new_message" && f.at("room_id").as_int64() == p.room)
                rec.seqs.push_back(f.at("seq").as_int64());
        }
        auto const rest = co_await drain_until_pong(c);
        for (auto const& f : rest)
            if (type_of(f) == "new_message")
                throw std::runtime_error("after the last message: " + json::serialize(f));
        rec.done = true;
        co_await c.close();
    } catch (std::exception const& e) {
        rec.failure = e.what();
    }
}

// Every message of the room after the client joined, once, in order: joined_at+1 .. final.
void check_contiguous(record const& r, std::int64_t final_seq, std::string const& who)
{
    BOOST_TEST_REQUIRE(r.failure.empty(), who << ": " << r.failure);
    BOOST_TEST_REQUIRE(r.done, who);
    BOOST_TEST_REQUIRE(r.joined_at >= 0, who);
    std::vector<std::int64_t> expected;
    for (auto s = r.joined_at + 1; s <= final_seq; ++s)
        expected.push_back(s);
    if (r.seqs != expected) {
        std::ostringstream got;
        for (auto s : r.seqs)
            got << s << ' ';
        BOOST_ERROR(who << " in room " << r.room << " joined at " << r.joined_at << ", expected "
                        << r.joined_at + 1 << ".." << final_seq
                        << " once each, got: " << got.str());
    }
}

// senders[k] (user 10 + k) on replica k % replicas sends `sends` paced messages into room 1.
void spawn_senders(net::io_context& io, cluster& c, std::size_t replicas, int sends,
                   std::int64_t final_seq, std::atomic<int>& joined, int everyone,
                   std::vector<record>& senders)
{
    for (std::size_t k = 0; k < senders.size(); ++k) {
        auto& srv = *c.chat[k % replicas];
        auto const token = srv.token(10 + std::int64_t(k), "s" + std::to_string(k));
        plan const p{.room = 1,
                     .sends = sends,
                     .prefix = "s" + std::to_string(k) + "-",
                     .final_seq = final_seq};
        net::co_spawn(io, paced_member(srv.port(), token, p, joined, everyone, senders[k]),
                      net::detached);
    }
}

// How much reordering the replicas did (parley_chat_reorder_*), in the test's log.
void report_reordering(cluster const& c)
{
    for (std::size_t i = 0; i < c.chat.size(); ++i) {
        if (c.chat[i]->killed)
            continue;
        auto r = c.chat[i]->get("/metrics");
        std::istringstream lines(r.body);
        std::string line, summary;
        while (std::getline(lines, line))
            if (line.starts_with("parley_chat_reorder_"))
                summary += line + "; ";
        BOOST_TEST_MESSAGE("replica " << i << " (" << r.status << "): " << summary);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_bus_replicas)

BOOST_AUTO_TEST_CASE(clients_on_three_replicas_get_every_message_of_their_room_once_in_order)
{
    cluster c(3);
    auto& first = *c.chat[0];
    std::vector<std::int64_t> rooms{1};
    for (int i = 0; i < 9; ++i)
        rooms.push_back(
            first.create_room("room " + std::to_string(i), false, first.bearer(1, "owner")));

    // Issue 9: 300 clients over 3 replicas in 10 rooms, one sender per room on every replica.
    constexpr int sends = 30;
    constexpr int listeners = 300;
    std::int64_t const final_seq = 3 * sends;
    std::vector<plan> plans;
    std::vector<std::size_t> replica_of;
    for (std::size_t r = 0; r < rooms.size(); ++r)
        for (std::size_t k = 0; k < 3; ++k) {
            plans.push_back({.room = rooms[r],
                             .sends = sends,
                             .prefix = "r" + std::to_string(r) + "k" + std::to_string(k) + "-",
                             .final_seq = final_seq});
            replica_of.push_back(k);
        }
    for (int i = 0; i < listeners; ++i) {
        plans.push_back({.room = rooms[std::size_t(i) % rooms.size()],
                         .sends = 0,
                         .prefix = {},
                         .final_seq = final_seq});
        replica_of.push_back(std::size_t(i / 10) % 3);
    }

    std::vector<record> records(plans.size());
    std::atomic<int> joined{0};
    net::io_context io;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        auto& srv = *c.chat[replica_of[i]];
        auto const token = srv.token(100 + std::int64_t(i), "u" + std::to_string(i));
        net::co_spawn(io,
                      member(srv.port(), token, plans[i], joined, int(plans.size()), records[i]),
                      net::detached);
    }
    io.run_for(std::chrono::seconds(90));

    std::set<std::pair<std::int64_t, std::int64_t>> acked; // (room, seq)
    for (std::size_t i = 0; i < records.size(); ++i) {
        auto const who =
            "client " + std::to_string(i) + " on replica " + std::to_string(replica_of[i]);
        check_contiguous(records[i], final_seq, who);
        for (auto s : records[i].acks)
            BOOST_TEST(acked.emplace(records[i].room, s).second, who << " ack " << s);
    }
    BOOST_TEST(acked.size() == rooms.size() * std::size_t(final_seq));
    report_reordering(c);
}

BOOST_AUTO_TEST_CASE(three_replicas_writing_one_room_at_full_speed_give_every_client_1_to_n)
{
    cluster c(3);
    constexpr int senders_per_replica = 3;
    constexpr int sends = 60;
    constexpr int listeners_per_replica = 5;
    std::int64_t const final_seq = 3 * senders_per_replica * sends;
    std::vector<plan> plans;
    std::vector<std::size_t> replica_of;
    for (std::size_t k = 0; k < 3; ++k) {
        for (int s = 0; s < senders_per_replica; ++s) {
            plans.push_back({.room = 1,
                             .sends = sends,
                             .prefix = "k" + std::to_string(k) + "s" + std::to_string(s) + "-",
                             .final_seq = final_seq});
            replica_of.push_back(k);
        }
        for (int l = 0; l < listeners_per_replica; ++l) {
            plans.push_back({.room = 1, .sends = 0, .prefix = {}, .final_seq = final_seq});
            replica_of.push_back(k);
        }
    }
    std::vector<record> records(plans.size());
    std::atomic<int> joined{0};
    net::io_context io;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        auto& srv = *c.chat[replica_of[i]];
        auto const token = srv.token(100 + std::int64_t(i), "u" + std::to_string(i));
        net::co_spawn(io,
                      member(srv.port(), token, plans[i], joined, int(plans.size()), records[i]),
                      net::detached);
    }
    io.run_for(std::chrono::seconds(90));

    std::set<std::int64_t> acked;
    for (std::size_t i = 0; i < records.size(); ++i) {
        auto const who =
            "client " + std::to_string(i) + " on replica " + std::to_string(replica_of[i]);
        BOOST_TEST(records[i].joined_at == 0, who);
        check_contiguous(records[i], final_seq, who);
        for (auto s : records[i].acks)
            BOOST_TEST(acked.insert(s).second, "seq " << s << " acknowledged twice");
    }
    BOOST_TEST(acked.size() == std::size_t(final_seq));
    // The store: 1..N, read through any replica.
    std::vector<std::int64_t> history;
    while (true) {
        auto const after = history.empty() ? 0 : history.back();
        auto r = c.chat[history.size() % 3]->get("/rooms/1/messages?limit=100&after=" +
                                                 std::to_string(after));
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
        auto const page = r.json().as_array();
        if (page.empty())
            break;
        for (auto const& m : page)
            history.push_back(m.at("seq").as_int64());
    }
    report_reordering(c);
    BOOST_TEST_REQUIRE(history.size() == std::size_t(final_seq));
    for (std::int64_t i = 0; i < final_seq; ++i)
        BOOST_TEST(history[std::size_t(i)] == i + 1);
}

BOOST_AUTO_TEST_CASE(a_replica_killed_under_load_its_clients_rejoin_elsewhere_and_miss_nothing)
{
    cluster c(3);
    constexpr int sends = 150;
    constexpr int listeners_per_replica = 6;
    std::int64_t const final_seq = 2 * 2 * sends; // two senders on each surviving replica
    std::atomic<int> joined{0};
    int const everyone = 4 + 3 * listeners_per_replica;
    std::vector<record> senders(4), listeners(3 * listeners_per_replica);
    std::vector<int> reconnects(listeners.size(), 0);
    net::io_context io;
    spawn_senders(io, c, 2, sends, final_seq, joined, everyone, senders); // on the survivors
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        auto& srv = *c.chat[i % 3];
        auto& other = *c.chat[i % 2]; // replica 2's clients go to 0 or 1
        std::int64_t const user = 100 + std::int64_t(i);
        auto const name = "l" + std::to_string(i);
        plan const p{.room = 1, .sends = 0, .prefix = {}, .final_seq = final_seq};
        net::co_spawn(io,
                      survivor(srv.port(), srv.token(user, name), other.port(),
                               other.token(user, name), p, joined, listeners[i], reconnects[i]),
                      net::detached);
    }
    // Once the senders are well under way: kill -9 replica 2.
    auto killer = [&]() -> net::awaitable<void> {
        while (senders[0].acks.size() < std::size_t(sends / 3) && senders[0].failure.empty())
            co_await pause_for(std::chrono::milliseconds(5));
        c.chat[2]->killed = true;
        c.chat[2]->process.kill();
    };
    net::co_spawn(io, killer, net::detached);
    io.run_for(std::chrono::seconds(90));

    BOOST_TEST(!c.chat[2]->process.running());
    for (std::size_t k = 0; k < senders.size(); ++k)
        check_contiguous(senders[k], final_seq, "sender " + std::to_string(k));
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        auto const who = "listener " + std::to_string(i) + " on replica " + std::to_string(i % 3);
        BOOST_TEST(listeners[i].joined_at == 0, who);
        check_contiguous(listeners[i], final_seq, who);
        if (i % 3 == 2)
            BOOST_TEST(reconnects[i] == 1, who);
        else
            BOOST_TEST(reconnects[i] == 0, who);
    }
    report_reordering(c);
}

BOOST_AUTO_TEST_CASE(a_redis_restart_under_load_loses_nothing_the_replicas_read_the_gap_back)
{
    cluster c(3);
    constexpr int sends = 120;
    constexpr int listeners_per_replica = 5;
    std::int64_t const final_seq = 3 * 2 * sends; // two senders on each replica
    std::atomic<int> joined{0};
    int const everyone = 6 + 3 * listeners_per_replica;
    std::vector<record> senders(6), listeners(3 * listeners_per_replica);
    std::vector<int> reconnects(listeners.size(), 0);
    net::io_context io;
    spawn_senders(io, c, 3, sends, final_seq, joined, everyone, senders);
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        auto& srv = *c.chat[i % 3];
        auto const token = srv.token(100 + std::int64_t(i), "l" + std::to_string(i));
        plan const p{.room = 1, .sends = 0, .prefix = {}, .final_seq = final_seq};
        net::co_spawn(
            io,
            survivor(srv.port(), token, srv.port(), token, p, joined, listeners[i], reconnects[i]),
            net::detached);
    }
    // Under way: Redis goes (what is published meanwhile is lost) and comes back on its port.
    auto restart = [&]() -> net::awaitable<void> {
        while (senders[0].acks.size() < std::size_t(sends / 3) && senders[0].failure.empty())
            co_await pause_for(std::chrono::milliseconds(5));
        c.redis.stop();
        co_await pause_for(std::chrono::milliseconds(300));
        c.redis.start();
    };
    net::co_spawn(io, restart, net::detached);
    io.run_for(std::chrono::seconds(90));

    for (std::size_t k = 0; k < senders.size(); ++k)
        check_contiguous(senders[k], final_seq, "sender " + std::to_string(k));
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        auto const who = "listener " + std::to_string(i) + " on replica " + std::to_string(i % 3);
        BOOST_TEST(listeners[i].joined_at == 0, who);
        BOOST_TEST(reconnects[i] == 0, who); // the WebSocket stays up
        check_contiguous(listeners[i], final_seq, who);
    }
    report_reordering(c);
}

BOOST_AUTO_TEST_CASE(a_replica_stopped_for_5_s_under_load_catches_up_in_order_after_sigcont)
{
    cluster c(3);
    constexpr int sends = 120;
    constexpr int listeners_per_replica = 5;
    std::int64_t const final_seq = 3 * 2 * sends;
    std::atomic<int> joined{0};
    int const everyone = 6 + 3 * listeners_per_replica;
    std::vector<record> senders(6), listeners(3 * listeners_per_replica);
    std::vector<int> reconnects(listeners.size(), 0);
    net::io_context io;
    spawn_senders(io, c, 3, sends, final_seq, joined, everyone, senders);
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        auto& srv = *c.chat[i % 3];
        auto& other = *c.chat[i % 2];
        std::int64_t const user = 100 + std::int64_t(i);
        auto const name = "l" + std::to_string(i);
        plan const p{.room = 1, .sends = 0, .prefix = {}, .final_seq = final_seq};
        net::co_spawn(io,
                      survivor(srv.port(), srv.token(user, name), other.port(),
                               other.token(user, name), p, joined, listeners[i], reconnects[i]),
                      net::detached);
    }
    auto freeze = [&]() -> net::awaitable<void> {
        while (senders[0].acks.size() < std::size_t(sends / 3) && senders[0].failure.empty())
            co_await pause_for(std::chrono::milliseconds(5));
        ::kill(c.chat[2]->process.pid(), SIGSTOP);
        co_await pause_for(std::chrono::seconds(5));
        ::kill(c.chat[2]->process.pid(), SIGCONT);
    };
    net::co_spawn(io, freeze, net::detached);
    io.run_for(std::chrono::seconds(90));

    for (std::size_t k = 0; k < senders.size(); ++k)
        check_contiguous(senders[k], final_seq, "sender " + std::to_string(k));
    for (std::size_t i = 0; i < listeners.size(); ++i)
        check_contiguous(listeners[i], final_seq,
                         "listener " + std::to_string(i) + " on replica " + std::to_string(i % 3) +
                             " (reconnects: " + std::to_string(reconnects[i]) + ")");
    report_reordering(c);
}

BOOST_AUTO_TEST_CASE(a_postgres_restart_under_load_sends_are_retried_and_nothing_acked_is_lost)
{
    test::postgres_server pg; // its own: stopped and started here
    cluster c(3, {}, pg.create_database());
    constexpr int sends = 60;
    constexpr int listeners_per_replica = 4;
    std::int64_t const final_seq = 3 * 2 * sends;
    std::atomic<int> joined{0};
    int const everyone = 6 + 3 * listeners_per_replica;
    std::vector<record> senders(6), listeners(3 * listeners_per_replica);
    std::vector<int> retries(senders.size(), 0), reconnects(listeners.size(), 0);
    net::io_context io;
    for (std::size_t k = 0; k < senders.size(); ++k) {
        auto& srv = *c.chat[k % 3];
        auto const token = srv.token(10 + std::int64_t(k), "s" + std::to_string(k));
        plan const p{.room = 1,
                     .sends = sends,
                     .prefix = "s" + std::to_string(k) + "-",
                     .final_seq = final_seq};
        net::co_spawn(
            io, retrying_sender(srv.port(), token, p, joined, everyone, senders[k], retries[k]),
            net::detached);
    }
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        auto& srv = *c.chat[i % 3];
        auto const token = srv.token(100 + std::int64_t(i), "l" + std::to_string(i));
        plan const p{.room = 1, .sends = 0, .prefix = {}, .final_seq = final_seq};
        net::co_spawn(
            io,
            survivor(srv.port(), token, srv.port(), token, p, joined, listeners[i], reconnects[i]),
            net::detached);
    }
    auto restart = [&]() -> net::awaitable<void> {
        while (senders[0].acks.size() < std::size_t(sends / 3) && senders[0].failure.empty())
            co_await pause_for(std::chrono::milliseconds(5));
        pg.stop(); // (blocks the clients' thread for a moment: they only wait)
        co_await pause_for(std::chrono::milliseconds(500));
        pg.start();
    };
    net::co_spawn(io, restart, net::detached);
    io.run_for(std::chrono::seconds(120));

    int total_retries = 0;
    for (std::size_t k = 0; k < senders.size(); ++k) {
        check_contiguous(senders[k], final_seq, "sender " + std::to_string(k));
        total_retries += retries[k];
    }
    BOOST_TEST_MESSAGE("sends answered unavailable and retried: " << total_retries);
    BOOST_TEST(total_retries > 0); // the outage did meet sends
    for (std::size_t i = 0; i < listeners.size(); ++i)
        check_contiguous(listeners[i], final_seq,
                         "listener " + std::to_string(i) + " on replica " + std::to_string(i % 3));
    report_reordering(c);
}

// PARLEY_CHAT_RECENT_FRAMES=0: a session whose join read the store before messages the room had
// already delivered on its replica gets them from the store (the hub's catch-up), not twice, not
// never.
BOOST_AUTO_TEST_CASE(sessions_joining_under_load_get_each_later_message_once_in_order)
{
    cluster c(3, env{{"PARLEY_CHAT_RECENT_FRAMES", "0"}});
    constexpr int sends = 100;
    std::int64_t const final_seq = 3 * 2 * sends;
    std::atomic<int> joined{0};
    int const anchors = 3;
    int const everyone = 6 + anchors;
    std::vector<record> senders(6), early(anchors), late(24);
    std::vector<int> reconnects(early.size(), 0);
    net::io_context io;
    spawn_senders(io, c, 3, sends, final_seq, joined, everyone, senders);
    plan const listen{.room = 1, .sends = 0, .prefix = {}, .final_seq = final_seq};
    for (std::size_t i = 0; i < early.size(); ++i) { // the room is live on every replica
        auto& srv = *c.chat[i % 3];
        auto const token = srv.token(100 + std::int64_t(i), "e" + std::to_string(i));
        net::co_spawn(
            io,
            survivor(srv.port(), token, srv.port(), token, listen, joined, early[i], reconnects[i]),
            net::detached);
    }
    for (std::size_t i = 0; i < late.size(); ++i) { // joins spread over the load
        auto& srv = *c.chat[i % 3];
        auto const token = srv.token(200 + std::int64_t(i), "j" + std::to_string(i));
        auto const threshold = 5 + 3 * i;
        net::co_spawn(
            io, late_member(srv.port(), token, listen, senders[(i + 1) % 3], threshold, late[i]),
            net::detached);
    }
    io.run_for(std::chrono::seconds(90));

    for (std::size_t k = 0; k < senders.size(); ++k)
        check_contiguous(senders[k], final_seq, "sender " + std::to_string(k));
    for (std::size_t i = 0; i < early.size(); ++i)
        check_contiguous(early[i], final_seq, "listener " + std::to_string(i));
    for (std::size_t i = 0; i < late.size(); ++i)
        check_contiguous(late[i], final_seq,
                         "late joiner " + std::to_string(i) + " on replica " +
                             std::to_string(i % 3));
    report_reordering(c);
}

BOOST_AUTO_TEST_SUITE_END()
