// Admin actions on the auth service (docs/api.md, "Admin actions"): PATCH /users/{id}
// {"is_admin"}, POST /users/{id}/deactivate, and the revocation list the other services poll
// (GET /internal/revocations, service credential only).
#include "support/http.hpp"
#include "support/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <limits>
#include <map>
#include <memory>

using namespace parley;
using parley::test::error_of;
using parley::test::http_call;
using parley::test::http_reply;
namespace bj = boost::json;

namespace {

constexpr char const* dev_credential = "parley-development-service-token";

struct auth_fixture {
    auth_fixture()
    {
        std::map<std::string, std::string> env{{"PARLEY_DATA_DIR", dir.path()}};
        process = std::make_unique<test::service_process>(test::binary_path("auth"), env);
    }
    std::uint16_t port() const { return process->port(); }

    http_reply call(std::string const& method, std::string const& path, std::string const& body,
                    std::string const& token = {}, test::header_list extra = {}) const
    {
        test::header_list h = std::move(extra);
        h.emplace_back("Content-Type", "application/json");
        if (!token.empty())
            h.emplace_back("Authorization", "Bearer " + token);
        return http_call(port(), method, path, body, h);
    }
    http_reply login(std::string const& user, std::string const& password) const
    {
        return call("POST", "/login",
                    bj::serialize(bj::object{{"username", user}, {"password", password}}));
    }
    std::string token_of(std::string const& user, std::string const& password) const
    {
        auto r = login(user, password);
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return std::string(r.json().at("token").as_string());
    }
    // Registers and returns the user's id.
    std::int64_t add_user(std::string const& name)
    {
        auto r = call("POST", "/register",
                      bj::serialize(bj::object{{"username", name},
                                               {"email", name + "@example.com"},
                                               {"password", "correct horse " + name}}));
        BOOST_REQUIRE_EQUAL(r.status, 201u);
        return r.json().at("user").at("id").as_int64();
    }
    std::string password_of(std::string const& name) const { return "correct horse " + name; }
    bool verifies(std::string const& token) const
    {
        return call("POST", "/verify", bj::serialize(bj::object{{"token", token}})).status == 200u;
    }

    test::temp_directory dir;
    std::unique_ptr<test::service_process> process;
};

std::string admin_body(bool is_admin)
{
    return bj::serialize(bj::object{{"is_admin", is_admin}});
}

} // namespace

BOOST_AUTO_TEST_SUITE(auth_admin)

BOOST_AUTO_TEST_CASE(patch_user_makes_and_revokes_admins_for_admins_only)
{
    auth_fixture svc;
    auto const admin = svc.token_of("admin", "admin123");
    auto const ann = svc.add_user("ann");
    auto const path = "/users/" + std::to_string(ann);
    auto const ann_token = svc.token_of("ann", svc.password_of("ann"));

    BOOST_TEST(svc.call("PATCH", path, admin_body(true)).status == 401u);
    auto r = svc.call("PATCH", path, admin_body(true), ann_token);
    BOOST_TEST(r.status == 403u);
    BOOST_TEST(error_of(r) == "Admin access required");
    r = svc.call("PATCH", "/users/0", admin_body(false), admin); // the dashboard's probe
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(error_of(r) == "User not found");
    BOOST_TEST(svc.call("PATCH", "/users/9999", admin_body(true), admin).status == 404u);
    for (auto const* bad : {R"({})", R"({"is_admin":"yes"})", R"({"is_admin":1})"}) {
        r = svc.call("PATCH", path, bad, admin);
        BOOST_TEST(r.status == 400u, bad);
        BOOST_TEST(error_of(r) == "Field 'is_admin' must be a boolean");
    }
    // No admin revokes their own rights (so the last one cannot).
    r = svc.call("PATCH", "/users/1", admin_body(false), admin);
    BOOST_TEST(r.status == 409u);

    r = svc.call("PATCH", path, admin_body(true), admin);
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.json().at("is_admin").as_bool() == true);
    BOOST_TEST(r.json().at("is_active").as_bool() == true);
    BOOST_TEST(svc.verifies(ann_token)); // a promotion revokes nothing
    auto const ann_admin = svc.token_of("ann", svc.password_of("ann"));
    BOOST_TEST(svc.call("PATCH", "/users/0", admin_body(false), ann_admin).status == 404u);

    // Revoked: the tokens that claim is_admin stop at once; a new sign-in works, without it.
    r = svc.call("PATCH", path, admin_body(false), admin);
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.json().at("is_admin").as_bool() == false);
    BOOST_TEST(!svc.verifies(ann_admin));
    BOOST_TEST(svc.call("GET", "/users", "", ann_admin).status == 401u);
    auto again = svc.login("ann", svc.password_of("ann"));
    BOOST_TEST_REQUIRE(again.status == 200u);
    auto const fresh = std::string(again.json().at("token").as_string());
    BOOST_TEST(again.json().at("user").at("is_admin").as_bool() == false);
    BOOST_TEST(svc.verifies(fresh));
    BOOST_TEST(svc.call("PATCH", path, admin_body(true), fresh).status == 403u);
}

BOOST_AUTO_TEST_CASE(deactivation_refuses_sign_in_and_revokes_every_token_at_once)
{
    auth_fixture svc;
    auto const admin = svc.token_of("admin", "admin123");
    auto const bob = svc.add_user("bob");
    svc.add_user("carl");
    auto const bob_token = svc.token_of("bob", svc.password_of("bob"));
    auto const carl_token = svc.token_of("carl", svc.password_of("carl"));
    auto const path = "/users/" + std::to_string(bob) + "/deactivate";

    BOOST_TEST(svc.call("POST", path, "").status == 401u);
    BOOST_TEST(svc.call("POST", path, "", carl_token).status == 403u);
    BOOST_TEST(svc.call("POST", "/users/9999/deactivate", "", admin).status == 404u);
    BOOST_TEST(svc.call("POST", "/users/1/deactivate", "", admin).status == 409u); // themselves
    // The dashboard's probe: the route exists (POST only).
    BOOST_TEST(svc.call("GET", "/users/0/deactivate", "", admin).status == 405u);

    auto r = svc.call("POST", path, "", admin);
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.json().at("id").as_int64() == bob);
    BOOST_TEST(r.json().at("is_active").as_bool() == false);
    BOOST_TEST(svc.call("POST", path, "", admin).status == 200u); // once is enough: idempotent

    BOOST_TEST(!svc.verifies(bob_token));
    BOOST_TEST(svc.call("GET", "/users", "", bob_token).status == 401u);
    BOOST_TEST(svc.verifies(carl_token)); // nobody else
    // The right password says why; a wrong one says nothing about the account.
    auto login = svc.login("bob", svc.password_of("bob"));
    BOOST_TEST(login.status == 403u);
    BOOST_TEST(error_of(login) == "This account has been deactivated");
    BOOST_TEST(svc.login("bob", "wrong password!").status == 401u);
    // Listed as inactive.
    auto const users = svc.call("GET", "/users", "", admin).json();
    bool listed = false;
    for (auto const& u : users.as_array())
        if (u.at("id").as_int64() == bob) {
            listed = true;
            BOOST_TEST(u.at("is_active").as_bool() == false);
        } else {
            BOOST_TEST(u.at("is_active").as_bool() == true);
        }
    BOOST_TEST(listed);
}

BOOST_AUTO_TEST_CASE(the_revocation_list_is_for_services_only)
{
    auth_fixture svc;
    auto const admin = svc.token_of("admin", "admin123");
    auto const dan = svc.add_user("dan");
    BOOST_TEST(
        svc.call("POST", "/users/" + std::to_string(dan) + "/deactivate", "", admin).status ==
        200u);
    auto r = svc.call("GET", "/internal/revocations", "");
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(error_of(r) == "Service credential required");
    r = svc.call("GET", "/internal/revocations", "", admin); // a user's token is not enough
    BOOST_TEST(r.status == 401u);
    r = svc.call("GET", "/internal/revocations", "", {},
                 {{"X-Parley-Service-Token", "not the credential"}});
    BOOST_TEST(r.status == 403u);
    r = svc.call("GET", "/internal/revocations", "", {},
                 {{"X-Parley-Service-Token", dev_credential}});
    BOOST_TEST_REQUIRE(r.status == 200u);
    auto const list = r.json().at("revocations").as_array();
    BOOST_TEST_REQUIRE(list.size() == 1u);
    BOOST_TEST(list[0].at("user_id").as_int64() == dan);
    BOOST_TEST(list[0].at("not_before").as_int64() == std::numeric_limits<std::int64_t>::max());
    BOOST_TEST(list[0].at("revoked_at").as_int64() > 1'700'000'000);
}

BOOST_AUTO_TEST_SUITE_END()
