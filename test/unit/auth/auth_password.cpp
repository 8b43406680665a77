#include "parley/auth/password.hpp"

#include <argon2.h>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

using namespace parley;

namespace {

// A hash made with libargon2 directly, with the given (weaker) parameters.
std::string argon2id_with(std::string const& pw, std::uint32_t m, std::uint32_t t, std::uint32_t p)
{
    std::string salt = "0123456789abcdef";
    std::string encoded(argon2_encodedlen(t, m, p, salt.size(), 32, Argon2_id), '\0');
    BOOST_REQUIRE(argon2id_hash_encoded(t, m, p, pw.data(), pw.size(), salt.data(), salt.size(), 32,
                                        encoded.data(), encoded.size()) == ARGON2_OK);
    encoded.resize(encoded.find('\0'));
    return encoded;
}

} // namespace

BOOST_AUTO_TEST_SUITE(auth_password)

BOOST_AUTO_TEST_CASE(hash_then_verify_round_trips_and_wrong_passwords_fail)
{
    auto h = auth::hash_password("correct horse");
    BOOST_TEST(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    BOOST_TEST(auth::verify_password("correct horse", h));
    BOOST_TEST(!auth::verify_password("correct horsf", h));
    BOOST_TEST(!auth::verify_password("", h));
    BOOST_TEST(!auth::verify_password("correct horse ", h));
    BOOST_TEST(!auth::needs_rehash(h));

    // Empty and binary passwords are just bytes.
    std::string binary("\0\xff\x01pw", 5);
    auto hb = auth::hash_password(binary);
    BOOST_TEST(auth::verify_password(binary, hb));
    BOOST_TEST(!auth::verify_password(std::string("\0\xff\x01pX", 5), hb));
    auto he = auth::hash_password("");
    BOOST_TEST(auth::verify_password("", he));
}

BOOST_AUTO_TEST_CASE(each_hash_has_its_own_salt)
{
    auto a = auth::hash_password("same");
    auto b = auth::hash_password("same");
    BOOST_TEST(a != b);
    auto salt_of = [](std::string const& h) { return h.substr(0, h.rfind('$')); };
    BOOST_TEST(salt_of(a) != salt_of(b));
    BOOST_TEST(auth::verify_password("same", a));
    BOOST_TEST(auth::verify_password("same", b));
}

BOOST_AUTO_TEST_CASE(weaker_hashes_verify_but_need_a_rehash)
{
    auto weak = argon2id_with("pw", 4096, 1, 1);
    BOOST_TEST(auth::verify_password("pw", weak));
    BOOST_TEST(!auth::verify_password("px", weak));
    BOOST_TEST(auth::needs_rehash(weak));
    BOOST_TEST(auth::needs_rehash(argon2id_with("pw", 19456, 1, 1)));
    BOOST_TEST(!auth::needs_rehash(argon2id_with("pw", 19456, 2, 1)));
    BOOST_TEST(!auth::needs_rehash(argon2id_with("pw", 32768, 3, 1))); // stronger is fine
    BOOST_TEST(auth::needs_rehash("garbage"));
}

BOOST_AUTO_TEST_CASE(malformed_encodings_are_false_never_a_crash)
{
    auto good = argon2id_with("pw", 4096, 1, 1);
    BOOST_REQUIRE(auth::verify_password("pw", good));
    auto const tail = good.substr(good.find("$", 20)); // "$<salt>$<hash>" after the params
    std::vector<std::string> bad = {
        "",
        "$",
        "$$$$$",
        "plaintext",
        "pw",
        "$argon2i$v=19$m=4096,t=1,p=1" + tail,
        "$argon2d$v=19$m=4096,t=1,p=1" + tail,
        "$argon2id$v=16$m=4096,t=1,p=1" + tail,
        "$argon2id$m=4096,t=1,p=1" + tail,
        "$argon2id$v=19$m=4096,t=1" + tail,
        "$argon2id$v=19$t=1,m=4096,p=1" + tail,
        "$argon2id$v=19$m=-4096,t=1,p=1" + tail,
        "$argon2id$v=19$m=04096,t=1,p=1" + tail,
        "$argon2id$v=19$m=4096,t=0,p=1" + tail,
        "$argon2id$v=19$m=4096,t=1,p=0" + tail,
        "$argon2id$v=19$m=4294967295,t=1,p=1" + tail, // 4 TiB: refused, not attempted
        "$argon2id$v=19$m=99999999999,t=1,p=1" + tail,
        "$argon2id$v=19$m=4096,t=4294967295,p=1" + tail, // would spin for ages
        "$argon2id$v=19$m=4096,t=1,p=255" + tail,
        "$argon2id$v=19$m=1,t=1,p=1" + tail,
        "$argon2id$v=19$m=4096,t=1,p=1$",
        "$argon2id$v=19$m=4096,t=1,p=1$$",
        "$argon2id$v=19$m=4096,t=1,p=1$c2FsdA$",                   // salt too short, no hash
        "$argon2id$v=19$m=4096,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$QQ", // hash too short
        good + "$",
        good + "=",
        good.substr(0, good.size() - 1),
        good.substr(0, good.size() - 2),
        "$argon2id$v=19$m=4096,t=1,p=1$!!!!$" + std::string(43, 'A'),
        std::string(100000, '$'),
        std::string("$argon2id$v=19$m=4096,t=1,p=1\0", 31) + tail,
    };
    for (auto const& b : bad) {
        BOOST_TEST(!auth::verify_password("pw", b), b.substr(0, 80));
        BOOST_TEST(auth::needs_rehash(b), b.substr(0, 80));
    }
    // Any one changed character of a good hash fails.
    for (std::size_t i = 0; i < good.size(); ++i) {
        auto changed = good;
        changed[i] = changed[i] == 'A' ? 'B' : 'A';
        BOOST_TEST(!auth::verify_password("pw", changed), changed);
    }
}

BOOST_AUTO_TEST_CASE(dummy_verify_runs_and_hashing_is_thread_safe)
{
    auth::dummy_verify("anything"); // must simply not throw or crash
    std::atomic<int> ok{0};
    auto work = [&ok](int i) {
        auto pw = "pw" + std::to_string(i);
        auto h = auth::hash_password(pw);
        if (auth::verify_password(pw, h) && !auth::verify_password(pw + "x", h))
            ++ok;
        auth::dummy_verify(pw);
    };
    std::thread a(work, 1), b(work, 2);
    work(3);
    a.join();
    b.join();
    BOOST_TEST(ok.load() == 3);
}

BOOST_AUTO_TEST_SUITE_END()
