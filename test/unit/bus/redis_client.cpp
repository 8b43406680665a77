// The Redis command client against a real redis-server started by the test.
#include "parley/bus/redis.hpp"
#include "support/io_threads.hpp"
#include "support/redis_server.hpp"

#include <boost/test/unit_test.hpp>
#include <future>

using namespace parley;
namespace redis = parley::bus::redis;
using kind = redis::reply::kind;
using command_result = boost::system::result<redis::reply>;

namespace {

net::awaitable<command_result> command(redis::client& c, std::vector<std::string> args)
{
    co_return co_await c.command(args);
}

command_result call(test::io_threads& io, redis::client& c, std::vector<std::string> args)
{
    return io.run([&c, args = std::move(args)] { return command(c, args); });
}

// Short timeouts, so that fault tests take seconds rather than minutes.
redis::client_options fast_options()
{
    redis::client_options o;
    o.connect_timeout = 500ms;
    o.command_timeout = 500ms;
    o.health_check_interval = 200ms;
    o.reconnect_min_delay = 20ms;
    o.reconnect_max_delay = 200ms;
    return o;
}

bool answers(test::io_threads& io, redis::client& c)
{
    auto const r = call(io, c, {"PING"});
    return r && r->text == "PONG";
}

// One field of INFO's text ("total_reads_processed:123").
std::int64_t info_field(test::io_threads& io, redis::client& c, std::string const& field)
{
    auto const r = call(io, c, {"INFO", "stats"});
    BOOST_TEST_REQUIRE(r.has_value());
    auto const at = r->text.find(field + ":");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    return std::stoll(r->text.substr(at + field.size() + 1));
}

net::awaitable<bool> set_then_get(redis::client& c, int i)
{
    auto const key = "key:" + std::to_string(i);
    auto const value = std::to_string(i);
    auto const set = co_await c.command("SET", key, value);
    auto const get = co_await c.command("GET", key);
    co_return set && set->text == "OK" && get && get->text == value;
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_client)

BOOST_AUTO_TEST_CASE(commands_round_trip)
{
    test::redis_server server;
    test::io_threads io;
    redis::client c(io.executor(), server.endpoint());

    auto const set = call(io, c, {"SET", "k", "v"});
    BOOST_TEST_REQUIRE(set.has_value());
    BOOST_TEST((set->type == kind::status && set->text == "OK"));
    BOOST_TEST(call(io, c, {"GET", "k"})->text == "v");
    BOOST_TEST(call(io, c, {"GET", "missing"})->is_nil());

    BOOST_TEST(call(io, c, {"HSET", "h", "f1", "v1", "f2", "v2"})->integer == 2);
    auto const all = call(io, c, {"HGETALL", "h"});
    BOOST_TEST_REQUIRE((all->type == kind::array));
    BOOST_TEST(all->elements.size() == 4u);

    BOOST_TEST(call(io, c, {"ZADD", "z", "2", "b", "1", "a"})->integer == 2);
    auto const range = call(io, c, {"ZRANGE", "z", "0", "-1"});
    BOOST_TEST_REQUIRE(range->elements.size() == 2u);
    BOOST_TEST(range->elements[0].text == "a");
    BOOST_TEST(range->elements[1].text == "b");

    BOOST_TEST(call(io, c, {"EXPIRE", "k", "10"})->integer == 1);
    auto const ttl = call(io, c, {"TTL", "k"})->integer;
    BOOST_TEST((ttl >= 9 && ttl <= 10));

    auto const script = call(io, c, {"EVAL", "return {KEYS[1], ARGV[1], 7}", "1", "key", "arg"});
    BOOST_TEST_REQUIRE(script->elements.size() == 3u);
    BOOST_TEST(script->elements[0].text == "key");
    BOOST_TEST(script->elements[1].text == "arg");
    BOOST_TEST(script->elements[2].integer == 7);

    // Redis refusing a command is a reply, not a transport error.
    auto const refused = call(io, c, {"INCR", "k"});
    BOOST_TEST_REQUIRE(refused.has_value());
    BOOST_TEST(refused->is_error());
    BOOST_TEST(refused->text.starts_with("ERR"));

    std::string const binary("a\r\n\0b\xff", 6);
    BOOST_TEST(call(io, c, {"SET", "bin", binary})->text == "OK");
    BOOST_TEST(call(io, c, {"GET", "bin"})->text == binary);
}

BOOST_AUTO_TEST_CASE(concurrent_commands_are_pipelined_and_matched_in_order)
{
    test::redis_server server;
    test::io_threads io;
    redis::client c(io.executor(), server.endpoint());
    BOOST_TEST_REQUIRE(answers(io, c));
    auto const reads_before = info_field(io, c, "total_reads_processed");

    constexpr int n = 2000;
    std::vector<std::future<bool>> results;
    for (int i = 0; i < n; ++i)
        results.push_back(net::co_spawn(io.io(), set_then_get(c, i), net::use_future));
    int ok = 0;
    for (auto& r : results)
        ok += r.get() ? 1 : 0;
    BOOST_TEST(ok == n);

    // 4000 commands (and one INFO) reached Redis in far fewer reads: they were written together.
    auto const reads = info_field(io, c, "total_reads_processed") - reads_before;
    BOOST_TEST_MESSAGE("4000 commands in " << reads << " reads by Redis");
    BOOST_TEST(reads < n / 2);
}

BOOST_AUTO_TEST_CASE(auth_with_the_password_of_the_url)
{
    test::redis_server server({.password = "s3cret"});
    test::io_threads io;
    auto const where = redis::parse_url(server.url());
    BOOST_TEST_REQUIRE(where.has_value());
    redis::client c(io.executor(), *where);
    BOOST_TEST(answers(io, c));

    auto const with_user =
        redis::parse_url("redis://default:s3cret@127.0.0.1:" + std::to_string(server.port()));
    redis::client u(io.executor(), *with_user);
    BOOST_TEST(answers(io, u));
}

BOOST_AUTO_TEST_CASE(a_wrong_or_missing_password_is_a_clear_error)
{
    test::redis_server server({.password = "s3cret"});
    test::io_threads io;
    auto const port = std::to_string(server.port());

    redis::client wrong(io.executor(), *redis::parse_url("redis://:nope@127.0.0.1:" + port));
    auto const t0 = clock::now();
    auto const r = call(io, wrong, {"PING"});
    BOOST_TEST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error() == redis::error::auth_failed));
    BOOST_TEST(r.error().message().find("credentials") != std::string::npos, r.error().message());
    BOOST_TEST((clock::now() - t0 < 3s));
    // Until the credentials work, commands fail at once.
    auto const t1 = clock::now();
    BOOST_TEST((call(io, wrong, {"PING"}).error() == redis::error::auth_failed));
    BOOST_TEST((clock::now() - t1 < 1s));
    BOOST_TEST(!wrong.connected());

    // No password at all: Redis says NOAUTH to the handshake's PING.
    redis::client none(io.executor(), *redis::parse_url("redis://127.0.0.1:" + port));
    BOOST_TEST((call(io, none, {"PING"}).error() == redis::error::auth_failed));
}

BOOST_AUTO_TEST_CASE(the_database_of_the_url_is_selected)
{
    test::redis_server server;
    test::io_threads io;
    redis::client db3(io.executor(), *redis::parse_url(server.url(3)));
    redis::client db0(io.executor(), server.endpoint());
    BOOST_TEST(call(io, db3, {"SET", "only3", "x"})->text == "OK");
    BOOST_TEST(call(io, db0, {"GET", "only3"})->is_nil());
    BOOST_TEST(call(io, db3, {"GET", "only3"})->text == "x");

    redis::client bad(io.executor(), server.endpoint(99)); // 16 databases by default
    BOOST_TEST((call(io, bad, {"PING"}).error() == redis::error::select_failed));
}

BOOST_AUTO_TEST_CASE(without_redis_commands_fail_with_not_connected)
{
    test::io_threads io;
    redis::endpoint nowhere;
    nowhere.host = "127.0.0.1";
    nowhere.port = 1; // refused
    auto options = fast_options();
    options.command_timeout = 200ms;
    redis::client c(io.executor(), nowhere, options);
    auto const r = call(io, c, {"PING"});
    BOOST_TEST((r.error() == redis::error::not_connected));
    BOOST_TEST(!io.run([&c] { return c.wait_connected(100ms); }));
}

BOOST_AUTO_TEST_CASE(a_stopped_redis_times_out_commands_and_the_connection_is_replaced)
{
    test::redis_server server;
    test::io_threads io;
    redis::client c(io.executor(), server.endpoint(), fast_options());
    BOOST_TEST_REQUIRE(answers(io, c));

    server.pause();
    auto const t0 = clock::now();
    auto const r = call(io, c, {"PING"});
    BOOST_TEST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error() == redis::error::timeout || r.error() == redis::error::not_connected),
               r.error().message());
    BOOST_TEST((clock::now() - t0 < 2s));
    std::this_thread::sleep_for(1s); // the watchdog replaces the connection meanwhile
    server.resume();
    BOOST_TEST(test::wait_until([&] { return answers(io, c); }, 10s));
}

BOOST_AUTO_TEST_CASE(the_outbound_buffer_is_bounded_and_commands_fail_fast_when_full)
{
    test::redis_server server;
    test::io_threads io;
    auto options = fast_options();
    options.max_outbound_bytes = 256 * 1024;
    options.command_timeout = 20s; // keep the stuck connection for the test
    redis::client c(io.executor(), server.endpoint(), options);
    BOOST_TEST_REQUIRE(answers(io, c));

    server.pause();
    // Publish until the kernel's socket buffers are full too and nothing is taken for a while.
    std::string const message(1000, 'm');
    int accepted = 0, dropped = 0;
    std::size_t most_queued = 0;
    auto const give_up = clock::now() + 20s;
    for (auto last_taken = clock::now(); clock::now() - last_taken < 300ms;) {
        BOOST_TEST_REQUIRE((clock::now() < give_up));
        if (c.publish("ch", message)) {
            ++accepted;
            last_taken = clock::now();
        } else {
            ++dropped;
            std::this_thread::sleep_for(100us);
        }
        most_queued = std::max(most_queued, c.outbound_bytes());
    }
    BOOST_TEST_MESSAGE("stopped Redis: " << accepted << " publishes queued or in the kernel, "
                                         << dropped << " dropped");
    BOOST_TEST(dropped > 0);
    BOOST_TEST(most_queued <= options.max_outbound_bytes);

    // (A command smaller than the space left would still fit: fill that up too.)
    while (c.publish("ch", "x")) {
    }
    auto const t0 = clock::now();
    auto const r = call(io, c, {"SET", "a", std::string(100, 'b')});
    BOOST_TEST((r.error() == redis::error::buffer_full));
    BOOST_TEST((clock::now() - t0 < 500ms));

    server.resume();
    BOOST_TEST(test::wait_until([&] { return answers(io, c); }, 10s));
}

BOOST_AUTO_TEST_CASE(after_a_redis_restart_commands_work_again)
{
    test::redis_server server;
    test::io_threads io;
    redis::client c(io.executor(), server.endpoint(), fast_options());
    BOOST_TEST(call(io, c, {"SET", "x", "1"})->text == "OK");

    server.stop();
    auto const during = call(io, c, {"GET", "x"});
    BOOST_TEST(!during.has_value());
    server.start();
    BOOST_TEST(test::wait_until([&] { return answers(io, c); }, 10s));
    BOOST_TEST(call(io, c, {"GET", "x"})->is_nil()); // a fresh server: nothing persisted
}

BOOST_AUTO_TEST_CASE(a_closed_client_fails_waiting_commands)
{
    test::redis_server server;
    test::io_threads io;
    auto c = std::make_unique<redis::client>(io.executor(), server.endpoint());
    BOOST_TEST_REQUIRE(answers(io, *c));
    server.pause();
    auto pending = net::co_spawn(io.io(), command(*c, {"PING"}), net::use_future);
    std::this_thread::sleep_for(100ms);
    c.reset();
    BOOST_TEST_REQUIRE((pending.wait_for(5s) == std::future_status::ready));
    auto const r = pending.get();
    BOOST_TEST((!r.has_value() &&
                (r.error() == redis::error::closed || r.error() == redis::error::connection_lost)));
    server.resume();
}

BOOST_AUTO_TEST_SUITE_END()
