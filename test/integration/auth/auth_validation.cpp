// The auth service's plain validation functions (unit tests kept beside the service's
// integration tests, which link the service's object library).
#include "auth/client_address.hpp"
#include "auth/validation.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using namespace parley::auth_app;

BOOST_AUTO_TEST_SUITE(auth_validation)

BOOST_AUTO_TEST_CASE(usernames)
{
    for (std::string ok : {"ann", "a.b-c_d", "ABC123", "x234567890123456789012345678901y"})
        BOOST_TEST(!check_username(ok).has_value(), ok);
    for (auto bad : {"", "ab", "has space", "semi;colon", "quote'", "ünï", "a/b", "tab\t1"})
        BOOST_TEST(check_username(bad).has_value(), bad);
    BOOST_TEST(check_username(std::string(33, 'x')).has_value());
    BOOST_TEST(check_username(std::string("ab\0c", 4)).has_value());
}

BOOST_AUTO_TEST_CASE(emails)
{
    for (auto ok :
         {"ann@example.com", "a.b+tag@sub.example.org", "o'hara@example.ie", "x@xn--bcher-kva.ch"})
        BOOST_TEST(!check_email(ok).has_value(), ok);
    for (auto bad :
         {"", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "ann@@example.com",
          "ann@exa mple.com", "ann@-example.com", "ann@example.c", ".ann@example.com",
          "a..b@example.com", "ann@example..com", "<a>@example.com", "ann@example.com\n"})
        BOOST_TEST(check_email(bad).has_value(), bad);
    auto long_local = std::string(64, 'a') + "@" + std::string(52, 'b') + ".com"; // 121 characters
    BOOST_TEST(check_email(long_local).has_value());
    auto just_fits = std::string(64, 'a') + "@" + std::string(51, 'b') + ".com"; // 120
    BOOST_TEST(!check_email(just_fits).has_value());
}

BOOST_AUTO_TEST_CASE(passwords_count_characters_not_bytes)
{
    BOOST_TEST(check_password("1234567").has_value());
    BOOST_TEST(!check_password("12345678").has_value());
    BOOST_TEST(!check_password(std::string(128, 'p')).has_value());
    BOOST_TEST(check_password(std::string(129, 'p')).has_value());
    std::string eight_umlauts;
    for (int i = 0; i < 8; ++i)
        eight_umlauts += "\xC3\xBC"; // ü: 16 bytes, 8 characters
    BOOST_TEST(!check_password(eight_umlauts).has_value());
    std::string many;
    for (int i = 0; i < 100; ++i)
        many += "\xE2\x82\xAC"; // €: 300 bytes, 100 characters
    BOOST_TEST(!check_password(many).has_value());
    BOOST_TEST(check_password("abcdefg\xFF").has_value()); // not UTF-8
}

BOOST_AUTO_TEST_CASE(client_addresses)
{
    BOOST_TEST(strip_port("127.0.0.1:5000") == "127.0.0.1");
    BOOST_TEST(strip_port("[::1]:5000") == "::1");
    BOOST_TEST(strip_port("::1") == "::1");
    http::request req;
    req.remote_address = "10.0.0.2:40000";
    req.headers.set("X-Forwarded-For", "6.6.6.6, 203.0.113.9");
    BOOST_TEST(client_address(req, false) == "10.0.0.2");   // untrusted header ignored
    BOOST_TEST(client_address(req, true) == "203.0.113.9"); // the entry our proxy appended
    req.headers.erase("X-Forwarded-For");
    BOOST_TEST(client_address(req, true) == "10.0.0.2");
    // An IPv6 peer is recorded without brackets: its port is not part of the address.
    req.remote_address = "2001:db8::5:40000";
    BOOST_TEST(client_address(req, false) == "2001:db8::5");
}

BOOST_AUTO_TEST_CASE(forwarded_for_is_believed_with_the_service_credential_only)
{
    forwarded_for_trust const trust{.always = false, .service_token = "the-service-credential"};
    http::request req;
    req.remote_address = "10.0.0.2:40000";
    req.headers.set("X-Forwarded-For", "203.0.113.9");
    BOOST_TEST(client_address(req, trust) == "10.0.0.2"); // no credential
    req.headers.set("X-Parley-Service-Token", "the-service-credentiaL");
    BOOST_TEST(client_address(req, trust) == "10.0.0.2"); // a wrong one
    req.headers.set("X-Parley-Service-Token", "the-service-credential");
    BOOST_TEST(client_address(req, trust) == "203.0.113.9");
    req.headers.erase("X-Parley-Service-Token");
    BOOST_TEST(client_address(req, forwarded_for_trust{.always = true}) == "203.0.113.9");
    BOOST_TEST(client_address(req, forwarded_for_trust{}) == "10.0.0.2");
}

BOOST_AUTO_TEST_SUITE_END()
