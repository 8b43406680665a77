#include "parley/auth/keys_config.hpp"
#include "unit/store/temp_dir.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>

using namespace parley;

namespace {

config make(std::map<std::string, std::string> vars)
{
    return config(std::move(vars));
}

void write_file(std::filesystem::path const& p, std::string const& text)
{
    std::ofstream(p, std::ios::binary) << text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(auth_keys_config)

BOOST_AUTO_TEST_CASE(development_generates_one_shared_key_pair_in_the_data_dir)
{
    test::temp_dir dir;
    auto cfg = make({{"PARLEY_DATA_DIR", dir.path().string()}});
    auto signer = auth::signer_from_config(cfg);
    auto verifier = auth::verifier_from_config(cfg);
    BOOST_TEST(std::filesystem::exists(dir / "keys/jwt-ed25519.pem"));
    auto token = signer.sign({.user_id = 3, .username = "ann", .is_admin = false});
    auto who = verifier.verify(token);
    BOOST_REQUIRE(who.has_value());
    BOOST_TEST(who->user_id == 3);
    // A second start (another service) reuses the same key.
    auto again = auth::verifier_from_config(cfg);
    BOOST_TEST(again.verify(token).has_value());
}

BOOST_AUTO_TEST_CASE(production_without_keys_is_a_config_error)
{
    test::temp_dir dir;
    auto cfg = make({{"PARLEY_DATA_DIR", dir.path().string()}, {"PARLEY_ENV", "production"}});
    BOOST_CHECK_THROW(auth::signer_from_config(cfg), config_error);
    BOOST_CHECK_THROW(auth::verifier_from_config(cfg), config_error);
    BOOST_TEST(!std::filesystem::exists(dir / "keys"));
}

BOOST_AUTO_TEST_CASE(keys_from_environment_text_and_files)
{
    test::temp_dir dir;
    auto keys = auth::generate_ed25519();
    write_file(dir / "pub.pem", keys.public_pem);
    write_file(dir / "priv.pem", keys.private_pem);
    auto signer = auth::signer_from_config(
        make({{"PARLEY_ENV", "production"},
              {"PARLEY_JWT_PRIVATE_KEY_FILE", (dir / "priv.pem").string()}}));
    BOOST_TEST(signer.kid() == auth::key_id(keys.public_pem));
    auto token = signer.sign({.user_id = 1, .username = "admin", .is_admin = true});

    auto from_file = auth::verifier_from_config(
        make({{"PARLEY_ENV", "production"},
              {"PARLEY_JWT_PUBLIC_KEY_FILE", (dir / "pub.pem").string()}}));
    BOOST_TEST(from_file.verify(token).has_value());

    // Inline PEM with literal "\n" as environment variables often carry it.
    std::string escaped;
    for (char c : keys.public_pem)
        escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    auto from_text = auth::verifier_from_config(
        make({{"PARLEY_ENV", "production"}, {"PARLEY_JWT_PUBLIC_KEY", escaped}}));
    BOOST_TEST(from_text.verify(token).has_value());
    BOOST_TEST(!std::filesystem::exists(dir / "keys"));
}

BOOST_AUTO_TEST_CASE(several_public_keys_for_rotation)
{
    auto old_keys = auth::generate_ed25519();
    auto new_keys = auth::generate_ed25519();
    auto verifier = auth::verifier_from_config(
        make({{"PARLEY_ENV", "production"},
              {"PARLEY_JWT_PUBLIC_KEY", old_keys.public_pem + new_keys.public_pem}}));
    BOOST_TEST(verifier.key_count() == 2u);
    auth::token_signer old_signer(old_keys.private_pem), new_signer(new_keys.private_pem);
    BOOST_TEST(verifier.verify(old_signer.sign({.user_id = 1, .username = "a"})).has_value());
    BOOST_TEST(verifier.verify(new_signer.sign({.user_id = 1, .username = "a"})).has_value());
    auth::token_signer other(auth::generate_ed25519().private_pem);
    BOOST_TEST(!verifier.verify(other.sign({.user_id = 1, .username = "a"})).has_value());
}

BOOST_AUTO_TEST_CASE(private_key_implies_its_public_key_for_the_verifier)
{
    auto keys = auth::generate_ed25519();
    auto cfg = make({{"PARLEY_ENV", "production"}, {"PARLEY_JWT_PRIVATE_KEY", keys.private_pem}});
    auto verifier = auth::verifier_from_config(cfg);
    BOOST_TEST(verifier.verify(auth::signer_from_config(cfg).sign({.user_id = 2, .username = "b"}))
                   .has_value());
}

BOOST_AUTO_TEST_CASE(bad_key_material_is_a_config_error_naming_the_variable)
{
    test::temp_dir dir;
    auto keys = auth::generate_ed25519();
    auto check = [](config const& cfg, bool signer) {
        try {
            if (signer)
                auth::signer_from_config(cfg);
            else
                auth::verifier_from_config(cfg);
            BOOST_ERROR("expected config_error");
        } catch (config_error const& e) {
            BOOST_TEST(std::string(e.what()).find("PARLEY_JWT") != std::string::npos);
        }
    };
    check(make({{"PARLEY_JWT_PUBLIC_KEY", "not a key"}}), false);
    check(make({{"PARLEY_JWT_PRIVATE_KEY", keys.public_pem}}), true); // a public key as private
    check(make({{"PARLEY_JWT_PUBLIC_KEY_FILE", (dir / "missing.pem").string()}}), false);
    check(make({{"PARLEY_JWT_PUBLIC_KEY", keys.public_pem},
                {"PARLEY_JWT_PUBLIC_KEY_FILE", (dir / "x.pem").string()}}),
          false);
    check(make({{"PARLEY_JWT_LIFETIME", "1s"}, {"PARLEY_JWT_PRIVATE_KEY", keys.private_pem}}),
          true);
}

BOOST_AUTO_TEST_CASE(service_token_rules)
{
    BOOST_TEST(auth::service_token_from_config(make({})) == std::string(auth::dev_service_token));
    BOOST_TEST(auth::service_token_from_config(make({{"PARLEY_SERVICE_TOKEN", "abc"}})) == "abc");
    BOOST_CHECK_THROW(auth::service_token_from_config(make({{"PARLEY_ENV", "production"}})),
                      config_error);
    BOOST_CHECK_THROW(auth::service_token_from_config(
                          make({{"PARLEY_ENV", "production"}, {"PARLEY_SERVICE_TOKEN", "short"}})),
                      config_error);
    auto const long_token = std::string(32, 'k');
    BOOST_TEST(auth::service_token_from_config(
                   make({{"PARLEY_ENV", "production"}, {"PARLEY_SERVICE_TOKEN", long_token}})) ==
               long_token);

    BOOST_TEST(auth::service_token_matches("secret-token", "secret-token"));
    BOOST_TEST(!auth::service_token_matches("secret-token", "secret-tokeN"));
    BOOST_TEST(!auth::service_token_matches("secret-token", "secret"));
    BOOST_TEST(!auth::service_token_matches("", ""));
}

BOOST_AUTO_TEST_CASE(authenticator_maps_tokens_to_identities)
{
    auto keys = auth::generate_ed25519();
    auth::token_signer signer(keys.private_pem);
    auto verifier = std::make_shared<auth::token_verifier>();
    verifier->add_key(keys.public_pem);
    auto authenticate = auth::authenticator_for(verifier);
    auto who = authenticate(signer.sign({.user_id = 9, .username = "zed", .is_admin = true}));
    BOOST_REQUIRE(who.has_value());
    BOOST_TEST(who->username == "zed");
    BOOST_TEST(who->is_admin);
    BOOST_TEST(!authenticate("garbage").has_value());
    BOOST_TEST(!authenticate("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
