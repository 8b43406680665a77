// The chat service's message statistics for the user service (POST /stats/batch): a batch the
// user service rejects (4xx) is dropped, not retried forever; a failing one (5xx, down) is
// retried with growing pauses, a bounded number of times; and the statistics of messages
// committed while the service drains at SIGTERM still reach the user service.
//
// The user service here is a stand-in in the test process: it must answer 400 or 503 on cue and
// hold a batch open for 300 ms (the real one answers in a millisecond, too fast to keep the
// shutdown window open), and it records exactly what it received.
#include "chat_fixture.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <thread>

using namespace chat_test;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t general = 1;
using clock_type = std::chrono::steady_clock;

struct batch_record {
    clock_type::time_point at;
    std::int64_t messages_sent = 0; // summed over the batch's users
};

// POST /stats/batch: records, waits `delay`, answers statuses[i] for the i-th batch (the last
// one for every later batch).
class stats_receiver {
public:
    stats_receiver(std::vector<unsigned> statuses, std::chrono::milliseconds delay)
        : statuses_(std::move(statuses)), delay_(delay), server_([this](http::server& s) {
              auto receive = [this](http::request_context& ctx) { return handle(ctx); };
              s.routes().post("/stats/batch", receive);
          })
    {}
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
    std::vector<batch_record> batches() const
    {
        std::lock_guard lock(mutex_);
        return batches_;
    }
    // Messages counted in batches that were answered 2xx.
    std::int64_t accepted_messages() const { return accepted_.load(); }

private:
    net::awaitable<http::response> handle(http::request_context& ctx)
    {
        batch_record r{clock_type::now(), 0};
        auto const body = bj::parse(ctx.request().body);
        for (auto const& item : body.at("increments").as_array())
            if (auto const* n = item.as_object().if_contains("messages_sent"))
                r.messages_sent += n->as_int64();
        std::size_t index;
        {
            std::lock_guard lock(mutex_);
            index = batches_.size();
            batches_.push_back(r);
        }
        net::steady_timer wait(ctx.executor(), delay_);
        co_await wait.async_wait(use_tuple);
        auto const status = statuses_[std::min(index, statuses_.size() - 1)];
        if (status < 300)
            accepted_ += r.messages_sent;
        co_return http::json(static_cast<http::status>(status),
                             status < 300 ? bj::object{{"message", "Stats updated"}}
                                          : bj::object{{"error", "refused"}});
    }

    std::vector<unsigned> statuses_;
    std::chrono::milliseconds delay_;
    mutable std::mutex mutex_;
    std::vector<batch_record> batches_;
    std::atomic<std::int64_t> accepted_{0};
    test::running_server server_; // last: stopped before the members its handler uses
};

// Sends `n` messages one after the other (each acked before the next).
net::awaitable<int> send_acked(std::uint16_t port, std::string token, int n)
{
    auto c = co_await login(port, token);
    co_await join(c, general);
    int acked = 0;
    for (int i = 0; i < n; ++i) {
        auto const content = "m" + std::to_string(i);
        co_await send_message(c, general, content, content);
        co_await next_of(c, "ack");
        ++acked;
    }
    co_await c.close();
    co_return acked;
}

// Sends messages until the server closes the connection; calls `on_twenty` once 20 are acked.
net::awaitable<int> send_until_closed(std::uint16_t port, std::string token,
                                      std::function<void()> on_twenty)
{
    auto c = co_await login(port, token);
    co_await join(c, general);
    int acked = 0;
    try {
        for (int i = 0;; ++i) {
            auto const content = "m" + std::to_string(i);
            co_await send_message(c, general, content, content);
            auto ack = co_await next_of(c, "ack");
            (void)ack;
            if (++acked == 20)
                on_twenty();
        }
    } catch (std::exception const&) {
        // closed (1001) by the stopping server
    }
    co_return acked;
}

std::map<std::string, std::string> fast_chat(std::string const& user_url)
{
    return {{"PARLEY_USER_URL", user_url},
            {"PARLEY_CHAT_MESSAGES_PER_SECOND", "100000"},
            {"PARLEY_CHAT_MESSAGE_BURST", "100000"}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_stats_flusher)

BOOST_AUTO_TEST_CASE(a_batch_rejected_with_4xx_is_dropped_not_retried)
{
    stats_receiver user({400}, 0ms);
    auto env = fast_chat(user.url());
    env["PARLEY_CHAT_STATS_INTERVAL"] = "50ms";
    chat_server srv(env);
    BOOST_TEST(test::run_coro([&] { return send_acked(srv.port(), srv.token(1, "u"), 3); }) == 3);
    auto const until = clock_type::now() + 10s;
    while (user.batches().empty() && clock_type::now() < until)
        std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(1500ms); // some 30 intervals more
    // Each batch once, then dropped: the three messages' increments arrive once in all (a retry
    // would send them again). A loaded machine may split them over two intervals.
    auto const batches = user.batches();
    BOOST_TEST_REQUIRE(!batches.empty());
    std::int64_t counted = 0;
    for (auto const& b : batches)
        counted += b.messages_sent;
    BOOST_TEST(counted == 3);
    auto metrics = srv.get("/metrics").body;
    auto const dropped = "parley_chat_stats_dropped_total{reason=\"rejected\"} " +
                         std::to_string(batches.size()) + "\n";
    BOOST_TEST(metrics.find(dropped) != std::string::npos, metrics.substr(0, 2000));
    BOOST_TEST(srv.process.log().find("stats batch rejected") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failing_batch_is_retried_with_backoff_and_arrives)
{
    stats_receiver user({503, 503, 503, 200}, 0ms);
    auto env = fast_chat(user.url());
    env["PARLEY_CHAT_STATS_INTERVAL"] = "50ms";
    chat_server srv(env);
    BOOST_TEST(test::run_coro([&] { return send_acked(srv.port(), srv.token(1, "u"), 5); }) == 5);
    auto const until = clock_type::now() + 10s;
    while (user.accepted_messages() < 5 && clock_type::now() < until)
        std::this_thread::sleep_for(20ms);
    BOOST_TEST(user.accepted_messages() == 5); // nothing lost, nothing twice
    auto const b = user.batches();
    BOOST_TEST_REQUIRE(b.size() == 4u);
    // The pauses between attempts grow (50 ms, then about 100, 200, 400). Compared two steps
    // apart: a loaded machine (sanitizers, parallel tests) may stretch one pause.
    auto gap = [&](std::size_t i) { return b[i + 1].at - b[i].at; };
    BOOST_TEST((gap(2) > gap(0)));
    BOOST_TEST((gap(2) >= 300ms));
}

BOOST_AUTO_TEST_CASE(retries_are_bounded)
{
    stats_receiver user({503}, 0ms);
    auto env = fast_chat(user.url());
    env["PARLEY_CHAT_STATS_INTERVAL"] = "20ms";
    env["PARLEY_CHAT_STATS_MAX_ATTEMPTS"] = "4";
    chat_server srv(env);
    BOOST_TEST(test::run_coro([&] { return send_acked(srv.port(), srv.token(1, "u"), 2); }) == 2);
    // 20+40+80+160 ms of pauses: the 4 attempts arrive, then no fifth.
    auto const until = clock_type::now() + 10s;
    while (user.batches().size() < 4u && clock_type::now() < until)
        std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(1500ms);
    BOOST_TEST(user.batches().size() == 4u);
    auto metrics = srv.get("/metrics").body;
    BOOST_TEST(metrics.find("parley_chat_stats_dropped_total{reason=\"failed\"} 1") !=
                   std::string::npos,
               metrics.substr(0, 2000));
}

BOOST_AUTO_TEST_CASE(stats_of_messages_committed_while_draining_are_not_lost)
{
    // Every batch is held 300 ms: a flush that ran before the server stopped would leave the
    // messages acked meanwhile uncounted.
    stats_receiver user({200}, 300ms);
    auto env = fast_chat(user.url());
    env["PARLEY_CHAT_STATS_INTERVAL"] = "1h"; // only the final flush sends anything
    chat_server srv(env);
    int exit_code = -1;
    std::thread stopper;
    auto stop_now = [&] { stopper = std::thread([&] { exit_code = srv.process.stop(); }); };
    int const acked = test::run_coro(
        [&] { return send_until_closed(srv.port(), srv.token(1, "u"), stop_now); }, 30s);
    stopper.join();
    BOOST_TEST(exit_code == 0);
    BOOST_TEST(acked >= 20);
    // Every stored message is counted: the acked ones, and possibly the one in flight when the
    // server closed the connection (stored, its ack not delivered).
    BOOST_TEST(user.accepted_messages() >= acked);
    BOOST_TEST(user.accepted_messages() <= acked + 1);
}

BOOST_AUTO_TEST_SUITE_END()
