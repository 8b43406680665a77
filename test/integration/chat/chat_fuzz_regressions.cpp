// Behaviour the fuzz target test/fuzz/chat_frames.cpp found wrong, against the real binary (its
// reproducers are in test/fuzz/regressions/chat_frames/).
#include "chat_fixture.hpp"

using namespace chat_test;

namespace {

net::awaitable<bj::object> answer_to(std::uint16_t port, std::string token, std::string frame)
{
    auto c = co_await login(port, token);
    co_await c.send_text(frame);
    auto answer = co_await next_frame(c); // throws when the connection ended instead
    co_return answer;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_fuzz_regressions)

// The error frame quoted the first 64 bytes of an unknown type, cutting a 2-byte character in
// half: the frame was not UTF-8 and a browser failed the connection (1007).
BOOST_AUTO_TEST_CASE(an_unknown_type_is_quoted_without_cutting_a_character)
{
    chat_server srv;
    std::string const type = std::string(63, 'x') + "é";
    auto const frame = json::serialize(bj::object{{"type", type}});
    auto answer = test::run_coro([&] { return answer_to(srv.port(), srv.token(1, "u"), frame); });
    BOOST_TEST(type_of(answer) == "error");
    BOOST_TEST(answer.at("code").as_string() == "bad_request");
    BOOST_TEST(answer.at("message").as_string() == "unknown type '" + std::string(63, 'x') + "'");
}

BOOST_AUTO_TEST_SUITE_END()
