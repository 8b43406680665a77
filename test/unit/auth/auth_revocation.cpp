// The revocation list every service keeps (parley/auth/revocation.hpp): who is revoked, how
// entries merge and expire, its JSON form, and the authenticator that consults it.
#include "parley/auth/revocation.hpp"
#include "parley/json/json.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

using namespace parley;
using auth::revocation;

BOOST_AUTO_TEST_SUITE(auth_revocation)

BOOST_AUTO_TEST_CASE(tokens_issued_before_not_before_are_revoked_and_no_others)
{
    auth::revocation_list list;
    auto const now = auth::unix_seconds();
    std::vector<revocation> entries{
        {.user_id = 7, .not_before = 1000, .revoked_at = now},
        {.user_id = 8, .not_before = auth::all_tokens, .revoked_at = now}};
    BOOST_TEST(list.merge(entries) == (std::vector<std::int64_t>{7, 8}),
               boost::test_tools::per_element());
    BOOST_TEST(list.revoked(7, 999));
    BOOST_TEST(!list.revoked(7, 1000));
    BOOST_TEST(list.revoked(8, now + 100)); // deactivated: every token
    BOOST_TEST(!list.revoked(9, 0));
    BOOST_TEST(list.revoked(auth::identity{.user_id = 7, .username = "ann", .issued_at = 10}));
}

BOOST_AUTO_TEST_CASE(merging_only_moves_not_before_forward_and_reports_what_changed)
{
    auth::revocation_list list;
    auto const now = auth::unix_seconds();
    std::vector<std::vector<std::int64_t>> told;
    list.on_change([&](std::vector<std::int64_t> const& users) { told.push_back(users); });
    std::vector<revocation> first{{7, 1000, now}};
    list.merge(first);
    std::vector<revocation> same_again{{7, 1000, now}, {7, 500, now}};
    BOOST_TEST(list.merge(same_again).empty()); // a poll repeating the list changes nothing
    std::vector<revocation> later{{7, 2000, now}};
    BOOST_TEST(list.merge(later).size() == 1u);
    BOOST_TEST(list.revoked(7, 1500));
    BOOST_TEST(told.size() == 2u);
}

BOOST_AUTO_TEST_CASE(entries_older_than_the_longest_token_lifetime_are_dropped)
{
    auth::revocation_list list;
    auto const now = auth::unix_seconds();
    auto const too_old = now - auth::revocation_horizon.count() - 1;
    std::vector<revocation> entries{{7, auth::all_tokens, too_old}, {8, auth::all_tokens, now}};
    list.merge(entries, now);
    BOOST_TEST(!list.revoked(7, 0));
    BOOST_TEST(list.size() == 1u);
    // Kept ones expire later.
    list.merge({}, now + auth::revocation_horizon.count() + 1);
    BOOST_TEST(list.size() == 0u);
}

BOOST_AUTO_TEST_CASE(the_json_form_round_trips_and_bad_bodies_are_refused)
{
    std::vector<revocation> entries{{7, 1000, 1'800'000'000}, {8, auth::all_tokens, 1'800'000'001}};
    auto const text = json::serialize(auth::to_json(entries));
    auto back = auth::revocations_from_json(text);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST_REQUIRE(back->size() == 2u);
    BOOST_TEST((*back)[1].not_before == auth::all_tokens);
    BOOST_TEST((*back)[0].revoked_at == 1'800'000'000);
    for (auto const* bad : {"", "[]", R"({"revocations":{}})",
                            R"({"revocations":[{"user_id":"7"}]})", R"({"revocations":[1]})"})
        BOOST_TEST(!auth::revocations_from_json(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(the_authenticator_refuses_a_revoked_token)
{
    auto keys = auth::generate_ed25519();
    auth::token_signer signer(keys.private_pem);
    auto verifier = std::make_shared<auth::token_verifier>();
    verifier->add_key(keys.public_pem);
    auto list = std::make_shared<auth::revocation_list>();
    auto authenticate = auth::authenticator_for(verifier, list);
    auto const token = signer.sign({.user_id = 7, .username = "ann"});
    auto const who = authenticate(token);
    BOOST_TEST_REQUIRE(who.has_value());
    BOOST_TEST(who->expires_at - who->issued_at == 24 * 3600);
    std::vector<revocation> entries{{7, auth::all_tokens, auth::unix_seconds()}};
    list->merge(entries);
    BOOST_TEST(!authenticate(token).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
