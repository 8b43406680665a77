// The RESP2 reader wrapper (hiredis's reader) and the command encoder, without a server.
#include "bus/redis/resp.hpp"

#include <boost/test/unit_test.hpp>
#include <random>

using namespace parley::bus::redis;
using detail::parse;
using kind = reply::kind;

namespace {

bool same(reply const& a, reply const& b)
{
    if (a.type != b.type || a.integer != b.integer || a.text != b.text ||
        a.elements.size() != b.elements.size())
        return false;
    for (std::size_t i = 0; i < a.elements.size(); ++i)
        if (!same(a.elements[i], b.elements[i]))
            return false;
    return true;
}

bool same(std::vector<reply> const& a, std::vector<reply> const& b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i]))
            return false;
    return true;
}

// One of each kind, nested arrays, a pub/sub message, binary bulk data.
std::string const sample = std::string("+OK\r\n-ERR wrong type\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n") +
                           "*-1\r\n*0\r\n$0\r\n\r\n*2\r\n*2\r\n:1\r\n$1\r\na\r\n+x\r\n" +
                           "*3\r\n$7\r\nmessage\r\n$6\r\nroom:7\r\n$4\r\n{\"a\"\r\n" +
                           "$5\r\na\r\nbc\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(redis_resp)

BOOST_AUTO_TEST_CASE(every_reply_type_is_parsed)
{
    auto const r = parse(sample);
    BOOST_TEST(!r.error);
    BOOST_TEST_REQUIRE(r.replies.size() == 11u);
    BOOST_TEST((r.replies[0].type == kind::status && r.replies[0].text == "OK"));
    BOOST_TEST((r.replies[1].is_error() && r.replies[1].text == "ERR wrong type"));
    BOOST_TEST((r.replies[2].type == kind::integer && r.replies[2].integer == -42));
    BOOST_TEST((r.replies[3].type == kind::string && r.replies[3].text == "hello"));
    BOOST_TEST(r.replies[4].is_nil());
    BOOST_TEST(r.replies[5].is_nil()); // null array
    BOOST_TEST((r.replies[6].type == kind::array && r.replies[6].elements.empty()));
    BOOST_TEST((r.replies[7].type == kind::string && r.replies[7].text.empty()));
    auto const& nested = r.replies[8];
    BOOST_TEST_REQUIRE(nested.elements.size() == 2u);
    BOOST_TEST(nested.elements[0].elements.size() == 2u);
    BOOST_TEST(nested.elements[0].elements[1].text == "a");
    BOOST_TEST(nested.elements[1].text == "x");
    BOOST_TEST_REQUIRE(r.replies[9].elements.size() == 3u);
    BOOST_TEST(r.replies[9].elements[2].text == "{\"a\"");
    BOOST_TEST(r.replies[10].text == "a\r\nbc"); // CR LF inside bulk data is data
    BOOST_TEST(r.incomplete_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(byte_at_a_time_gives_the_same_replies)
{
    auto const whole = parse(sample);
    for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
        auto const pieces = parse(sample, chunk);
        BOOST_TEST(!pieces.error);
        BOOST_TEST(same(pieces.replies, whole.replies), "chunk " << chunk);
    }
}

BOOST_AUTO_TEST_CASE(an_unfinished_reply_waits_for_more_bytes)
{
    detail::resp_reader reader(1024);
    reader.feed("*2\r\n$5\r\nhel");
    BOOST_TEST((reader.next() == detail::resp_reader::status::incomplete));
    reader.feed("lo\r\n:");
    BOOST_TEST((reader.next() == detail::resp_reader::status::incomplete));
    reader.feed("7\r\n");
    BOOST_TEST_REQUIRE((reader.next() == detail::resp_reader::status::reply));
    auto const r = detail::to_reply(reader.nodes());
    BOOST_TEST_REQUIRE(r.elements.size() == 2u);
    BOOST_TEST(r.elements[0].text == "hello");
    BOOST_TEST(r.elements[1].integer == 7);
    BOOST_TEST((reader.next() == detail::resp_reader::status::incomplete));
}

BOOST_AUTO_TEST_CASE(a_pubsub_payload_is_built_once_as_a_shared_string)
{
    detail::resp_reader reader(1024, true);
    reader.feed("*3\r\n$7\r\nmessage\r\n$6\r\nroom:1\r\n$5\r\nhello\r\n"
                "*3\r\n$9\r\nsubscribe\r\n$6\r\nroom:1\r\n:1\r\n");
    BOOST_TEST_REQUIRE((reader.next() == detail::resp_reader::status::reply));
    auto nodes = reader.nodes();
    BOOST_TEST_REQUIRE(nodes.size() == 4u);
    BOOST_TEST(nodes[2].text == "room:1");
    BOOST_TEST_REQUIRE(nodes[3].shared != nullptr);
    BOOST_TEST(*nodes[3].shared == "hello");
    BOOST_TEST(nodes[3].shared.use_count() == 1); // ours to hand out
    BOOST_TEST_REQUIRE((reader.next() == detail::resp_reader::status::reply));
    nodes = reader.nodes();
    BOOST_TEST(nodes[1].text == "subscribe");
    BOOST_TEST(nodes[3].shared == nullptr);
    BOOST_TEST(nodes[3].integer == 1);
}

BOOST_AUTO_TEST_CASE(garbage_is_an_error_not_a_crash)
{
    for (std::string bad :
         {"hello\r\n", "$abc\r\n", "*x\r\n", ":12a\r\n", "$-2\r\n", "*-5\r\n", "?\r\n"}) {
        auto const r = parse(bad);
        BOOST_TEST(r.error, bad);
        BOOST_TEST(!r.error_message.empty());
    }
    // Random bytes, and random bytes after a valid prefix: some replies, an error or nothing.
    std::mt19937 rng(12345);
    for (int i = 0; i < 2000; ++i) {
        std::string bytes(rng() % 64, '\0');
        for (auto& c : bytes)
            c = "*$:+-\r\n0123456789abc"[rng() % 20];
        auto const whole = parse(bytes);
        auto const single = parse(bytes, 1);
        BOOST_TEST(same(whole.replies, single.replies));
        BOOST_TEST(whole.error == single.error);
    }
}

BOOST_AUTO_TEST_CASE(nesting_deeper_than_hiredis_allows_is_an_error)
{
    std::string deep;
    for (int i = 0; i < 10; ++i)
        deep += "*1\r\n";
    deep += ":1\r\n";
    BOOST_TEST(parse(deep).error);
}

BOOST_AUTO_TEST_CASE(a_reply_larger_than_the_limit_is_an_error)
{
    // A bulk string announced larger than the limit, arriving slowly.
    auto const big = parse("$100000\r\n" + std::string(5000, 'x'), 0, 4096);
    BOOST_TEST(big.error);
    BOOST_TEST(big.error_message.find("max_reply_bytes") != std::string::npos);
    // An array of many tiny elements, consumed as it goes: bounded by the nodes it builds.
    std::string many = "*100000\r\n";
    for (int i = 0; i < 100000; ++i)
        many += ":1\r\n";
    BOOST_TEST(parse(many, 4096, 64 * 1024).error);
    BOOST_TEST(!parse(many).error);
}

BOOST_AUTO_TEST_CASE(commands_are_encoded_as_arrays_of_bulk_strings)
{
    std::string_view const args[] = {"SET", "k", "", std::string_view("a\r\n\0b", 5)};
    std::string out;
    detail::append_command(out, args);
    BOOST_TEST(out ==
               std::string("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$5\r\na\r\n\0b\r\n", 37));
    BOOST_TEST(detail::encoded_size(args) == out.size());
    std::string long_arg(12345, 'z');
    std::string_view const one[] = {long_arg};
    out.clear();
    detail::append_command(out, one);
    BOOST_TEST(out.starts_with("*1\r\n$12345\r\nzz"));
    BOOST_TEST(detail::encoded_size(one) == out.size());
}

BOOST_AUTO_TEST_CASE(reset_forgets_a_broken_stream)
{
    detail::resp_reader reader(1024);
    reader.feed("!!\r\n");
    BOOST_TEST((reader.next() == detail::resp_reader::status::error));
    BOOST_TEST((reader.next() == detail::resp_reader::status::error)); // stays broken
    reader.reset();
    reader.feed(":5\r\n");
    BOOST_TEST_REQUIRE((reader.next() == detail::resp_reader::status::reply));
    BOOST_TEST(reader.nodes()[0].integer == 5);
}

BOOST_AUTO_TEST_SUITE_END()
