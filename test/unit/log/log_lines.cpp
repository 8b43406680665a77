#include "../../../lib/src/log/sink.hpp"
#include "parley/log/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <regex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace bj = boost::json;
namespace plog = parley::log;

namespace {

// Captures every line written while it lives; restores stderr and default settings after.
struct captured_lines {
    std::vector<std::string> lines;

    captured_lines()
    {
        plog::init("test-service", plog::level::debug);
        plog::detail::set_sink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~captured_lines()
    {
        plog::detail::set_sink({});
        plog::init("parley", plog::level::info);
    }

    bj::object parsed(std::size_t i) const { return bj::parse(lines.at(i)).as_object(); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(log_lines, captured_lines)

BOOST_AUTO_TEST_CASE(line_has_core_keys_first_then_fields)
{
    plog::info("listening", {{"port", 5003}, {"request_id", "abc"}});
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0].find('\n') == std::string::npos);
    auto const o = parsed(0);

    std::vector<std::string> keys;
    for (auto const& kv : o)
        keys.emplace_back(kv.key());
    BOOST_TEST(keys == (std::vector<std::string>{"time", "level", "service", "message", "port",
                                                 "request_id"}),
               boost::test_tools::per_element());
    BOOST_TEST(o.at("level").as_string() == "info");
    BOOST_TEST(o.at("service").as_string() == "test-service");
    BOOST_TEST(o.at("message").as_string() == "listening");
    BOOST_TEST(o.at("port").as_int64() == 5003);
    BOOST_TEST(o.at("request_id").as_string() == "abc");
}

BOOST_AUTO_TEST_CASE(time_is_utc_rfc3339_with_milliseconds)
{
    plog::warn("x");
    std::string const time(parsed(0).at("time").as_string());
    static std::regex const rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
    BOOST_TEST(std::regex_match(time, rfc3339), time);
}

BOOST_AUTO_TEST_CASE(each_level_is_named)
{
    plog::debug("d");
    plog::info("i");
    plog::warn("w");
    plog::error("e");
    BOOST_TEST_REQUIRE(lines.size() == 4u);
    BOOST_TEST(parsed(0).at("level").as_string() == "debug");
    BOOST_TEST(parsed(1).at("level").as_string() == "info");
    BOOST_TEST(parsed(2).at("level").as_string() == "warn");
    BOOST_TEST(parsed(3).at("level").as_string() == "error");
}

BOOST_AUTO_TEST_CASE(below_minimum_level_is_skipped)
{
    plog::init("test-service", plog::level::warn);
    BOOST_TEST(!plog::enabled(plog::level::debug));
    BOOST_TEST(!plog::enabled(plog::level::info));
    BOOST_TEST(plog::enabled(plog::level::warn));
    BOOST_TEST(plog::enabled(plog::level::error));
    plog::debug("no");
    plog::info("no");
    plog::warn("yes");
    plog::error("yes");
    BOOST_TEST_REQUIRE(lines.size() == 2u);
    BOOST_TEST(parsed(0).at("level").as_string() == "warn");
    BOOST_TEST(parsed(1).at("level").as_string() == "error");
}

BOOST_AUTO_TEST_CASE(newlines_and_control_characters_stay_on_one_line)
{
    std::string const nasty = std::string("a\nb\r\"c\"\\\t\x01") + '\0' + "end";
    plog::error(nasty, {{"detail", "line1\nline2"}});
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0].find('\n') == std::string::npos);
    BOOST_TEST(lines[0].find('\r') == std::string::npos);
    auto const o = parsed(0);
    BOOST_TEST(std::string(o.at("message").as_string()) == nasty);
    BOOST_TEST(o.at("detail").as_string() == "line1\nline2");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced_so_the_line_still_parses)
{
    plog::info("path /\xff\xfe/x \xC3\xA9 \xE2\x82", {{"raw", "\xC0\x80"}});
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    boost::system::error_code ec;
    auto const v = bj::parse(lines[0], ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(v.at("message").as_string() ==
               "path /\xEF\xBF\xBD\xEF\xBF\xBD/x \xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD");
    BOOST_TEST(v.at("raw").as_string() == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_CASE(fields_never_overwrite_core_keys)
{
    plog::info("real message", {{"message", "fake"},
                                {"level", "fake"},
                                {"time", 1},
                                {"service", "fake"},
                                {"field_time", 2},
                                {"user", "bob"}});
    auto const o = parsed(0);
    BOOST_TEST(o.at("message").as_string() == "real message");
    BOOST_TEST(o.at("level").as_string() == "info");
    BOOST_TEST(o.at("service").as_string() == "test-service");
    BOOST_TEST(o.at("time").is_string());
    BOOST_TEST(o.at("field_message").as_string() == "fake");
    BOOST_TEST(o.at("field_level").as_string() == "fake");
    BOOST_TEST(o.at("field_service").as_string() == "fake");
    BOOST_TEST(o.at("field_time").as_int64() == 1);
    // The caller's own "field_time" is kept too, not lost to the renamed "time".
    BOOST_TEST(o.at("field_field_time").as_int64() == 2);
    BOOST_TEST(o.at("user").as_string() == "bob");
    BOOST_TEST(o.size() == 10u);
}

BOOST_AUTO_TEST_CASE(nested_field_values_are_kept)
{
    plog::info("m", {{"peer", {{"ip", "127.0.0.1"}, {"port", 1}}}, {"tags", bj::array{"a", "b"}}});
    auto const o = parsed(0);
    BOOST_TEST(o.at("peer").at("ip").as_string() == "127.0.0.1");
    BOOST_TEST(o.at("tags").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(lines_from_many_threads_never_interleave)
{
    constexpr int threads = 8;
    constexpr int per_thread = 500;
    // Long messages make a torn or interleaved line show up as a parse failure.
    std::string const padding(300, 'x');
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([t, &padding] {
            for (int i = 0; i < per_thread; ++i)
                plog::info(padding, {{"thread", t}, {"i", i}});
        });
    for (auto& th : pool)
        th.join();

    BOOST_TEST_REQUIRE(lines.size() == std::size_t{threads * per_thread});
    std::vector<int> next(threads, 0);
    for (auto const& line : lines) {
        boost::system::error_code ec;
        auto const v = bj::parse(line, ec);
        BOOST_TEST_REQUIRE(!ec, line);
        auto const t = v.at("thread").as_int64();
        // Each thread's lines arrive in its own order.
        BOOST_TEST_REQUIRE(v.at("i").as_int64() == next[t]);
        ++next[t];
    }
}

BOOST_AUTO_TEST_CASE(without_a_sink_lines_go_to_stderr_with_a_newline)
{
    plog::detail::set_sink({});
    int pipe_fds[2];
    BOOST_TEST_REQUIRE(::pipe(pipe_fds) == 0);
    int const saved = ::dup(STDERR_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    plog::info("to stderr", {{"k", "v"}});
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(pipe_fds[1]);
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);

    BOOST_TEST_REQUIRE(!out.empty());
    BOOST_TEST(out.back() == '\n');
    BOOST_TEST(out.find('\n') == out.size() - 1);
    auto const v = bj::parse(out);
    BOOST_TEST(v.at("message").as_string() == "to stderr");
    BOOST_TEST(v.at("k").as_string() == "v");
}

BOOST_AUTO_TEST_CASE(parse_level_accepts_known_names_in_any_case)
{
    using plog::level;
    BOOST_TEST((plog::parse_level("debug", level::error) == level::debug));
    BOOST_TEST((plog::parse_level("INFO", level::error) == level::info));
    BOOST_TEST((plog::parse_level("warn", level::error) == level::warn));
    BOOST_TEST((plog::parse_level("Warning", level::error) == level::warn));
    BOOST_TEST((plog::parse_level("error", level::info) == level::error));
    BOOST_TEST((plog::parse_level("", level::warn) == level::warn));
    BOOST_TEST((plog::parse_level("verbose", level::info) == level::info));
}

BOOST_AUTO_TEST_SUITE_END()
