// UTF-8 validation, lengths and the text rules, as every service checks input with them.
#include "parley/text/utf8.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace parley;

BOOST_AUTO_TEST_SUITE(text_utf8)

BOOST_AUTO_TEST_CASE(utf8_validator_accepts_valid_and_rejects_invalid_text)
{
    using text::valid_utf8;
    BOOST_TEST(valid_utf8(""));
    BOOST_TEST(valid_utf8("plain ascii text that is longer than eight bytes"));
    BOOST_TEST(valid_utf8("\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF"));
    BOOST_TEST(valid_utf8("\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF")); // U+10000, U+10FFFF
    BOOST_TEST(!valid_utf8("\xC0\x80"));                         // overlong NUL
    BOOST_TEST(!valid_utf8("\xC1\xBF"));                         // overlong
    BOOST_TEST(!valid_utf8("\xE0\x80\x80"));                     // overlong 3-byte
    BOOST_TEST(!valid_utf8("\xE0\x9F\xBF"));                     // overlong 3-byte
    BOOST_TEST(!valid_utf8("\xF0\x80\x80\x80"));                 // overlong 4-byte
    BOOST_TEST(!valid_utf8("\xF0\x8F\xBF\xBF"));                 // overlong 4-byte
    BOOST_TEST(!valid_utf8("\xED\xA0\x80"));                     // surrogate U+D800
    BOOST_TEST(!valid_utf8("\xED\xBF\xBF"));                     // surrogate U+DFFF
    BOOST_TEST(!valid_utf8("\xF4\x90\x80\x80"));                 // U+110000
    BOOST_TEST(!valid_utf8("\xF5\x80\x80\x80"));
    BOOST_TEST(!valid_utf8("\xFF"));
    BOOST_TEST(!valid_utf8("\x80"));         // stray continuation
    BOOST_TEST(!valid_utf8("ab\xE2\x82"));   // truncated
    BOOST_TEST(!valid_utf8("\xE2\x82x"));    // interrupted
    BOOST_TEST(!valid_utf8("\xF0\x9F\x98")); // truncated 4-byte

    // A code point split across feeds.
    text::utf8_validator v;
    BOOST_TEST(v.feed("\xF0\x9F"));
    BOOST_TEST(!v.complete());
    BOOST_TEST(v.feed("\x98"));
    BOOST_TEST(v.feed("\x80 ok"));
    BOOST_TEST(v.complete());
}

BOOST_AUTO_TEST_CASE(lengths_count_code_points_of_valid_text_only)
{
    BOOST_TEST(text::utf8_length("").value() == 0u);
    BOOST_TEST(text::utf8_length("abc").value() == 3u);
    BOOST_TEST(text::utf8_length("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80").value() == 6u);
    BOOST_TEST(!text::utf8_length("\xC0\x80").has_value());
    BOOST_TEST(!text::utf8_length("ok\xED\xA0\x80").has_value());
    BOOST_TEST(!text::utf8_length("cut \xE2\x82").has_value());
    BOOST_TEST(text::utf8_sequence_length("\xE2\x82\xAC!", 0) == 3u);
    BOOST_TEST(text::utf8_sequence_length("\xE2\x82", 0) == 0u);
    BOOST_TEST(text::truncate_utf8("\xE2\x82\xAC\xE2\x82\xAC", 4) == "\xE2\x82\xAC");
}

BOOST_AUTO_TEST_CASE(blank_and_control_characters)
{
    BOOST_TEST(text::is_blank(""));
    BOOST_TEST(text::is_blank(" \t\r\n"));
    BOOST_TEST(!text::is_blank(" x "));
    BOOST_TEST(text::has_control_characters(std::string("a\0b", 3)));
    BOOST_TEST(text::has_control_characters("a\x7F"));
    BOOST_TEST(text::has_control_characters("tab\t"));
    BOOST_TEST(!text::has_control_characters("caf\xC3\xA9"));
    BOOST_TEST(text::has_control_characters("c1 \xC2\x85")); // U+0085 NEXT LINE
    BOOST_TEST(text::has_control_characters("c1 \xC2\x9B")); // U+009B CSI
    BOOST_TEST(!text::has_control_characters("\xC2\xA0"));   // U+00A0 is printable
}

BOOST_AUTO_TEST_CASE(control_characters_in_text_allow_newline_and_tab_only)
{
    BOOST_TEST(!text::has_control_characters_in_text("two\nlines\tand a tab"));
    for (auto const& bad :
         {std::string("nul\0", 4), std::string("cr\r"), std::string("esc\x1b["),
          std::string("del\x7f"), std::string("\xC2\x80"), std::string("\xC2\x9F")})
        BOOST_TEST(text::has_control_characters_in_text(bad));
    BOOST_TEST(!text::has_control_characters_in_text("\xC2\xA0 \xE2\x80\x94 caf\xC3\xA9"));
}

BOOST_AUTO_TEST_CASE(utf8_lengths)
{
    BOOST_TEST(text::utf8_length("abc").value() == 3u);
    BOOST_TEST(text::utf8_length("\xF0\x9F\x98\x80").value() == 1u); // one emoji
    BOOST_TEST(!text::utf8_length("\xC3").has_value());              // truncated
    BOOST_TEST(!text::utf8_length("\xC0\xAF").has_value());          // overlong '/'
    BOOST_TEST(!text::utf8_length("\xED\xA0\x80").has_value());      // surrogate
    BOOST_TEST(!text::utf8_length("\x80").has_value());              // lone continuation
}

BOOST_AUTO_TEST_SUITE_END()
