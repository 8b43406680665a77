// A WebSocket does not outlive its token (issue 13 item 3): it closes with 4001 at the token's
// exp, and an `auth` frame with a fresh token of the same user moves that deadline.
#include "chat_fixture.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <set>

using namespace chat_test;

namespace {

using std::chrono::seconds;
using steady = std::chrono::steady_clock;

// A token of the server's key that expires `left` from now.
std::string expiring_token(chat_server const& srv, std::int64_t user_id, std::string name,
                           seconds left)
{
    auth::token_signer signer(srv.keys.private_pem, {.lifetime = std::chrono::hours(1)});
    return signer.sign({.user_id = user_id, .username = name},
                       auth::token_clock::now() - std::chrono::hours(1) + left);
}

std::string auth_frame(std::string const& token)
{
    return json::serialize(bj::object{{"type", "auth"}, {"token", token}});
}

struct expiry_outcome {
    bj::object hello;
    int close_code = 0;
    double closed_after_s = 0;
    std::size_t frames_after_join = 0;
};

net::awaitable<expiry_outcome> wait_for_expiry(std::uint16_t port, std::string token)
{
    expiry_outcome out;
    auto c = co_await connect(port);
    auto const started = steady::now();
    auto const first = auth_frame(token);
    co_await c.send_text(first);
    out.hello = co_await next_frame(c);
    co_await join(c, 1);
    // Idle now; the server must end it.
    while (auto f = co_await c.read())
        ++out.frames_after_join;
    out.close_code = static_cast<int>(c.close_code());
    out.closed_after_s = std::chrono::duration<double>(steady::now() - started).count();
    co_return out;
}

struct renewal_outcome {
    bj::object renewed;
    bool open_after_first_expiry = false;
    int close_code = 0;
};

net::awaitable<renewal_outcome> renew_before_expiry(std::uint16_t port, std::string first,
                                                    std::string fresh)
{
    renewal_outcome out;
    auto c = co_await connect(port);
    auto const hello = auth_frame(first);
    co_await c.send_text(hello);
    co_await next_of(c, "connected");
    auto const again = auth_frame(fresh);
    co_await c.send_text(again);
    out.renewed = co_await next_frame(c);
    // Past the first token's exp (3 s): still answered.
    net::steady_timer wait(co_await net::this_coro::executor, seconds(5));
    co_await wait.async_wait(net::use_awaitable);
    co_await c.send_text(R"({"type":"ping"})");
    auto const pong = co_await next_frame(c);
    out.open_after_first_expiry = type_of(pong) == "pong";
    co_await c.close();
    co_return out;
}

struct refusal_outcome {
    bj::object bad_token_error;
    bool open_after_bad_token = false;
    int other_user_close = 0;
};

net::awaitable<refusal_outcome> refused_renewals(std::uint16_t port, std::string mine,
                                                 std::string someone_else)
{
    refusal_outcome out;
    auto c = co_await login(port, mine);
    co_await c.send_text(R"({"type":"auth","token":"not.a.token"})");
    out.bad_token_error = co_await next_frame(c);
    co_await c.send_text(R"({"type":"ping"})");
    auto const answer = co_await next_frame(c);
    out.open_after_bad_token = type_of(answer) == "pong";
    auto const theirs = auth_frame(someone_else);
    co_await c.send_text(theirs);
    while (co_await c.read()) {
    }
    out.other_user_close = static_cast<int>(c.close_code());
    co_return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_session_lifetime)

BOOST_AUTO_TEST_CASE(connected_names_the_features_and_when_the_token_expires)
{
    chat_server srv;
    auto const token = srv.token(7, "ann");
    auto hello = test::run_coro([&]() -> net::awaitable<bj::object> {
        auto c = co_await connect(srv.port());
        auto const f = auth_frame(token);
        co_await c.send_text(f);
        co_return co_await next_frame(c);
    });
    BOOST_TEST(type_of(hello) == "connected");
    std::set<std::string> features;
    for (auto const& f : hello.at("features").as_array())
        features.insert(std::string(f.as_string()));
    BOOST_TEST(features.contains("room_events"));
    BOOST_TEST(features.contains("reauth"));
    auto const expires = std::string(hello.at("expires_at").as_string());
    BOOST_TEST(expires.size() == 20u); // 2026-12-01T10:00:00Z
    BOOST_TEST(expires.ends_with("Z"));
}

BOOST_AUTO_TEST_CASE(a_socket_closes_with_4001_when_its_token_expires)
{
    chat_server srv;
    auto const token = expiring_token(srv, 8, "ben", seconds(3));
    auto out = test::run_coro([&] { return wait_for_expiry(srv.port(), token); },
                              std::chrono::seconds(30));
    BOOST_TEST(type_of(out.hello) == "connected");
    BOOST_TEST(out.close_code == 4001);
    BOOST_TEST(out.closed_after_s > 1.5); // not before exp (whole seconds)
    BOOST_TEST(out.closed_after_s < 6.0);
}

BOOST_AUTO_TEST_CASE(an_auth_frame_with_a_fresh_token_of_the_same_user_moves_the_deadline)
{
    chat_server srv;
    auto const first = expiring_token(srv, 9, "cid", seconds(3));
    auto const fresh = srv.token(9, "cid");
    auto out = test::run_coro([&] { return renew_before_expiry(srv.port(), first, fresh); },
                              std::chrono::seconds(30));
    BOOST_TEST(type_of(out.renewed) == "authenticated");
    BOOST_TEST(out.renewed.at("user").at("user_id").as_int64() == 9);
    BOOST_TEST(out.renewed.at("expires_at").as_string().ends_with("Z"));
    BOOST_TEST(out.open_after_first_expiry);
}

BOOST_AUTO_TEST_CASE(a_bad_renewal_token_is_an_error_and_another_users_token_closes_4001)
{
    chat_server srv;
    auto out = test::run_coro(
        [&] { return refused_renewals(srv.port(), srv.token(10, "dee"), srv.token(11, "eve")); });
    BOOST_TEST(type_of(out.bad_token_error) == "error");
    BOOST_TEST(out.bad_token_error.at("code").as_string() == "unauthorized");
    BOOST_TEST(out.open_after_bad_token);
    BOOST_TEST(out.other_user_close == 4001);
}

BOOST_AUTO_TEST_SUITE_END()
