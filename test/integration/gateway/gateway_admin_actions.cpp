// The admin actions through the gateway against the four real services (docs/api.md, "Admin
// actions"): the routes and their probes, and a deactivation that stops the user's tokens on
// every service and closes their WebSocket with 4001 within the revocation poll interval.
#include "parley/json/json.hpp"
#include "parley/ws/client.hpp"
#include "support/http.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

using namespace parley;
namespace bj = boost::json;

namespace {

using env = std::map<std::string, std::string>;

// auth, user, chat and the gateway on one data directory (shared development keys), wired to
// each other as scripts/run.sh does.
struct system_under_test {
    system_under_test()
    {
        env base{{"PARLEY_DATA_DIR", dir.path()}, {"PARLEY_BIND", "127.0.0.1"}};
        auth = std::make_unique<test::service_process>(test::binary_path("auth"), base);
        auto const auth_url = "127.0.0.1:" + std::to_string(auth->port());
        auto with = [&](env extra) {
            auto e = base;
            e["PARLEY_AUTH_URL"] = auth_url;
            for (auto& [k, v] : extra)
                e[k] = v;
            return e;
        };
        user = std::make_unique<test::service_process>(test::binary_path("user"), with({}));
        auto const user_url = "127.0.0.1:" + std::to_string(user->port());
        chat = std::make_unique<test::service_process>(test::binary_path("chat"),
                                                       with({{"PARLEY_USER_URL", user_url}}));
        auto const chat_url = "127.0.0.1:" + std::to_string(chat->port());
        gateway = std::make_unique<test::service_process>(
            test::binary_path("gateway"), with({{"PARLEY_USER_URL", user_url},
                                                {"PARLEY_CHAT_URL", chat_url},
                                                {"PARLEY_FRONTEND_URL", "127.0.0.1:9"}}));
    }

    test::http_reply call(std::string const& method, std::string const& path,
                          std::string const& body = {}, std::string const& token = {}) const
    {
        test::header_list h{{"Content-Type", "application/json"}};
        if (!token.empty())
            h.emplace_back("Authorization", "Bearer " + token);
        return test::http_call(gateway->port(), method, path, body, h);
    }
    std::string login(std::string const& name, std::string const& password) const
    {
        auto r = call("POST", "/api/auth/login",
                      bj::serialize(bj::object{{"username", name}, {"password", password}}));
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return std::string(r.json().at("token").as_string());
    }
    // Registers; returns {id, token}.
    std::pair<std::int64_t, std::string> add_user(std::string const& name) const
    {
        auto r = call("POST", "/api/auth/register",
                      bj::serialize(bj::object{{"username", name},
                                               {"email", name + "@example.com"},
                                               {"password", "correct horse " + name}}));
        BOOST_REQUIRE_EQUAL(r.status, 201u);
        return {r.json().at("user").at("id").as_int64(),
                std::string(r.json().at("token").as_string())};
    }

    test::temp_directory dir;
    std::unique_ptr<test::service_process> auth, user, chat, gateway;
};

struct closed_socket {
    int code = 0;
    double after_s = 0; // from the deactivation
};

// Opens the chat WebSocket through the gateway, authenticates, joins General, then runs
// `deactivate` and waits for the server to close the socket.
template <class Deactivate>
net::awaitable<closed_socket> watch_socket(std::uint16_t port, std::string token,
                                           Deactivate deactivate)
{
    auto ex = co_await net::this_coro::executor;
    std::string host = "127.0.0.1";
    std::string target = "/ws";
    ws::client_options options;
    auto pending = ws::client::connect(ex, host, port, target, options);
    auto c = co_await std::move(pending);
    auto const auth = json::serialize(bj::object{{"type", "auth"}, {"token", token}});
    co_await c.send_text(auth);
    auto hello = co_await c.read();
    if (!hello || hello->find("\"connected\"") == std::string::npos)
        throw std::runtime_error("not connected: " + hello.value_or("<closed>"));
    co_await c.send_text(R"({"type":"join","room_id":1})");
    deactivate();
    auto const started = std::chrono::steady_clock::now();
    while (co_await c.read()) {
    }
    closed_socket out;
    out.code = static_cast<int>(c.close_code());
    out.after_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    co_return out;
}

// True when `call` answers 401 within 2.5 s of the deactivation (started at most `closed.after_s`
// ago): the poll interval, a request and some slack for a loaded machine.
template <class Call> bool refused_soon(Call call)
{
    auto const until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2'500);
    for (;;) {
        if (call().status == 401u)
            return true;
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_admin_actions)

BOOST_AUTO_TEST_CASE(the_admin_routes_answer_through_the_gateway_as_the_dashboard_probes_them)
{
    system_under_test sys;
    auto const admin = sys.login("admin", "admin123");
    auto [carl_id, carl] = sys.add_user("carl");
    // Present: 404 for user / room 0, 405 for GET on the POST-only deactivate.
    BOOST_TEST(sys.call("PATCH", "/api/auth/users/0", R"({"is_admin":false})", admin).status ==
               404u);
    BOOST_TEST(sys.call("GET", "/api/auth/users/0/deactivate", {}, admin).status == 405u);
    BOOST_TEST(sys.call("DELETE", "/api/chat/rooms/0", {}, admin).status == 404u);
    BOOST_TEST(sys.call("PATCH", "/api/chat/rooms/0", R"({"name":"x"})", admin).status == 404u);
    // Non-admins: 403; no token: 401.
    auto const carl_path = "/api/auth/users/" + std::to_string(carl_id);
    BOOST_TEST(sys.call("PATCH", carl_path, R"({"is_admin":true})", carl).status == 403u);
    BOOST_TEST(sys.call("POST", "/api/auth/users/1/deactivate", {}, carl).status == 403u);
    BOOST_TEST(sys.call("DELETE", "/api/chat/rooms/1", {}, carl).status == 403u);
    BOOST_TEST(sys.call("PATCH", carl_path, R"({"is_admin":true})").status == 401u);
    // The admin's actions.
    auto r = sys.call("PATCH", carl_path, R"({"is_admin":true})", admin);
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.json().at("is_admin").as_bool());
    auto const room = sys.call("POST", "/api/chat/rooms", R"({"name":"short-lived"})", carl).json();
    auto const room_path = "/api/chat/rooms/" + std::to_string(room.at("room").at("id").as_int64());
    r = sys.call("DELETE", room_path, {}, admin);
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(sys.call("GET", room_path).status == 404u);
    BOOST_TEST(sys.call("DELETE", "/api/chat/rooms/1", {}, admin).status == 409u);
}

BOOST_AUTO_TEST_CASE(a_deactivated_users_tokens_stop_everywhere_and_their_websocket_closes_4001)
{
    system_under_test sys;
    auto const admin = sys.login("admin", "admin123");
    auto [victim_id, registered] = sys.add_user("victim");
    // An admin, so that the gateway's own admin route can tell too.
    auto const path = "/api/auth/users/" + std::to_string(victim_id);
    BOOST_TEST_REQUIRE(sys.call("PATCH", path, R"({"is_admin":true})", admin).status == 200u);
    auto const token = sys.login("victim", "correct horse victim");
    auto const profile = "/api/users/profiles/" + std::to_string(victim_id);
    auto const bio = R"({"bio":"still here"})";
    // Works everywhere before.
    BOOST_TEST(sys.call("GET", "/api/auth/users", {}, token).status == 200u);
    BOOST_TEST(sys.call("PUT", profile, bio, token).status == 200u);
    BOOST_TEST(sys.call("POST", "/api/chat/rooms", R"({"name":"before"})", token).status == 201u);
    BOOST_TEST(sys.call("GET", "/api/admin/topology", {}, token).status == 200u);

    auto const deactivate = [&] {
        auto r = sys.call("POST", path + "/deactivate", {}, admin);
        BOOST_TEST(r.status == 200u, r.body);
    };
    auto closed =
        test::run_coro([&] { return watch_socket(sys.gateway->port(), token, deactivate); },
                       std::chrono::seconds(20));
    BOOST_TEST(closed.code == 4001);
    BOOST_TEST(closed.after_s < 3.0); // the poll interval (1 s) and a request
    // Refused by every service, each within its poll interval (1 s) of the deactivation.
    BOOST_TEST(refused_soon([&] { return sys.call("GET", "/api/auth/users", {}, token); }));
    BOOST_TEST(refused_soon([&] { return sys.call("PUT", profile, bio, token); }));
    BOOST_TEST(refused_soon(
        [&] { return sys.call("POST", "/api/chat/rooms", R"({"name":"after"})", token); }));
    BOOST_TEST(refused_soon([&] { return sys.call("GET", "/api/admin/topology", {}, token); }));
    BOOST_TEST(
        sys.call("POST", "/api/auth/verify", bj::serialize(bj::object{{"token", token}})).status ==
        401u);
    BOOST_TEST(sys.call("POST", "/api/auth/login",
                        R"({"username":"victim","password":"correct horse victim"})")
                   .status == 403u);
    // A new WebSocket with the old token is refused with 4001 as well.
    auto again = test::run_coro([&]() -> net::awaitable<int> {
        auto ex = co_await net::this_coro::executor;
        std::string host = "127.0.0.1";
        std::string target = "/ws";
        ws::client_options options;
        auto pending = ws::client::connect(ex, host, sys.gateway->port(), target, options);
        auto c = co_await std::move(pending);
        auto const auth = json::serialize(bj::object{{"type", "auth"}, {"token", token}});
        co_await c.send_text(auth);
        while (co_await c.read()) {
        }
        co_return static_cast<int>(c.close_code());
    });
    BOOST_TEST(again == 4001);
    // The others are fine.
    BOOST_TEST(sys.call("GET", "/api/auth/users", {}, admin).status == 200u);
    (void)registered;
}

BOOST_AUTO_TEST_SUITE_END()
