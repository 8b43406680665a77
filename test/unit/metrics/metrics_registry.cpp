#include "parley/metrics/metrics.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace metrics = parley::metrics;

namespace {

// One sample line of the text format, parsed back: name, labels (unescaped), value text.
struct sample {
    std::string name;
    std::map<std::string, std::string> labels;
    std::string value;
};

// A strict reader of what render() produces: every line must be a HELP, a TYPE or a sample of
// the family most recently announced, and each family is announced exactly once.
struct exposition {
    std::map<std::string, std::string> help;
    std::map<std::string, std::string> type;
    std::vector<sample> samples;

    explicit exposition(std::string const& text)
    {
        BOOST_TEST_REQUIRE(!text.empty());
        BOOST_TEST_REQUIRE(text.back() == '\n');
        std::istringstream in(text);
        std::string line;
        std::string family;
        while (std::getline(in, line)) {
            BOOST_TEST_REQUIRE(!line.empty());
            if (line.starts_with("# HELP ")) {
                auto const rest = line.substr(7);
                auto const space = rest.find(' ');
                family = rest.substr(0, space);
                BOOST_TEST_REQUIRE(!help.contains(family), "second HELP for " << family);
                help[family] = space == std::string::npos ? "" : rest.substr(space + 1);
            } else if (line.starts_with("# TYPE ")) {
                auto const rest = line.substr(7);
                auto const space = rest.find(' ');
                BOOST_TEST_REQUIRE(rest.substr(0, space) == family, "TYPE must follow HELP");
                BOOST_TEST_REQUIRE(!type.contains(family));
                type[family] = rest.substr(space + 1);
            } else {
                BOOST_TEST_REQUIRE(line[0] != '#', line);
                auto s = parse_sample(line);
                auto const& t = type.at(family);
                if (t == "histogram")
                    BOOST_TEST_REQUIRE((s.name == family + "_bucket" || s.name == family + "_sum" ||
                                        s.name == family + "_count"),
                                       line);
                else
                    BOOST_TEST_REQUIRE(s.name == family, line);
                samples.push_back(std::move(s));
            }
        }
    }

    static sample parse_sample(std::string const& line)
    {
        sample s;
        std::size_t i = line.find_first_of("{ ");
        BOOST_TEST_REQUIRE(i != std::string::npos, line);
        s.name = line.substr(0, i);
        if (line[i] == '{') {
            ++i;
            while (line.at(i) != '}') {
                auto const eq = line.find('=', i);
                auto const name = line.substr(i, eq - i);
                BOOST_TEST_REQUIRE(line.at(eq + 1) == '"', line);
                std::string value;
                for (i = eq + 2; line.at(i) != '"'; ++i) {
                    if (line[i] == '\\') {
                        char const e = line.at(++i);
                        BOOST_TEST_REQUIRE((e == '\\' || e == '"' || e == 'n'), line);
                        value += e == 'n' ? '\n' : e;
                    } else {
                        value += line[i];
                    }
                }
                ++i; // closing quote
                if (line.at(i) == ',')
                    ++i;
                BOOST_TEST_REQUIRE(!s.labels.contains(name), line);
                s.labels[name] = value;
            }
            ++i; // closing brace
        }
        BOOST_TEST_REQUIRE(line.at(i) == ' ', line);
        s.value = line.substr(i + 1);
        BOOST_TEST_REQUIRE(s.value.find(' ') == std::string::npos, line);
        return s;
    }

    std::vector<sample> of(std::string const& name) const
    {
        std::vector<sample> out;
        for (auto const& s : samples)
            if (s.name == name)
                out.push_back(s);
        return out;
    }

    std::string value(std::string const& name, std::map<std::string, std::string> const& l) const
    {
        for (auto const& s : samples)
            if (s.name == name && s.labels == l)
                return s.value;
        BOOST_FAIL("no sample " + name);
        return {};
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(metrics_registry)

BOOST_AUTO_TEST_CASE(counter_increments_from_many_threads_are_all_counted)
{
    constexpr int threads = 8;
    constexpr int increments = 100'000;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([] {
            // Each thread looks the series up itself: lookups race with each other too.
            auto& c = metrics::counter("test_mr_threaded_total", "Threaded", {{"k", "v"}});
            for (int i = 0; i < increments; ++i)
                c.inc();
        });
    for (auto& th : pool)
        th.join();
    auto const& c = metrics::counter("test_mr_threaded_total", "Threaded", {{"k", "v"}});
    BOOST_TEST(c.value() == std::uint64_t{threads} * increments);
    exposition const e(metrics::render());
    BOOST_TEST(e.value("test_mr_threaded_total", {{"k", "v"}}) == "800000");
}

BOOST_AUTO_TEST_CASE(same_name_and_labels_return_the_same_series)
{
    auto& a = metrics::counter("test_mr_same_total", "Same", {{"x", "1"}, {"y", "2"}});
    auto& b = metrics::counter("test_mr_same_total", "Same", {{"y", "2"}, {"x", "1"}});
    auto& other = metrics::counter("test_mr_same_total", "Same", {{"x", "1"}, {"y", "3"}});
    BOOST_TEST(&a == &b);
    BOOST_TEST(&a != &other);
    // Many later registrations must not move the series already handed out.
    for (int i = 0; i < 1000; ++i)
        metrics::counter("test_mr_same_total", "Same", {{"x", std::to_string(i)}});
    a.inc(5);
    BOOST_TEST(&metrics::counter("test_mr_same_total", "Same", {{"x", "1"}, {"y", "2"}}) == &a);
    BOOST_TEST(b.value() == 5u);

    auto& g = metrics::gauge("test_mr_same_gauge", "G");
    BOOST_TEST(&g == &metrics::gauge("test_mr_same_gauge", "G"));
    auto& h = metrics::histogram("test_mr_same_seconds", "H");
    BOOST_TEST(&h == &metrics::histogram("test_mr_same_seconds", "H"));
}

BOOST_AUTO_TEST_CASE(registering_a_name_as_another_type_throws_logic_error)
{
    metrics::counter("test_mr_clash", "C");
    BOOST_CHECK_THROW(metrics::gauge("test_mr_clash", "G"), std::logic_error);
    BOOST_CHECK_THROW(metrics::histogram("test_mr_clash", "H"), std::logic_error);
    metrics::gauge("test_mr_clash_g", "G");
    BOOST_CHECK_THROW(metrics::counter("test_mr_clash_g", "C"), std::logic_error);

    // A histogram's derived series names are taken as well.
    metrics::histogram("test_mr_clash_h", "H");
    BOOST_CHECK_THROW(metrics::counter("test_mr_clash_h_count", "C"), std::logic_error);
    BOOST_CHECK_THROW(metrics::gauge("test_mr_clash_h_sum", "C"), std::logic_error);
    metrics::counter("test_mr_clash_i_bucket", "C");
    BOOST_CHECK_THROW(metrics::histogram("test_mr_clash_i", "H"), std::logic_error);

    // Same histogram, different buckets.
    metrics::histogram("test_mr_clash_b", "H", {}, {1, 2});
    BOOST_CHECK_THROW(metrics::histogram("test_mr_clash_b", "H", {{"a", "b"}}, {1, 3}),
                      std::logic_error);
}

BOOST_AUTO_TEST_CASE(invalid_names_are_rejected_at_registration)
{
    for (auto bad : {"", "1abc", "a-b", "a b", "a.b", "é"})
        BOOST_CHECK_THROW(metrics::counter(bad, "x"), std::invalid_argument);
    BOOST_CHECK_NO_THROW(metrics::counter("test_mr_ok:sub_total", "x"));
    BOOST_CHECK_NO_THROW(metrics::counter(":test_mr_colon", "x"));

    for (auto bad : {"", "1a", "a-b", "a:b", "__reserved"})
        BOOST_CHECK_THROW(metrics::counter("test_mr_label_total", "x", {{bad, "v"}}),
                          std::invalid_argument);
    BOOST_CHECK_THROW(metrics::counter("test_mr_label_total", "x", {{"a", "1"}, {"a", "2"}}),
                      std::invalid_argument);
    BOOST_CHECK_THROW(metrics::histogram("test_mr_label_seconds", "x", {{"le", "1"}}),
                      std::invalid_argument);
    BOOST_CHECK_NO_THROW(metrics::counter("test_mr_label_total", "x", {{"_ok9", "any \"value\""}}));

    BOOST_CHECK_THROW(metrics::histogram("test_mr_bounds_seconds", "x", {}, {2, 1}),
                      std::invalid_argument);
    BOOST_CHECK_THROW(metrics::histogram("test_mr_bounds_seconds", "x", {}, {1, 1}),
                      std::invalid_argument);
    BOOST_CHECK_THROW(metrics::histogram("test_mr_bounds_seconds", "x", {}, {0, NAN}),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(label_values_and_help_are_escaped)
{
    metrics::counter("test_mr_escape_total", "Help with \\ and\nnewline", {{"path", "a\\b\"c\nd"}})
        .inc(3);
    auto const text = metrics::render();
    BOOST_TEST(text.find(R"(test_mr_escape_total{path="a\\b\"c\nd"} 3)"
                         "\n") != std::string::npos);
    BOOST_TEST(text.find(R"(# HELP test_mr_escape_total Help with \\ and\nnewline)"
                         "\n") != std::string::npos);

    exposition const e(text);
    BOOST_TEST(e.value("test_mr_escape_total", {{"path", "a\\b\"c\nd"}}) == "3");
}

BOOST_AUTO_TEST_CASE(histogram_value_on_a_bound_goes_into_that_bucket)
{
    metrics::histogram_series h({1, 2, 5});
    h.observe(0);    // le=1
    h.observe(1);    // le=1 (equal to the bound)
    h.observe(1.5);  // le=2
    h.observe(2);    // le=2
    h.observe(5);    // le=5
    h.observe(5.01); // +Inf
    h.observe(1e9);  // +Inf
    BOOST_TEST(h.cumulative_counts() == (std::vector<std::uint64_t>{2, 4, 5, 7}),
               boost::test_tools::per_element());
    BOOST_TEST(h.count() == 7u);
    BOOST_TEST(h.sum() == 1000000014.51, boost::test_tools::tolerance(1e-9));

    metrics::histogram_series micro({0.0005, 0.001});
    micro.observe(0.0005);
    micro.observe(0.000501);
    micro.observe(0.001);
    BOOST_TEST(micro.cumulative_counts() == (std::vector<std::uint64_t>{1, 3, 3}),
               boost::test_tools::per_element());
    BOOST_TEST(micro.sum() == 0.002001, boost::test_tools::tolerance(1e-9));

    metrics::histogram_series odd({1});
    odd.observe(NAN); // ignored rather than poisoning the sum
    odd.observe(INFINITY);
    odd.observe(-0.25);
    BOOST_TEST(odd.count() == 2u);
    BOOST_TEST(odd.cumulative_counts() == (std::vector<std::uint64_t>{1, 2}),
               boost::test_tools::per_element());
    BOOST_TEST(std::isfinite(odd.sum()));
}

BOOST_AUTO_TEST_CASE(default_latency_buckets_are_half_a_millisecond_to_ten_seconds)
{
    BOOST_TEST(metrics::default_latency_buckets() ==
                   (std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5, 1, 2.5, 5, 10}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(render_output_parses_back_line_by_line)
{
    metrics::counter("test_mr_render_total", "Requests", {{"route", "/b"}}).inc(2);
    metrics::counter("test_mr_render_total", "Requests", {{"route", "/a"}}).inc(1);
    metrics::counter("test_mr_render_plain_total", "No labels").inc(7);
    auto& g = metrics::gauge("test_mr_render_gauge", "Connections");
    g.set(10);
    g.dec();
    g.add(-20);
    auto& h = metrics::histogram("test_mr_render_seconds", "Latency", {{"route", "/x"}});
    h.observe(0.003);
    h.observe(0.0005);
    h.observe(20);

    auto const text = metrics::render();
    exposition const e(text);

    BOOST_TEST(e.type.at("test_mr_render_total") == "counter");
    BOOST_TEST(e.help.at("test_mr_render_total") == "Requests");
    BOOST_TEST(e.type.at("test_mr_render_gauge") == "gauge");
    BOOST_TEST(e.type.at("test_mr_render_seconds") == "histogram");
    BOOST_TEST(e.help.at("test_mr_render_seconds") == "Latency");

    BOOST_TEST(e.value("test_mr_render_total", {{"route", "/a"}}) == "1");
    BOOST_TEST(e.value("test_mr_render_total", {{"route", "/b"}}) == "2");
    BOOST_TEST(e.value("test_mr_render_plain_total", {}) == "7");
    BOOST_TEST(text.find("\ntest_mr_render_plain_total 7\n") != std::string::npos);
    BOOST_TEST(e.value("test_mr_render_gauge", {}) == "-11");

    // Series in a family come out sorted by label values: /a before /b.
    auto const series = e.of("test_mr_render_total");
    BOOST_TEST_REQUIRE(series.size() == 2u);
    BOOST_TEST(series[0].labels.at("route") == "/a");

    // Buckets: one line per bound in order, cumulative, ending with +Inf, then _sum and _count.
    auto const buckets = e.of("test_mr_render_seconds_bucket");
    auto const& bounds = metrics::default_latency_buckets();
    BOOST_TEST_REQUIRE(buckets.size() == bounds.size() + 1);
    std::vector<std::string> les;
    std::vector<std::string> counts;
    for (auto const& b : buckets) {
        BOOST_TEST(b.labels.at("route") == "/x");
        les.push_back(b.labels.at("le"));
        counts.push_back(b.value);
    }
    BOOST_TEST(les == (std::vector<std::string>{"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                                "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
                                                "5", "10", "+Inf"}),
               boost::test_tools::per_element());
    BOOST_TEST(counts == (std::vector<std::string>{"1", "1", "1", "2", "2", "2", "2", "2", "2", "2",
                                                   "2", "2", "2", "2", "3"}),
               boost::test_tools::per_element());
    BOOST_TEST(e.value("test_mr_render_seconds_sum", {{"route", "/x"}}) == "20.0035");
    BOOST_TEST(e.value("test_mr_render_seconds_count", {{"route", "/x"}}) == "3");

    // Rendering twice without updates gives the same text: the order is deterministic.
    BOOST_TEST(metrics::render() == text);
}

BOOST_AUTO_TEST_CASE(histogram_observations_from_many_threads_are_all_counted)
{
    auto& h = metrics::histogram("test_mr_threaded_seconds", "Threaded", {}, {0.001, 0.01});
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t)
        pool.emplace_back([&h] {
            for (int i = 0; i < 10'000; ++i)
                h.observe(i % 2 ? 0.001 : 0.002);
        });
    for (auto& th : pool)
        th.join();
    BOOST_TEST(h.cumulative_counts() == (std::vector<std::uint64_t>{20'000, 40'000, 40'000}),
               boost::test_tools::per_element());
    BOOST_TEST(h.sum() == 60.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()
