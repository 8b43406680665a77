// User replicas sharing a PostgreSQL database (issue 9): statistics increments sent to both at
// once all count (one upsert per row, rows locked in user order). SQLite refuses
// PARLEY_REPLICAS > 1.
#include "integration/common/run_to_exit.hpp"
#include "support/http.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <thread>

using namespace parley;
namespace bj = boost::json;

BOOST_AUTO_TEST_SUITE(user_replicas)

BOOST_AUTO_TEST_CASE(increments_through_two_replicas_at_once_all_count)
{
    test::temp_directory dir;
    std::map<std::string, std::string> const env{
        {"PARLEY_DATA_DIR", dir.path()},
        {"PARLEY_USER_DATABASE_URL", test::postgres_server::shared().create_database()},
        {"PARLEY_REPLICAS", "2"}};
    test::service_process a(test::binary_path("user"), env);
    test::service_process b(test::binary_path("user"), env);

    // Batches name the users in different orders; 40 of them at once, half through each.
    constexpr int batches = 40;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < batches; ++i)
        threads.emplace_back([&, i] {
            auto const body = i % 2 ? R"({"increments":[{"user_id":1,"messages_sent":1},
                                          {"user_id":2,"messages_sent":2,"last_seen":true}]})"
                                    : R"({"increments":[{"user_id":2,"messages_sent":2},
                                          {"user_id":1,"messages_sent":1,"rooms_created":1}]})";
            auto r =
                test::http_call((i % 2 ? a : b).port(), "POST", "/stats/batch", body,
                                {{"X-Parley-Service-Token", "parley-development-service-token"}});
            if (r.status == 200u)
                ++ok;
            else
                BOOST_TEST_MESSAGE("batch " << i << ": " << r.status << " " << r.body);
        });
    for (auto& t : threads)
        t.join();
    BOOST_TEST(ok.load() == batches);
    auto one = test::http_call(a.port(), "GET", "/profiles/1").json();
    auto two = test::http_call(b.port(), "GET", "/profiles/2").json();
    BOOST_TEST(one.at("messages_sent").as_int64() == batches);
    BOOST_TEST(one.at("rooms_created").as_int64() == batches / 2);
    BOOST_TEST(two.at("messages_sent").as_int64() == 2 * batches);
    BOOST_TEST(!two.at("last_seen").is_null());
}

BOOST_AUTO_TEST_CASE(sqlite_refuses_to_serve_several_replicas)
{
    test::temp_directory dir;
    auto r = test::run_to_exit(test::binary_path("user"),
                               {{"PARLEY_DATA_DIR", dir.path()}, {"PARLEY_REPLICAS", "2"}});
    BOOST_TEST(r.code == 2, r.output);
    BOOST_TEST(r.output.find("PARLEY_REPLICAS=2 needs PostgreSQL") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
