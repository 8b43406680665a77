// WebSocket conformance of the chat service (the real binary), case group by case group: see
// test/integration/common/ws_conformance.hpp for the cases and docs/conformance.md for the table.
#include "chat_fixture.hpp"
#include "integration/common/ws_conformance.hpp"

using namespace chat_test;
namespace conformance = parley::test::conformance;

namespace {

// One chat process per group, so that a failure in one group cannot leak into the next.
struct direct {
    chat_server srv;
    conformance::endpoint ep{
        .port = srv.port(),
        .token = [this](std::int64_t id) { return srv.token(id, "u" + std::to_string(id)); },
        .headers = {}};
};

} // namespace

BOOST_AUTO_TEST_SUITE(chat_conformance)

BOOST_FIXTURE_TEST_CASE(framing, direct)
{
    conformance::framing(ep);
}
BOOST_FIXTURE_TEST_CASE(pings, direct)
{
    conformance::pings(ep);
}
BOOST_FIXTURE_TEST_CASE(many_pings, direct)
{
    conformance::many_pings(ep);
}
BOOST_FIXTURE_TEST_CASE(reserved_bits, direct)
{
    conformance::reserved_bits(ep);
}
BOOST_FIXTURE_TEST_CASE(opcodes, direct)
{
    conformance::opcodes(ep);
}
BOOST_FIXTURE_TEST_CASE(fragmentation, direct)
{
    conformance::fragmentation(ep);
}
BOOST_FIXTURE_TEST_CASE(utf8, direct)
{
    conformance::utf8(ep);
}
BOOST_FIXTURE_TEST_CASE(close_codes, direct)
{
    conformance::close_codes(ep);
}
BOOST_FIXTURE_TEST_CASE(close_frames, direct)
{
    conformance::close_frames(ep);
}
BOOST_FIXTURE_TEST_CASE(answers_before_a_violation_or_close, direct)
{
    conformance::answers_before_a_violation_or_close(ep);
}
BOOST_FIXTURE_TEST_CASE(limits, direct)
{
    conformance::limits(ep, 64 * 1024);
}
BOOST_FIXTURE_TEST_CASE(masking, direct)
{
    conformance::masking(ep);
}
BOOST_FIXTURE_TEST_CASE(close_handshake, direct)
{
    conformance::close_handshake(ep);
}
BOOST_FIXTURE_TEST_CASE(extensions, direct)
{
    conformance::extensions(ep);
}

BOOST_AUTO_TEST_SUITE_END()
