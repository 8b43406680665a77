// Auth throttles failed logins per client address, and through the gateway that address must be
// the client's, not the gateway's: the gateway sends the address it saw as X-Forwarded-For with
// the service credential, and auth believes X-Forwarded-For only with that credential. Clients
// are told apart by their source address (127.0.0.2, 127.0.0.3: all of 127/8 is loopback).
#include "integration/common/run_to_exit.hpp"
#include "integration/gateway/fakes.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::test;
using namespace parley::test::gateway;

namespace {

constexpr char const* attacker = "127.0.0.2";
constexpr char const* victim = "127.0.0.3";

// Real auth and gateway binaries started as scripts/run.sh starts them: development mode, one
// data directory, no PARLEY_SERVICE_TOKEN and no PARLEY_TRUST_PROXY set.
struct system_under_test {
    temp_directory data;
    service_process auth{binary_path("auth"),
                         {{"PARLEY_DATA_DIR", data.path()}, {"PARLEY_BIND", "127.0.0.1"}}};
    std::string dead = "127.0.0.1:" + std::to_string(closed_port());
    service_process gateway{binary_path("gateway"),
                            {{"PARLEY_DATA_DIR", data.path()},
                             {"PARLEY_BIND", "127.0.0.1"},
                             {"PARLEY_AUTH_URL", "127.0.0.1:" + std::to_string(auth.port())},
                             {"PARLEY_USER_URL", dead},
                             {"PARLEY_CHAT_URL", dead},
                             {"PARLEY_FRONTEND_URL", dead}}};

    http_reply login(std::string const& from, std::string const& user, std::string const& password,
                     header_list extra = {})
    {
        extra.emplace_back("Content-Type", "application/json");
        return http_call_from(from, gateway.port(), "POST", "/api/auth/login",
                              R"({"username":")" + user + R"(","password":")" + password + "\"}",
                              extra);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_client_address)

BOOST_AUTO_TEST_CASE(twenty_failed_logins_from_one_client_do_not_lock_out_another)
{
    system_under_test s;
    auto reg = http_call_from(victim, s.gateway.port(), "POST", "/api/auth/register",
                              R"({"username":"bob","email":"bob@example.com",)"
                              R"("password":"bob-password-1"})",
                              {{"Content-Type", "application/json"}});
    BOOST_REQUIRE_EQUAL(reg.status, 201u);

    // 20 failures (the per-address limit) from the attacker, each for a different name so that
    // no account limit is reached, each claiming to come from the victim's address.
    for (int i = 0; i < 20; ++i) {
        auto r = s.login(attacker, "nobody" + std::to_string(i), "wrong",
                         {{"X-Forwarded-For", victim}, {"X-Parley-Service-Token", "guess"}});
        BOOST_TEST_REQUIRE(r.status == 401u, i << ": " << r.body);
    }
    // The attacker's address is now throttled...
    auto blocked = s.login(attacker, "bob", "bob-password-1");
    BOOST_TEST(blocked.status == 429u, blocked.body);
    // ...the victim's is not.
    auto ok = s.login(victim, "bob", "bob-password-1");
    BOOST_TEST(ok.status == 200u, ok.body);
}

BOOST_AUTO_TEST_CASE(auth_ignores_x_forwarded_for_without_the_credential)
{
    system_under_test s;
    // Straight to auth (not through the gateway), claiming a different address each time: all
    // twenty count against the caller's own address.
    for (int i = 0; i < 20; ++i) {
        auto r = http_call_from(attacker, s.auth.port(), "POST", "/login",
                                R"({"username":"n)" + std::to_string(i) + R"(","password":"x"})",
                                {{"X-Forwarded-For", "198.51.100." + std::to_string(i)},
                                 {"X-Parley-Service-Token", "parley-development-service-tokeN"}});
        BOOST_TEST_REQUIRE(r.status == 401u, r.body);
    }
    auto blocked = http_call_from(attacker, s.auth.port(), "POST", "/login",
                                  R"({"username":"admin","password":"admin123"})",
                                  {{"X-Forwarded-For", "198.51.100.77"}});
    BOOST_TEST(blocked.status == 429u, blocked.body);
    auto ok = http_call_from(victim, s.auth.port(), "POST", "/login",
                             R"({"username":"admin","password":"admin123"})");
    BOOST_TEST(ok.status == 200u, ok.body);
}

BOOST_AUTO_TEST_CASE(gateway_sends_the_address_it_saw_and_vouches_only_to_auth)
{
    fake_service auth{"auth"}, user{"user"}, chat{"chat"};
    gateway_under_test gw{auth.address(), user.address(), chat.address()};
    auto to_auth = http_call_from(attacker, gw.port(), "POST", "/api/auth/login", "{}",
                                  {{"X-Forwarded-For", "203.0.113.9, 10.1.1.1"}});
    auto seen = to_auth.json().as_object();
    BOOST_TEST(seen.at("forwarded_for").as_string() == attacker); // the client's entries dropped
    BOOST_TEST(seen.at("service_token").as_string() == "parley-development-service-token");
    auto to_chat = http_call_from(attacker, gw.port(), "GET", "/api/chat/rooms", {},
                                  {{"X-Forwarded-For", "203.0.113.9"}});
    seen = to_chat.json().as_object();
    BOOST_TEST(seen.at("forwarded_for").as_string() == attacker);
    BOOST_TEST(seen.at("service_token").as_string() == "");
}

BOOST_AUTO_TEST_CASE(behind_a_trusted_proxy_the_gateway_takes_the_proxys_entry)
{
    fake_service auth{"auth"}, user{"user"}, chat{"chat"};
    gateway_under_test gw{auth.address(),
                          user.address(),
                          chat.address(),
                          {{"PARLEY_TRUSTED_PROXIES", "127.0.0.2/32, 10.0.0.0/8"}}};
    auto forwarded_for = [&](std::string const& from, std::string const& xff) {
        auto r = http_call_from(from, gw.port(), "POST", "/api/auth/login", "{}",
                                {{"X-Forwarded-For", xff}});
        return std::string(r.json().at("forwarded_for").as_string());
    };
    // From the proxy: the entry it appended (the last), whatever the client put before it.
    BOOST_TEST(forwarded_for("127.0.0.2", "6.6.6.6, 203.0.113.9") == "203.0.113.9");
    BOOST_TEST(forwarded_for("127.0.0.2", "2001:db8::7") == "2001:db8::7");
    BOOST_TEST(forwarded_for("127.0.0.2", "not-an-address") == "127.0.0.2");
    // From anyone else: their own address.
    BOOST_TEST(forwarded_for("127.0.0.3", "203.0.113.9") == "127.0.0.3");
}

BOOST_AUTO_TEST_CASE(a_bad_trusted_proxy_is_a_config_error)
{
    temp_directory dir;
    for (auto const* bad : {"10.0.0.0/33", "nonsense", "10.0.0.1/", "::1/129", "10.0.0.0/8x"}) {
        auto r = run_to_exit(binary_path("gateway"),
                             {{"PARLEY_DATA_DIR", dir.path()}, {"PARLEY_TRUSTED_PROXIES", bad}});
        BOOST_TEST(r.code == 2, bad << ": " << r.output);
        BOOST_TEST(r.output.find("PARLEY_TRUSTED_PROXIES") != std::string::npos, r.output);
    }
}

BOOST_AUTO_TEST_SUITE_END()
