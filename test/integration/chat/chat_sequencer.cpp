// The room hub's hold-back logic (apps/chat/fanout/sequencer.hpp): the next seq goes out at once
// with the held ones after it, duplicates are dropped, early ones wait in a bounded buffer, and a
// gap the store cannot fill is skipped. Pure logic: no process started.
#include "chat/fanout/sequencer.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using parley::chat_app::sequencer;
using order = sequencer<std::string>;

namespace {

std::vector<std::int64_t> seqs(std::vector<order::entry> const& out)
{
    std::vector<std::int64_t> v;
    for (auto const& e : out)
        v.push_back(e.seq);
    return v;
}

using list = std::vector<std::int64_t>;

} // namespace

BOOST_AUTO_TEST_SUITE(chat_sequencer)

BOOST_AUTO_TEST_CASE(the_next_seq_goes_out_at_once_and_older_ones_are_duplicates)
{
    order o(10);
    std::vector<order::entry> out;
    BOOST_TEST((o.offer(11, "m11", out) == order::outcome::released));
    BOOST_TEST(seqs(out) == list({11}), boost::test_tools::per_element());
    BOOST_TEST(out[0].item == "m11");
    BOOST_TEST(o.last() == 11);
    out.clear();
    BOOST_TEST((o.offer(11, "again", out) == order::outcome::duplicate));
    BOOST_TEST((o.offer(3, "old", out) == order::outcome::duplicate));
    BOOST_TEST(out.empty());
    BOOST_TEST(!o.waiting());
}

BOOST_AUTO_TEST_CASE(early_ones_wait_and_follow_their_predecessor_in_order)
{
    order o(0);
    std::vector<order::entry> out;
    BOOST_TEST((o.offer(3, "m3", out) == order::outcome::held));
    BOOST_TEST((o.offer(2, "m2", out) == order::outcome::held));
    BOOST_TEST((o.offer(3, "m3 again", out) == order::outcome::duplicate));
    BOOST_TEST((o.offer(5, "m5", out) == order::outcome::held));
    BOOST_TEST(out.empty());
    BOOST_TEST(o.waiting());
    BOOST_TEST(o.held() == 3u);
    BOOST_TEST(o.newest_held() == 5);
    BOOST_TEST((o.offer(1, "m1", out) == order::outcome::released));
    BOOST_TEST(seqs(out) == list({1, 2, 3}), boost::test_tools::per_element());
    BOOST_TEST(out[2].item == "m3"); // the first copy
    BOOST_TEST(o.last() == 3);
    BOOST_TEST(o.waiting()); // 4 is missing before 5
    out.clear();
    BOOST_TEST((o.offer(4, "m4", out) == order::outcome::released));
    BOOST_TEST(seqs(out) == list({4, 5}), boost::test_tools::per_element());
    BOOST_TEST(!o.waiting());
    BOOST_TEST(o.newest_held() == 0);
}

BOOST_AUTO_TEST_CASE(the_hold_back_buffer_is_bounded)
{
    order o(0, 2);
    std::vector<order::entry> out;
    BOOST_TEST((o.offer(2, "m2", out) == order::outcome::held));
    BOOST_TEST((o.offer(3, "m3", out) == order::outcome::held));
    BOOST_TEST(o.full());
    BOOST_TEST((o.offer(4, "m4", out) == order::outcome::dropped)); // the store has it
    BOOST_TEST(o.held() == 2u);
    // A store read delivers the range: 1, then the held 2 and 3, then 4 from the read.
    for (std::int64_t s = 1; s <= 4; ++s)
        o.offer(s, "row" + std::to_string(s), out);
    BOOST_TEST(seqs(out) == list({1, 2, 3, 4}), boost::test_tools::per_element());
    BOOST_TEST(out[0].item == "row1");
    BOOST_TEST(out[1].item == "m2");
    BOOST_TEST(out[3].item == "row4");
    BOOST_TEST(!o.waiting());
}

BOOST_AUTO_TEST_CASE(a_gap_the_store_cannot_fill_is_skipped_up_to_the_next_gap)
{
    order o(7);
    std::vector<order::entry> out;
    o.offer(10, "m10", out);
    o.offer(11, "m11", out);
    o.offer(14, "m14", out);
    o.skip_gap(out);
    BOOST_TEST(seqs(out) == list({10, 11}), boost::test_tools::per_element());
    BOOST_TEST(o.last() == 11);
    BOOST_TEST(o.waiting());
    out.clear();
    o.skip_gap(out);
    BOOST_TEST(seqs(out) == list({14}), boost::test_tools::per_element());
    BOOST_TEST(!o.waiting());
    out.clear();
    o.skip_gap(out); // nothing held: nothing to do
    BOOST_TEST(out.empty());
    BOOST_TEST(o.last() == 14);
}

BOOST_AUTO_TEST_SUITE_END()
