#include "parley/http/server.hpp"
#include "support/http.hpp"
#include "support/run.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using parley::test::http_call;

namespace {

net::awaitable<http::response> whoami(http::request_context& ctx)
{
    co_return http::json({{"user", ctx.user().username}});
}

} // namespace

BOOST_AUTO_TEST_SUITE(server_authenticator)

BOOST_AUTO_TEST_CASE(authenticator_set_after_construction_is_used_by_ctx_user)
{
    auto setup = [](http::server& s) {
        s.routes().get("/whoami", whoami);
        s.set_authenticator([](std::string_view token) -> std::optional<auth::identity> {
            if (token == "late")
                return auth::identity{.user_id = 4, .username = "late", .is_admin = false};
            return std::nullopt;
        });
    };
    test::running_server srv(setup);
    auto ok = http_call(srv.port(), "GET", "/whoami", {}, {{"Authorization", "Bearer late"}});
    BOOST_TEST(ok.status == 200u);
    BOOST_TEST(ok.json().at("user").as_string() == "late");
    auto bad = http_call(srv.port(), "GET", "/whoami", {}, {{"Authorization", "Bearer other"}});
    BOOST_TEST(bad.status == 401u);
    BOOST_TEST(bad.json().at("error").as_string() == "Invalid token");
    auto none = http_call(srv.port(), "GET", "/whoami");
    BOOST_TEST(none.status == 401u);
    BOOST_TEST(none.json().at("error").as_string() == "Token is missing");
}

BOOST_AUTO_TEST_SUITE_END()
