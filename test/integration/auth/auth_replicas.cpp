// Login throttling under parallel guesses (issue 13 item 1) and across auth replicas sharing a
// PostgreSQL database (issue 9): attempts are reserved in the store before the password hash, so
// requests in flight count too, on either backend and whichever replica answers.
#include "integration/common/run_to_exit.hpp"
#include "support/http.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

using namespace parley;
namespace bj = boost::json;

namespace {

std::string login_body(std::string const& user, std::string const& password)
{
    return bj::serialize(bj::object{{"username", user}, {"password", password}});
}

std::string register_body(std::string const& u, std::string const& p)
{
    return bj::serialize(
        bj::object{{"username", u}, {"email", u + "@example.com"}, {"password", p}});
}

// Sends every body at once (one thread and connection each), to the ports in turn; returns how
// many replies had each status.
std::map<unsigned, int> all_at_once(std::vector<std::uint16_t> const& ports,
                                    std::vector<std::string> const& bodies)
{
    std::map<unsigned, int> statuses;
    std::mutex m;
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < bodies.size(); ++i)
        threads.emplace_back([&, i] {
            unsigned status = 0;
            try {
                status =
                    test::http_call(ports[i % ports.size()], "POST", "/login", bodies[i]).status;
            } catch (std::exception const&) {
            }
            std::lock_guard lock(m);
            ++statuses[status];
        });
    for (auto& t : threads)
        t.join();
    return statuses;
}

std::string describe(std::map<unsigned, int> const& statuses)
{
    std::string s;
    for (auto const& [status, n] : statuses)
        s += std::to_string(status) + ": " + std::to_string(n) + "  ";
    return s;
}

struct auth_replica {
    auth_replica(std::string const& data_dir, std::map<std::string, std::string> extra)
    {
        extra["PARLEY_DATA_DIR"] = data_dir;
        extra["PARLEY_PASSWORD_HASH_QUEUE"] = "200"; // only the throttle may refuse here
        process = std::make_unique<test::service_process>(test::binary_path("auth"), extra);
    }
    std::uint16_t port() const { return process->port(); }
    unsigned post(std::string const& path, std::string const& body) const
    {
        return test::http_call(port(), "POST", path, body).status;
    }
    std::unique_ptr<test::service_process> process;
};

} // namespace

BOOST_AUTO_TEST_SUITE(auth_replicas)

BOOST_AUTO_TEST_CASE(a_hundred_parallel_guesses_for_one_account_let_at_most_five_through)
{
    test::temp_directory dir;
    auth_replica auth(dir.path(), {});
    BOOST_REQUIRE_EQUAL(auth.post("/register", register_body("ann", "password-1")), 201u);

    std::vector<std::string> guesses(100, login_body("ann", "wrong-guess"));
    auto statuses = all_at_once({auth.port()}, guesses);
    BOOST_TEST(statuses[401] == 5, describe(statuses));
    BOOST_TEST(statuses[429] == 95, describe(statuses));
    // The right password waits for the window like everyone else.
    BOOST_TEST(auth.post("/login", login_body("ann", "password-1")) == 429u);
}

BOOST_AUTO_TEST_CASE(a_hundred_parallel_guesses_from_one_address_let_at_most_twenty_through)
{
    test::temp_directory dir;
    auth_replica auth(dir.path(), {});
    std::vector<std::string> guesses;
    for (int i = 0; i < 100; ++i)
        guesses.push_back(login_body("someone" + std::to_string(i), "wrong-guess"));
    auto statuses = all_at_once({auth.port()}, guesses);
    BOOST_TEST(statuses[401] == 20, describe(statuses));
    BOOST_TEST(statuses[429] == 80, describe(statuses));
}

BOOST_AUTO_TEST_CASE(replicas_on_postgres_share_accounts_and_the_throttle)
{
    test::temp_directory dir; // shared: both replicas use its development keys
    auto const url = test::postgres_server::shared().create_database();
    std::map<std::string, std::string> const settings{{"PARLEY_AUTH_DATABASE_URL", url},
                                                      {"PARLEY_REPLICAS", "2"}};
    auth_replica a(dir.path(), settings);
    auth_replica b(dir.path(), settings);

    // Registered through one, logged in through the other.
    BOOST_REQUIRE_EQUAL(a.post("/register", register_body("bob", "password-2")), 201u);
    BOOST_TEST(b.post("/login", login_body("bob", "password-2")) == 200u);
    BOOST_TEST(b.post("/register", register_body("bob", "password-3")) == 409u);

    // 100 guesses at once, half through each replica: 5 failures in all, then 429 everywhere.
    std::vector<std::string> guesses(100, login_body("bob", "wrong-guess"));
    auto statuses = all_at_once({a.port(), b.port()}, guesses);
    BOOST_TEST(statuses[401] == 5, describe(statuses));
    BOOST_TEST(statuses[429] == 95, describe(statuses));
    BOOST_TEST(a.post("/login", login_body("bob", "password-2")) == 429u);
    BOOST_TEST(b.post("/login", login_body("bob", "password-2")) == 429u);
    // The admin account was created once although both replicas started on an empty database.
    BOOST_TEST(a.post("/login", login_body("admin", "admin123")) == 200u);
}

BOOST_AUTO_TEST_CASE(sequential_failures_through_alternating_replicas_count_together)
{
    test::temp_directory dir;
    auto const url = test::postgres_server::shared().create_database();
    std::map<std::string, std::string> const settings{{"PARLEY_AUTH_DATABASE_URL", url}};
    auth_replica a(dir.path(), settings);
    auth_replica b(dir.path(), settings);
    BOOST_REQUIRE_EQUAL(a.post("/register", register_body("cat", "password-4")), 201u);
    for (int i = 0; i < 5; ++i)
        BOOST_TEST((i % 2 ? b : a).post("/login", login_body("cat", "nope-nope")) == 401u);
    BOOST_TEST(a.post("/login", login_body("cat", "nope-nope")) == 429u); // the 6th
    BOOST_TEST(b.post("/login", login_body("cat", "password-4")) == 429u);
}

BOOST_AUTO_TEST_CASE(sqlite_refuses_to_serve_several_replicas)
{
    test::temp_directory dir;
    auto r = test::run_to_exit(test::binary_path("auth"),
                               {{"PARLEY_DATA_DIR", dir.path()}, {"PARLEY_REPLICAS", "3"}});
    BOOST_TEST(r.code == 2, r.output);
    BOOST_TEST(r.output.find("PARLEY_REPLICAS=3 needs PostgreSQL") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
