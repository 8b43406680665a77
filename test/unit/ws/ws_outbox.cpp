// The outbound side of a server session as a state machine, without sockets: what each push,
// flush, take and close tells its caller to do.
#include "ws/outbox.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace parley;
using ws::detail::outbox;
using action = outbox::action;

namespace {

ws::frame text(std::string_view s)
{
    return ws::frame::text(s);
}

// The writer of a fresh outbox has started, found nothing, and parked.
void park(outbox& o)
{
    outbox::batch nothing;
    BOOST_REQUIRE(!o.take(nothing));
}

std::string wire_of(outbox::batch const& b)
{
    std::string out(b.partial.wire());
    for (auto const& f : b.control)
        out += f.wire();
    for (auto const& f : b.data)
        out += f.wire();
    out += b.close.wire();
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ws_outbox)

BOOST_AUTO_TEST_CASE(an_idle_session_is_written_directly_by_the_sender)
{
    outbox o({});
    park(o);
    bool listed = false;
    BOOST_TEST((o.push(text("a"), false, listed) == action::write_directly));
    BOOST_TEST(o.direct_batch().size() == 1u);
    // While the direct write is on the socket, others queue behind it; the writer waits too.
    BOOST_TEST((o.push(text("b"), false, listed) == action::none));
    outbox::batch b;
    BOOST_TEST(!o.take(b));
    auto const done = o.direct_done(text("a").size());
    BOOST_TEST(done.frames_sent == 1u);
    BOOST_TEST((done.next == action::wake_writer));
    BOOST_REQUIRE(o.take(b));
    BOOST_TEST(wire_of(b) == std::string(text("b").wire()));
}

BOOST_AUTO_TEST_CASE(a_partly_written_frame_goes_first_and_survives_the_close)
{
    outbox o({});
    park(o);
    bool listed = false;
    BOOST_TEST((o.push(text("hello"), false, listed) == action::write_directly));
    BOOST_TEST((o.push(text("later"), false, listed) == action::none));
    auto const started = o.begin_close(ws::close_code::going_away, "bye");
    BOOST_TEST(started.started);
    BOOST_TEST(started.dropped == 1u);
    auto const done = o.direct_done(3); // the socket took 3 bytes of "hello"
    BOOST_TEST(done.frames_sent == 0u);
    BOOST_TEST((done.next == action::wake_writer));
    outbox::batch b;
    BOOST_REQUIRE(o.take(b));
    auto const hello = text("hello");
    BOOST_TEST(std::string(b.partial.wire()) == std::string(hello.wire().substr(3)));
    BOOST_TEST(b.data.empty());
    BOOST_TEST(static_cast<bool>(b.close));
}

BOOST_AUTO_TEST_CASE(a_busy_writer_gets_the_queue_in_one_batch)
{
    outbox o({});
    bool listed = false;
    for (char c : std::string("abc"))
        BOOST_TEST((o.push(text(std::string(1, c)), false, listed) == action::none));
    BOOST_TEST(o.queued_bytes() == 3 * text("a").size());
    outbox::batch b;
    BOOST_REQUIRE(o.take(b));
    BOOST_TEST(b.data.size() == 3u);
    BOOST_TEST(o.queued_bytes() == 0u);
    b.clear();
    BOOST_TEST(!o.take(b)); // parked now
    BOOST_TEST((o.push(text("d"), false, listed) == action::write_directly));
}

BOOST_AUTO_TEST_CASE(inside_a_flush_scope_frames_wait_for_the_flush)
{
    outbox o({});
    park(o);
    bool listed = false;
    BOOST_TEST((o.push(text("a"), true, listed) == action::none));
    BOOST_TEST(listed);
    listed = false;
    BOOST_TEST((o.push(text("b"), true, listed) == action::none));
    BOOST_TEST(!listed); // listed once per scope
    BOOST_TEST((o.flush() == action::write_directly));
    BOOST_TEST(o.direct_batch().size() == 2u);
    auto const done = o.direct_done(2 * text("a").size());
    BOOST_TEST(done.frames_sent == 2u);
    BOOST_TEST((done.next == action::none));
    BOOST_TEST((o.flush() == action::none));
}

BOOST_AUTO_TEST_CASE(control_frames_wake_the_writer_and_go_before_data)
{
    outbox o({});
    park(o);
    BOOST_TEST((o.push_control(ws::frame::pong("p")) == action::wake_writer));
    bool listed = false;
    BOOST_TEST((o.push(text("a"), false, listed) == action::none));
    outbox::batch b;
    BOOST_REQUIRE(o.take(b));
    BOOST_TEST(wire_of(b) ==
               std::string(ws::frame::pong("p").wire()) + std::string(text("a").wire()));
}

BOOST_AUTO_TEST_CASE(past_a_bound_the_push_overflows)
{
    outbox o({.max_frames = 2, .max_bytes = 1024});
    bool listed = false;
    BOOST_TEST((o.push(text("a"), false, listed) == action::none));
    BOOST_TEST((o.push(text("b"), false, listed) == action::none));
    BOOST_TEST((o.push(text("c"), false, listed) == action::overflow));

    outbox small({.max_frames = 100, .max_bytes = 10});
    BOOST_TEST((small.push(text(std::string(20, 'x')), false, listed) == action::overflow));
}

BOOST_AUTO_TEST_CASE(beyond_the_control_bound_the_oldest_pending_pong_goes_not_the_newest)
{
    outbox o({.max_control_frames = 2});
    park(o);
    BOOST_TEST((o.push_control(ws::frame::pong("1")) == action::wake_writer));
    BOOST_TEST((o.push_control(ws::frame::pong("2")) == action::none));
    BOOST_TEST((o.push_control(ws::frame::pong("3")) == action::none));
    outbox::batch b;
    BOOST_REQUIRE(o.take(b));
    BOOST_TEST(wire_of(b) ==
               std::string(ws::frame::pong("2").wire()) + std::string(ws::frame::pong("3").wire()));
}

BOOST_AUTO_TEST_CASE(the_close_happens_once_and_then_frames_are_dropped)
{
    outbox o({});
    park(o);
    auto const first = o.begin_close(ws::close_code::normal, {});
    BOOST_TEST(first.started);
    BOOST_TEST(first.wake_writer);
    BOOST_TEST((o.state() == outbox::close_state::closing));
    BOOST_TEST((o.code() == ws::close_code::normal));
    BOOST_TEST(!o.begin_close(ws::close_code::going_away, {}).started);
    bool listed = false;
    BOOST_TEST((o.push(text("a"), false, listed) == action::dropped));
    BOOST_TEST((o.push_control(ws::frame::ping()) == action::dropped));
    outbox::batch b;
    BOOST_REQUIRE(o.take(b));
    BOOST_TEST(static_cast<bool>(b.close));
    o.close_written();
    BOOST_TEST((o.state() == outbox::close_state::close_sent));
    o.finish();
    BOOST_TEST((o.state() == outbox::close_state::finished));
}

BOOST_AUTO_TEST_SUITE_END()
