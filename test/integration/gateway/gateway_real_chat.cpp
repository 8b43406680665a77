// The real parley-chat binary behind the real gateway: the chat protocol through the relay
// (auth, join, message, ack, delivery to a second client, order under a quick series).
#include "integration/chat/chat_fixture.hpp"
#include "integration/gateway/fakes.hpp"

#include <boost/test/unit_test.hpp>

namespace {

using namespace chat_test;
namespace gw = parley::test::gateway;

struct conversation {
    bj::object ack;
    bj::object delivered;
    std::vector<std::string> series; // contents the second client received, in order
    std::vector<std::int64_t> seqs;
};

net::awaitable<conversation> talk(std::uint16_t port, std::string ann, std::string bob,
                                  std::int64_t room, int n)
{
    conversation out;
    auto a = co_await login(port, ann);
    auto b = co_await login(port, bob);
    co_await join(a, room);
    co_await join(b, room);
    co_await send_message(a, room, "hello through the gateway", "relay-1");
    out.ack = co_await next_of(a, "ack");
    out.delivered = co_await next_of(b, "new_message");
    for (int i = 0; i < n; ++i) {
        auto const content = "series " + std::to_string(i);
        auto const client_id = "series-" + std::to_string(i);
        co_await send_message(a, room, content, client_id);
    }
    while (out.series.size() < static_cast<std::size_t>(n)) {
        auto m = co_await next_of(b, "new_message");
        out.series.emplace_back(m.at("content").as_string());
        out.seqs.push_back(m.at("seq").as_int64());
    }
    co_await a.close();
    co_await b.close();
    co_return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_real_chat)

BOOST_AUTO_TEST_CASE(the_chat_protocol_works_through_the_gateway)
{
    chat_server chat(
        {{"PARLEY_CHAT_MESSAGES_PER_SECOND", "1000"}, {"PARLEY_CHAT_MESSAGE_BURST", "1000"}});
    auto const nowhere = "127.0.0.1:" + std::to_string(gw::closed_port());
    gw::gateway_under_test gateway{nowhere, nowhere, "127.0.0.1:" + std::to_string(chat.port())};
    auto const room = chat.create_room("relay", false, chat.bearer(1, "admin", true));
    int const n = 300;
    auto out = test::run_coro(
        [&]() -> net::awaitable<conversation> {
            return talk(gateway.port(), chat.token(10, "ann"), chat.token(11, "bob"), room, n);
        },
        60s);
    BOOST_TEST(out.ack.at("client_id").as_string() == "relay-1");
    BOOST_TEST(out.delivered.at("content").as_string() == "hello through the gateway");
    BOOST_TEST(out.delivered.at("seq").as_int64() == out.ack.at("seq").as_int64());
    BOOST_TEST_REQUIRE(out.series.size() == static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        BOOST_TEST(out.series[i] == "series " + std::to_string(i));
        BOOST_TEST(out.seqs[i] == out.ack.at("seq").as_int64() + 1 + i);
    }
}

BOOST_AUTO_TEST_SUITE_END()
