// Name lookups in http::client have a deadline: connect_timeout covers the lookup and the connect
// together. The lookups here ask a "nameserver" on 127.0.0.1 that reads every query and never
// answers (glibc would wait for it; a test setting points this process's lookups at it).
#include "http/resolve.hpp"
#include "parley/http/client.hpp"
#include "parley/ws/client.hpp"
#include "support/run.hpp"

#include <atomic>
#include <boost/asio/ip/udp.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

using namespace parley;
using namespace std::chrono_literals;
using udp = net::ip::udp;

namespace {

// A UDP socket on 127.0.0.1 that swallows DNS queries, counting them, on its own thread.
class silent_nameserver {
public:
    silent_nameserver() : socket_(io_, udp::endpoint(net::ip::make_address("127.0.0.1"), 0))
    {
        thread_ = std::thread([this] {
            char buffer[1500];
            udp::endpoint from;
            boost::system::error_code ec;
            while (!stop_) {
                socket_.receive_from(net::buffer(buffer), from, 0, ec);
                if (!ec)
                    ++queries_;
            }
        });
        http::detail::set_test_nameserver(socket_.local_endpoint());
    }
    ~silent_nameserver()
    {
        http::detail::set_test_nameserver(std::nullopt);
        stop_ = true;
        // Wake the blocking receive with one datagram of our own.
        udp::socket poke(io_, udp::v4());
        poke.send_to(net::buffer("x", 1), socket_.local_endpoint());
        thread_.join();
    }
    int queries() const { return queries_.load(); }

private:
    net::io_context io_;
    udp::socket socket_;
    std::atomic<bool> stop_{false};
    std::atomic<int> queries_{0};
    std::thread thread_;
};

using clock_type = std::chrono::steady_clock;

// Waits (up to `limit`) for the lookup threads left behind to end: they are not leaked.
bool lookups_end_within(std::chrono::milliseconds limit)
{
    auto const until = clock_type::now() + limit;
    while (http::detail::lookups_in_flight() > 0 && clock_type::now() < until)
        std::this_thread::sleep_for(20ms);
    return http::detail::lookups_in_flight() == 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_client_dns)

BOOST_AUTO_TEST_CASE(a_lookup_the_nameserver_never_answers_times_out_with_connect_timeout)
{
    silent_nameserver dns;
    net::io_context io;
    http::client client(
        io.get_executor(),
        {.addresses = {"stall.parley.test:80"}, .connect_timeout = 300ms, .request_timeout = 10s});
    auto const started = clock_type::now();
    auto result = test::run_coro(
        io, [&] { return client.get("/health"); }, 10s);
    auto const elapsed = clock_type::now() - started;
    BOOST_TEST(!result.has_value());
    BOOST_TEST(result.error() == make_error_code(http::client_error::unavailable));
    BOOST_TEST(dns.queries() >= 1); // the lookup did go to the silent nameserver
    // The deadline, not glibc's own wait (2 s for this nameserver, 5 s per try by default).
    BOOST_TEST(elapsed >= 250ms);
    BOOST_TEST(elapsed < 1500ms, std::chrono::duration<double>(elapsed).count() << " s");
    BOOST_TEST(lookups_end_within(10s));
}

BOOST_AUTO_TEST_CASE(resolve_reports_timed_out_and_names_from_etc_hosts_still_resolve)
{
    silent_nameserver dns;
    net::io_context io;
    auto stalled = test::run_coro(
        io, [] { return http::detail::resolve("stall.parley.test", "80", 200ms); }, 10s);
    BOOST_TEST(stalled.ec == net::error::timed_out);
    BOOST_TEST(stalled.endpoints.empty());
    // "localhost" is in /etc/hosts: answered before any nameserver is asked.
    auto local = test::run_coro(
        io, [] { return http::detail::resolve("localhost", "5000", 2s); }, 10s);
    BOOST_TEST(!local.ec, local.ec.message());
    BOOST_TEST_REQUIRE(!local.endpoints.empty());
    BOOST_TEST(local.endpoints.front().port() == 5000);
    BOOST_TEST(local.endpoints.front().address().is_loopback());
    BOOST_TEST(lookups_end_within(10s));
}

BOOST_AUTO_TEST_CASE(a_websocket_connect_to_a_name_that_never_resolves_ends_at_its_timeout)
{
    silent_nameserver dns;
    net::io_context io;
    auto const started = clock_type::now();
    auto attempt = [&]() -> net::awaitable<std::string> {
        ws::client_options options;
        options.handshake_timeout = 300ms;
        try {
            auto ex = co_await net::this_coro::executor;
            auto c = co_await ws::client::connect(ex, "stall.parley.test", 80, "/ws", options);
        } catch (boost::system::system_error const& e) {
            co_return e.code().message();
        }
        co_return "connected";
    };
    auto outcome = test::run_coro(io, attempt, 10s);
    auto const elapsed = clock_type::now() - started;
    BOOST_TEST(outcome == boost::system::error_code(net::error::timed_out).message());
    BOOST_TEST(dns.queries() >= 1);
    BOOST_TEST(elapsed < 1500ms, std::chrono::duration<double>(elapsed).count() << " s");
    BOOST_TEST(lookups_end_within(10s));
}

BOOST_AUTO_TEST_CASE(lookups_that_answer_before_the_wait_begins_are_not_lost)
{
    // A numeric address answers in microseconds, often before the caller begins to wait.
    net::io_context io;
    auto many = []() -> net::awaitable<int> {
        int ok = 0;
        for (int i = 0; i < 200; ++i) {
            auto lookup = http::detail::resolve("127.0.0.1", "80", 5s);
            auto r = co_await std::move(lookup);
            ok += !r.ec && r.endpoints.size() == 1;
        }
        co_return ok;
    };
    auto const started = clock_type::now();
    BOOST_TEST(test::run_coro(io, many, 20s) == 200);
    BOOST_TEST((clock_type::now() - started < 5s));
    BOOST_TEST(lookups_end_within(10s));
}

BOOST_AUTO_TEST_CASE(destroying_the_io_context_during_a_lookup_is_safe)
{
    silent_nameserver dns;
    {
        net::io_context io;
        auto lookup = [] { return http::detail::resolve("stall.parley.test", "80", 60s); };
        net::co_spawn(io, lookup(), net::detached);
        io.run_for(100ms); // the lookup is running on its thread now
        BOOST_TEST(http::detail::lookups_in_flight() == 1u);
    } // the waiting coroutine is destroyed with the context; the thread's late answer is dropped
    BOOST_TEST(lookups_end_within(10s));
}

BOOST_AUTO_TEST_SUITE_END()
