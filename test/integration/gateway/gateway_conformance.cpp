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
BOOST_FIXTURE_TEST_CASE(many_pings, through_gateway)
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
BOOST_FIXTURE_TEST_CASE(answers_before_a_violation_or_close, through_gateway)
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
