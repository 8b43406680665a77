// 200 clients in 10 rooms sending at once: every client receives every message of its room
// exactly once, in seq order, and nothing of the other rooms.
#include "chat_fixture.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <set>

using namespace chat_test;

namespace {

constexpr int rooms = 10;
constexpr int clients_per_room = 20;
constexpr int messages_per_client = 5;
constexpr int messages_per_room = clients_per_room * messages_per_client;

struct client_record {
    std::int64_t room = 0;
    std::vector<std::int64_t> seqs;   // of new_message frames, in arrival order
    std::set<std::string> client_ids; // of the messages received
    std::size_t foreign = 0;          // messages of other rooms
    std::size_t acks = 0;
    bool done = false;
    std::string phase = "start"; // where an unfinished client stopped
    std::string failure;
};

// Everyone waits on one timer that never expires; the last to arrive cancels it. (Setting the
// expiry per waiter would cancel the earlier waiters.)
struct barrier {
    barrier(int n, net::io_context& io) : remaining(n), timer(io, clock::time_point::max()) {}
    int remaining;
    net::steady_timer timer;
    net::awaitable<void> arrive_and_wait()
    {
        if (--remaining == 0)
            timer.cancel();
        else
            co_await timer.async_wait(use_tuple);
    }
};

net::awaitable<void> run_client(std::uint16_t port, std::string token, std::int64_t room, int index,
                                client_record& rec, barrier& joined)
{
    try {
        auto c = co_await login(port, token);
        rec.phase = "joining";
        co_await join(c, room);
        rec.phase = "waiting for the others";
        co_await joined.arrive_and_wait();
        rec.phase = "sending"; // everyone is in before anyone sends
        for (int i = 0; i < messages_per_client; ++i) {
            auto const content = "from " + std::to_string(index) + " #" + std::to_string(i);
            auto const client_id = "c" + std::to_string(index) + "-" + std::to_string(i);
            co_await send_message(c, room, content, client_id);
        }
        rec.phase = "receiving";
        while (rec.seqs.size() < std::size_t(messages_per_room) ||
               rec.acks < std::size_t(messages_per_client)) {
            auto f = co_await next_frame(c);
            auto const type = type_of(f);
            if (type == "ack") {
                ++rec.acks;
            } else if (type == "new_message") {
                if (f.at("room_id").as_int64() != room) {
                    ++rec.foreign;
                    continue;
                }
                rec.seqs.push_back(f.at("seq").as_int64());
                rec.client_ids.emplace(f.at("client_id").as_string());
            } else if (type == "error") {
                rec.failure = json::serialize(f);
                break;
            }
        }
        rec.phase = "draining";
        // Nothing more must be queued for this client (no duplicates after the last one).
        auto rest = co_await drain_until_pong(c);
        (void)0;
        rec.foreign += count_type(rest, "new_message");
        for (auto const& f : rest)
            if (type_of(f) == "new_message")
                rec.seqs.push_back(f.at("seq").as_int64());
        co_await c.close();
        rec.done = true;
    } catch (std::exception const& e) {
        rec.failure = e.what();
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_concurrency)

BOOST_AUTO_TEST_CASE(two_hundred_clients_in_ten_rooms_each_receive_their_room_exactly_once_in_order)
{
    chat_server srv;
    auto const owner = srv.bearer(9999, "owner");
    std::vector<std::int64_t> room_ids;
    for (int r = 0; r < rooms; ++r)
        room_ids.push_back(srv.create_room("room " + std::to_string(r), false, owner));

    net::io_context io;
    barrier joined(rooms * clients_per_room, io);
    std::vector<client_record> records(rooms * clients_per_room);
    for (int i = 0; i < rooms * clients_per_room; ++i) {
        auto& rec = records[i];
        rec.room = room_ids[i % rooms];
        auto token = srv.token(i + 1, "user" + std::to_string(i + 1));
        net::co_spawn(io, run_client(srv.port(), token, rec.room, i, rec, joined), net::detached);
    }
    io.run_for(std::chrono::seconds(120));

    std::size_t deliveries = 0;
    for (auto const& rec : records) {
        BOOST_TEST_REQUIRE(rec.failure.empty(), rec.failure);
        if (!rec.done) {
            std::string missing;
            std::set<std::int64_t> got(rec.seqs.begin(), rec.seqs.end());
            for (std::int64_t k = 1; k <= messages_per_room; ++k)
                if (!got.contains(k))
                    missing += std::to_string(k) + " ";
            BOOST_TEST_REQUIRE(rec.done, "stopped " << rec.phase << " with " << rec.seqs.size()
                                                    << " messages, " << rec.acks
                                                    << " acks; missing seqs " << missing);
        }
        BOOST_TEST(rec.foreign == 0u);
        BOOST_TEST(rec.acks == std::size_t(messages_per_client));
        BOOST_TEST_REQUIRE(rec.seqs.size() == std::size_t(messages_per_room));
        for (std::size_t k = 0; k < rec.seqs.size(); ++k)
            if (rec.seqs[k] != std::int64_t(k + 1)) {
                BOOST_TEST(rec.seqs[k] == std::int64_t(k + 1));
                break;
            }
        BOOST_TEST(rec.client_ids.size() ==
                   std::size_t(messages_per_room)); // all distinct messages
        deliveries += rec.seqs.size();
    }
    BOOST_TEST(deliveries == std::size_t(rooms * clients_per_room * messages_per_room));
    // The store agrees: every room holds seq 1..100.
    for (auto id : room_ids) {
        auto page =
            srv.get("/rooms/" + std::to_string(id) + "/messages?limit=100").json().as_array();
        BOOST_TEST_REQUIRE(page.size() == std::size_t(messages_per_room));
        for (std::size_t k = 0; k < page.size(); ++k)
            BOOST_TEST(page[k].at("seq").as_int64() == std::int64_t(k + 1));
    }
}

BOOST_AUTO_TEST_SUITE_END()
