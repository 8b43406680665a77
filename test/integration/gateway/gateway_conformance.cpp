// WebSocket conformance through the gateway: the real gateway binary in front of the real chat
// service, the same cases as chat_conformance (test/integration/common/ws_conformance.hpp).
// Only what the client sees is checked (close codes and frames), not how the gateway relays.
#include "integration/chat/chat_fixture.hpp"
#include "integration/common/ws_conformance.hpp"
#include "integration/gateway/fakes.hpp"

using namespace parley::test::gateway;
namespace conformance = parley::test::conformance;

namespace {

struct through_gateway {
    chat_test::chat_server chat;
    fake_service auth{"auth"}, user{"user"};
    gateway_under_test gw{auth.address(), user.address(),
                          "127.0.0.1:" + std::to_string(chat.port())};
    conformance::endpoint ep{
        .port = gw.port(),
        .token = [this](std::int64_t id) { return chat.token(id, "u" + std::to_string(id)); },
        .headers = {}};
};

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_conformance)

BOOST_FIXTURE_TEST_CASE(framing, through_gateway)
{
    conformance::framing(ep);
}
BOOST_FIXTURE_TEST_CASE(pings, through_gateway)
{
    conformance::pings(ep);
}
// Expected to fail until the WebSocket session keeps the newest pongs (lead: server_session.cpp
// queue_control() drops the pong of the newest ping once 4 control frames are pending; RFC 6455
// 5.5.3 allows answering only the most recent ping, not dropping it). See docs/conformance.md.
BOOST_FIXTURE_TEST_CASE(many_pings, through_gateway, *boost::unit_test::expected_failures(1))
{
    conformance::many_pings(ep);
}
BOOST_FIXTURE_TEST_CASE(reserved_bits, through_gateway)
{
    conformance::reserved_bits(ep);
}
BOOST_FIXTURE_TEST_CASE(opcodes, through_gateway)
{
    conformance::opcodes(ep);
}
BOOST_FIXTURE_TEST_CASE(fragmentation, through_gateway)
{
    conformance::fragmentation(ep);
}
BOOST_FIXTURE_TEST_CASE(utf8, through_gateway)
{
    conformance::utf8(ep);
}
BOOST_FIXTURE_TEST_CASE(close_codes, through_gateway)
{
    conformance::close_codes(ep);
}
BOOST_FIXTURE_TEST_CASE(close_frames, through_gateway)
{
    conformance::close_frames(ep);
}
// Expected to fail (4 cases: 3.2, 4.1.3, 5.15, 7.1.1) while the gateway terminates the browser's
// WebSocket itself: it fails or closes the browser's side as soon as it reads the violation or
// the close, before the chat service's answer to the earlier message has come back. The byte
// relay replacing apps/gateway/ws_proxy.cpp lets the chat service see the frames in order, as
// when connected directly. See docs/conformance.md.
BOOST_FIXTURE_TEST_CASE(answers_before_a_violation_or_close, through_gateway,
                        *boost::unit_test::expected_failures(4))
{
    conformance::answers_before_a_violation_or_close(ep);
}
BOOST_FIXTURE_TEST_CASE(limits, through_gateway)
{
    conformance::limits(ep, 64 * 1024);
}
BOOST_FIXTURE_TEST_CASE(masking, through_gateway)
{
    conformance::masking(ep);
}
BOOST_FIXTURE_TEST_CASE(close_handshake, through_gateway)
{
    conformance::close_handshake(ep);
}
BOOST_FIXTURE_TEST_CASE(extensions, through_gateway)
{
    conformance::extensions(ep);
}

BOOST_AUTO_TEST_SUITE_END()
