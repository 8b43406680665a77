// Several chat replicas sharing one database (issue 9): the group-commit transaction keeps each
// room's seq contiguous and unique, and a client_id sent through two replicas at once is stored
// once, without failing either batch. Checked on the batch function itself (both backends) and on
// real parley-chat processes sharing a PostgreSQL database. SQLite refuses PARLEY_REPLICAS > 1.
#include "chat/store/chat_store.hpp"
#include "chat/store/message_writer.hpp"
#include "chat_fixture.hpp"
#include "integration/common/run_to_exit.hpp"
#include "support/postgres_server.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <set>
#include <thread>

using namespace chat_test;

namespace {

enum class backend { sqlite, postgres };

std::string fresh_url(backend kind, test::temp_directory const& dir)
{
    if (kind == backend::sqlite)
        return dir.path() + "/chat.db";
    return test::postgres_server::shared().create_database();
}

chat_app::post_op post(std::int64_t room, std::int64_t user, std::string client_id)
{
    return chat_app::post_op{.room_id = room,
                             .user_id = user,
                             .username = "user" + std::to_string(user),
                             .content = "hello from " + client_id,
                             .client_id = std::move(client_id)};
}

// One "replica": batches of posts to two rooms, each batch also carrying a client_id that the
// other replica sends at the same moment (the same user retrying through another replica).
void replica(store::database& db, std::string const& name, int batches,
             std::map<std::string, std::int64_t>& dup_seqs, std::atomic<int>& failures,
             std::atomic<int>& duplicates)
{
    for (int b = 0; b < batches; ++b) {
        std::vector<chat_app::write_op> ops;
        for (int i = 0; i < 8; ++i) {
            auto room = (b + i) % 2 == 0 ? 1 : 2;
            ops.emplace_back(
                post(room, 100 + i, name + "-" + std::to_string(b) + "-" + std::to_string(i)));
        }
        ops.emplace_back(post(1, 7, "shared-" + std::to_string(b)));
        try {
            auto results = db.run_blocking(
                [&](store::connection& c) { return chat_app::process_writes(c, ops); });
            auto const& shared = std::get<chat_app::post_result>(results.back());
            if (shared.outcome == chat_app::post_result::duplicate)
                ++duplicates;
            dup_seqs["shared-" + std::to_string(b)] = shared.message.seq;
        } catch (std::exception const& e) {
            ++failures;
            BOOST_TEST_MESSAGE(name << " batch failed: " << e.what());
        }
    }
}

void check_room(store::database& db, std::int64_t room)
{
    auto seqs = db.run_blocking([room](store::connection& c) {
        std::vector<std::int64_t> out;
        for (auto const& r :
             c.query("SELECT seq FROM messages WHERE room_id = $1 ORDER BY seq", {room}))
            out.push_back(r.get<std::int64_t>(0));
        return out;
    });
    auto last = db.run_blocking([room](store::connection& c) {
        return c.query_value<std::int64_t>("SELECT last_seq FROM rooms WHERE id = $1", {room})
            .value();
    });
    BOOST_TEST_REQUIRE(!seqs.empty());
    BOOST_TEST(last == std::int64_t(seqs.size()));
    for (std::size_t i = 0; i < seqs.size(); ++i)
        if (seqs[i] != std::int64_t(i + 1)) {
            BOOST_TEST(seqs[i] == std::int64_t(i + 1), "room " << room << " at " << i);
            break;
        }
}

void concurrent_batches(backend kind)
{
    test::temp_directory dir;
    auto const url = fresh_url(kind, dir);
    auto a = store::database::open(url);
    auto b = store::database::open(url);
    a.migrate(chat_app::chat_migrations());
    b.migrate(chat_app::chat_migrations());
    a.run_blocking([](store::connection& c) {
        c.execute("INSERT INTO rooms (name, created_at) VALUES ('second', '2026-12-01')");
    });

    constexpr int batches = 40;
    std::map<std::string, std::int64_t> seqs_a, seqs_b;
    std::atomic<int> failures{0}, duplicates{0};
    std::thread ta([&] { replica(a, "a", batches, seqs_a, failures, duplicates); });
    std::thread tb([&] { replica(b, "b", batches, seqs_b, failures, duplicates); });
    ta.join();
    tb.join();

    BOOST_TEST(failures.load() == 0);
    // Each shared client_id: stored once, the other replica got the stored one back.
    BOOST_TEST(duplicates.load() == batches);
    for (auto const& [id, seq] : seqs_a)
        BOOST_TEST(seqs_b.at(id) == seq, id);
    auto shared = a.run_blocking([](store::connection& c) {
        return c
            .query_value<std::int64_t>(
                "SELECT count(*) FROM messages WHERE client_id LIKE 'shared-%'")
            .value();
    });
    BOOST_TEST(shared == batches);
    check_room(a, 1);
    check_room(a, 2);
    auto total = a.run_blocking([](store::connection& c) {
        return c.query_value<std::int64_t>("SELECT count(*) FROM messages").value();
    });
    BOOST_TEST(total == 2 * batches * 8 + batches);
}

struct sender_record {
    std::vector<std::int64_t> acked;
    std::string failure;
};

net::awaitable<void> sender(std::uint16_t port, std::string token, std::string prefix, int count,
                            sender_record& rec)
{
    try {
        auto c = co_await login(port, token);
        co_await join(c, 1);
        for (int i = 0; i < count; ++i) {
            auto const client_id = prefix + std::to_string(i);
            auto const content = "message " + client_id;
            co_await send_message(c, 1, content, client_id);
        }
        while (rec.acked.size() < std::size_t(count)) {
            auto f = co_await next_frame(c);
            if (type_of(f) == "ack")
                rec.acked.push_back(f.at("seq").as_int64());
            else if (type_of(f) == "error") {
                rec.failure = json::serialize(f);
                break;
            }
        }
        co_await c.close();
    } catch (std::exception const& e) {
        rec.failure = e.what();
    }
}

struct outage_record {
    std::vector<bj::object> replies; // to the sends, in order
    std::string failure;
};

// The next ack or error for client_id (other frames skipped).
net::awaitable<bj::object> reply_to(ws::client& c, std::string const& client_id)
{
    for (;;) {
        auto f = co_await next_frame(c);
        auto const type = type_of(f);
        auto const* id = f.if_contains("client_id");
        if ((type == "ack" || type == "error") && id && id->is_string() &&
            id->as_string() == client_id)
            co_return f;
    }
}

net::awaitable<void> send_through_an_outage(std::uint16_t port, std::string token,
                                            test::postgres_server& pg, outage_record& rec)
{
    try {
        auto c = co_await login(port, token);
        co_await join(c, 1);
        std::string const first = "m1", second = "m2";
        co_await send_message(c, 1, "before the outage", first);
        auto r1 = co_await reply_to(c, first);
        rec.replies.push_back(std::move(r1));
        pg.stop(); // (blocks this test thread for a moment: only the client waits)
        co_await send_message(c, 1, "during the outage", second);
        auto r2 = co_await reply_to(c, second);
        rec.replies.push_back(std::move(r2));
        pg.start();
        // The client retries with the same client_id until it is stored.
        auto ex = co_await net::this_coro::executor;
        net::steady_timer pause(ex);
        for (int attempt = 0; attempt < 50; ++attempt) {
            co_await send_message(c, 1, "during the outage", second);
            auto reply = co_await reply_to(c, second);
            bool const stored = type_of(reply) == "ack";
            rec.replies.push_back(std::move(reply));
            if (stored)
                break;
            pause.expires_after(std::chrono::milliseconds(200));
            co_await pause.async_wait(use_tuple);
        }
        co_await send_message(c, 1, "during the outage", second); // once more: a duplicate
        auto r3 = co_await reply_to(c, second);
        rec.replies.push_back(std::move(r3));
        co_await c.close();
    } catch (std::exception const& e) {
        rec.failure = e.what();
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_replicas)

BOOST_AUTO_TEST_CASE(two_replicas_batching_into_one_room_on_sqlite_keep_seq_contiguous)
{
    concurrent_batches(backend::sqlite);
}

BOOST_AUTO_TEST_CASE(two_replicas_batching_into_one_room_on_postgres_keep_seq_contiguous)
{
    concurrent_batches(backend::postgres);
}

BOOST_AUTO_TEST_CASE(chat_processes_sharing_postgres_number_one_room_without_gaps)
{
    auto const url = test::postgres_server::shared().create_database();
    env const settings{{"PARLEY_CHAT_DATABASE_URL", url},
                       {"PARLEY_CHAT_MESSAGES_PER_SECOND", "100000"},
                       {"PARLEY_CHAT_MESSAGE_BURST", "100000"}};
    chat_server a(settings);
    chat_server b(settings);

    constexpr int senders_per_replica = 3;
    constexpr int messages = 40;
    std::vector<sender_record> records(2 * senders_per_replica);
    net::io_context io;
    for (int i = 0; i < senders_per_replica; ++i) {
        auto const n = std::to_string(i);
        auto const token_a = a.token(10 + i, "a" + n);
        auto const token_b = b.token(20 + i, "b" + n);
        net::co_spawn(io, sender(a.port(), token_a, "a" + n + "-", messages, records[2 * i]),
                      net::detached);
        net::co_spawn(io, sender(b.port(), token_b, "b" + n + "-", messages, records[2 * i + 1]),
                      net::detached);
    }
    // The same user retrying one client_id through both replicas at once.
    sender_record twin_a, twin_b;
    auto const twin_token_a = a.token(30, "twin");
    auto const twin_token_b = b.token(30, "twin");
    net::co_spawn(io, sender(a.port(), twin_token_a, "twin-", 1, twin_a), net::detached);
    net::co_spawn(io, sender(b.port(), twin_token_b, "twin-", 1, twin_b), net::detached);
    io.run_for(std::chrono::seconds(60));

    std::set<std::int64_t> acked;
    for (auto const& r : records) {
        BOOST_TEST_REQUIRE(r.failure.empty(), r.failure);
        BOOST_TEST_REQUIRE(r.acked.size() == std::size_t(messages));
        for (auto s : r.acked)
            BOOST_TEST(acked.insert(s).second, "seq " << s << " acknowledged twice");
    }
    BOOST_TEST_REQUIRE(twin_a.failure.empty(), twin_a.failure);
    BOOST_TEST_REQUIRE(twin_b.failure.empty(), twin_b.failure);
    BOOST_TEST_REQUIRE(twin_a.acked.size() == 1u);
    BOOST_TEST_REQUIRE(twin_b.acked.size() == 1u);
    BOOST_TEST(twin_a.acked[0] == twin_b.acked[0]); // stored once, both got its seq
    acked.insert(twin_a.acked[0]);

    // The history, read through either replica, is 1..N with nothing missing or repeated.
    constexpr std::int64_t total = 2 * senders_per_replica * messages + 1;
    std::vector<std::int64_t> history;
    std::int64_t after = 0;
    while (true) {
        auto r = (history.size() % 2 == 0 ? a : b)
                     .get("/rooms/1/messages?limit=100&after=" + std::to_string(after));
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
        auto const page = r.json().as_array();
        if (page.empty())
            break;
        for (auto const& m : page)
            history.push_back(m.at("seq").as_int64());
        after = history.back();
    }
    BOOST_TEST_REQUIRE(history.size() == std::size_t(total));
    for (std::int64_t i = 0; i < total; ++i)
        BOOST_TEST(history[i] == i + 1);
    BOOST_TEST(acked.size() == std::size_t(total));
}

BOOST_AUTO_TEST_CASE(sends_during_a_postgres_restart_are_unavailable_then_stored_once_on_retry)
{
    test::postgres_server pg; // its own: stopped and started here
    chat_server srv({{"PARLEY_CHAT_DATABASE_URL", pg.create_database()}});
    outage_record rec;
    net::io_context io;
    auto const token = srv.token(5, "eve");
    net::co_spawn(io, send_through_an_outage(srv.port(), token, pg, rec), net::detached);
    io.run_for(std::chrono::seconds(60));
    BOOST_TEST_REQUIRE(rec.failure.empty(), rec.failure);
    BOOST_TEST_REQUIRE(rec.replies.size() >= 4u);
    auto const& before = rec.replies.front();
    BOOST_TEST(type_of(before) == "ack");
    BOOST_TEST(before.at("seq").as_int64() == 1);
    auto const& during = rec.replies[1];
    BOOST_TEST(type_of(during) == "error");
    BOOST_TEST(during.at("code").as_string() == "unavailable");
    auto const& stored = rec.replies[rec.replies.size() - 2];
    BOOST_TEST_REQUIRE(type_of(stored) == "ack", json::serialize(stored));
    BOOST_TEST(stored.at("seq").as_int64() == 2);
    BOOST_TEST(!stored.contains("duplicate"));
    auto const& again = rec.replies.back();
    BOOST_TEST(type_of(again) == "ack");
    BOOST_TEST(again.at("seq").as_int64() == 2);
    BOOST_TEST(again.at("duplicate").as_bool());
    auto history = srv.get("/rooms/1/messages?after=0").json().as_array();
    BOOST_TEST(history.size() == 2u);
}

BOOST_AUTO_TEST_CASE(sqlite_refuses_to_serve_several_replicas)
{
    test::temp_directory dir;
    auto r = test::run_to_exit(test::binary_path("chat"),
                               {{"PARLEY_DATA_DIR", dir.path()}, {"PARLEY_REPLICAS", "2"}});
    BOOST_TEST(r.code == 2, r.output);
    BOOST_TEST(r.output.find("PARLEY_REPLICAS") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(several_replicas_without_a_bus_url_refuse_to_start)
{
    test::temp_directory dir;
    auto const url = test::postgres_server::shared().create_database();
    auto r = test::run_to_exit(test::binary_path("chat"), {{"PARLEY_DATA_DIR", dir.path()},
                                                           {"PARLEY_CHAT_DATABASE_URL", url},
                                                           {"PARLEY_REPLICAS", "3"}});
    BOOST_TEST(r.code == 2, r.output);
    BOOST_TEST(r.output.find("PARLEY_REPLICAS=3") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("PARLEY_BUS_URL") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
