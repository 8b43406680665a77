// Message content and room descriptions refuse control characters (C0 except newline and tab,
// DEL, C1): a clear error frame / 400, and nothing is stored.
#include "chat_fixture.hpp"

using namespace chat_test;

namespace {

constexpr std::int64_t general = 1;

struct text_outcome {
    std::vector<bj::object> answers; // the error (or ack) of each refused message, in order
    bj::object ack;                  // of the multi-line message sent last
};

// The answer to a message: its error frame or its ack.
net::awaitable<bj::object> answer_of(ws::client& c)
{
    for (;;) {
        auto f = co_await next_frame(c);
        if (type_of(f) == "error" || type_of(f) == "ack")
            co_return f;
    }
}

net::awaitable<text_outcome> send_contents(std::uint16_t port, std::string token,
                                           std::vector<std::string> refused, std::string accepted)
{
    auto c = co_await login(port, token);
    co_await join(c, general);
    text_outcome out;
    int n = 0;
    for (auto const& content : refused) {
        auto const client_id = "bad-" + std::to_string(n++);
        co_await send_message(c, general, content, client_id);
        auto answer = co_await answer_of(c);
        out.answers.push_back(std::move(answer));
    }
    std::string const client_id = "good";
    co_await send_message(c, general, accepted, client_id);
    out.ack = co_await next_of(c, "ack");
    co_return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_text_rules)

BOOST_AUTO_TEST_CASE(message_content_with_control_characters_is_refused_and_not_stored)
{
    chat_server srv;
    std::vector<std::string> const refused{
        std::string("nul\0inside", 10),
        std::string("\0", 1),
        "bell\x07",
        "escape \x1b[31mred",
        "carriage\rreturn",
        "form\x0c"
        "feed",
        "delete\x7f",
        "c1 next line \xC2\x85",
        "c1 csi \xC2\x9B"
        "31m",
    };
    std::string const accepted = "two lines\n\tindented, tab and newline kept";
    auto out = test::run_coro(
        [&] { return send_contents(srv.port(), srv.token(1, "u"), refused, accepted); });
    BOOST_TEST_REQUIRE(out.answers.size() == refused.size());
    for (std::size_t i = 0; i < refused.size(); ++i) {
        BOOST_TEST_CONTEXT("refused #" << i << ": " << json::serialize(out.answers[i]))
        {
            auto const& a = out.answers[i];
            BOOST_TEST_REQUIRE(type_of(a) == "error");
            BOOST_TEST(a.at("code").as_string() == "bad_request");
            BOOST_TEST(std::string(a.at("message").as_string()).find("control") !=
                       std::string::npos);
            BOOST_TEST(a.at("client_id").as_string() == "bad-" + std::to_string(i));
        }
    }
    auto const stored = srv.get("/rooms/1/messages?limit=100").json().as_array();
    BOOST_TEST_REQUIRE(stored.size() == 1u); // only the accepted one
    BOOST_TEST(stored[0].at("content").as_string() == accepted);
    BOOST_TEST(out.ack.at("client_id").as_string() == "good");
}

BOOST_AUTO_TEST_CASE(room_descriptions_with_control_characters_get_400)
{
    chat_server srv;
    auto const auth = srv.bearer(1, "u");
    auto const before = srv.get("/rooms").body;
    for (auto const& description :
         {std::string("a\0b", 3), std::string("esc\x1b"), std::string("\xC2\x9B")}) {
        auto body = json::serialize(bj::object{{"name", "r"}, {"description", description}});
        auto r = srv.send("POST", "/rooms", body, auth);
        BOOST_TEST_REQUIRE(r.status == 400u, r.body);
        BOOST_TEST(test::error_of(r).find("control") != std::string::npos, r.body);
    }
    BOOST_TEST(srv.get("/rooms").body == before);
    auto ok =
        srv.send("POST", "/rooms",
                 json::serialize(bj::object{{"name", "r"}, {"description", "line\n\tline"}}), auth);
    BOOST_TEST(ok.status == 201u, ok.body);
}

BOOST_AUTO_TEST_SUITE_END()
