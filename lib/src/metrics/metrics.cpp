#include "parley/metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace parley::metrics {

namespace {

enum class kind { counter, gauge, histogram };

std::string_view kind_name(kind k)
{
    switch (k) {
    case kind::counter:
        return "counter";
    case kind::gauge:
        return "gauge";
    case kind::histogram:
        return "histogram";
    }
    return "untyped";
}

// One metric name with its HELP/TYPE and every label set registered under it. Series live behind
// unique_ptr so the references handed out survive later insertions.
struct family {
    kind type;
    std::string help;
    std::vector<double> bounds; // histograms only
    std::map<labels, std::unique_ptr<counter_series>> counters;
    std::map<labels, std::unique_ptr<gauge_series>> gauges;
    std::map<labels, std::unique_ptr<histogram_series>> histograms;
};

struct registry {
    std::mutex mutex;
    std::map<std::string, family, std::less<>> families;
};

// Never destroyed: static series references taken by other translation units (and updated
// from threads still running at exit) must stay valid through static destruction.
registry& the_registry()
{
    static auto* r = new registry;
    return *r;
}

bool is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// [a-zA-Z_:][a-zA-Z0-9_:]*
void check_metric_name(std::string_view name)
{
    bool ok = !name.empty() && (is_alpha_(name[0]) || name[0] == ':');
    for (char c : name)
        ok = ok && (is_alpha_(c) || is_digit(c) || c == ':');
    if (!ok)
        throw std::invalid_argument("invalid metric name \"" + std::string(name) + "\"");
}

// [a-zA-Z_][a-zA-Z0-9_]*, and names starting with "__" are reserved for Prometheus itself.
void check_label_name(std::string_view metric, std::string_view name)
{
    bool ok = !name.empty() && is_alpha_(name[0]) && !name.starts_with("__");
    for (char c : name)
        ok = ok && (is_alpha_(c) || is_digit(c));
    if (!ok)
        throw std::invalid_argument("invalid label name \"" + std::string(name) + "\" on metric " +
                                    std::string(metric));
}

// Validates the labels and sorts them by name, so {a,b} and {b,a} are one series.
labels canonical(std::string_view metric, labels l, kind type)
{
    for (auto const& [name, value] : l) {
        check_label_name(metric, name);
        if (type == kind::histogram && name == "le")
            throw std::invalid_argument("label \"le\" is reserved on histogram " +
                                        std::string(metric));
    }
    std::sort(l.begin(), l.end());
    auto const dup = std::adjacent_find(
        l.begin(), l.end(), [](auto const& a, auto const& b) { return a.first == b.first; });
    if (dup != l.end())
        throw std::invalid_argument("label \"" + dup->first + "\" given twice on metric " +
                                    std::string(metric));
    return l;
}

// A histogram "x" renders x_bucket, x_sum and x_count: no other family may use those names.
void check_no_histogram_clash(registry& r, std::string_view name, kind type)
{
    auto const clash = [&](std::string const& other) {
        throw std::logic_error("metric " + std::string(name) + " clashes with the series of " +
                               other);
    };
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
        if (type == kind::histogram) {
            auto const derived = std::string(name) + std::string(suffix);
            if (r.families.contains(derived))
                clash("metric " + derived);
        }
        if (name.ends_with(suffix)) {
            auto const base = r.families.find(name.substr(0, name.size() - suffix.size()));
            if (base != r.families.end() && base->second.type == kind::histogram)
                clash("histogram " + base->first);
        }
    }
}

// Returns the family, creating it, or throws if the name is already taken by another type.
family& find_family(registry& r, std::string_view name, std::string_view help, kind type)
{
    auto it = r.families.find(name);
    if (it == r.families.end()) {
        check_metric_name(name);
        check_no_histogram_clash(r, name, type);
        it = r.families.emplace(std::string(name), family{type, std::string(help), {}, {}, {}, {}})
                 .first;
    } else if (it->second.type != type) {
        throw std::logic_error("metric " + std::string(name) + " is already registered as a " +
                               std::string(kind_name(it->second.type)) + ", not a " +
                               std::string(kind_name(type)));
    }
    return it->second;
}

template <class Series, class... Args>
Series& find_series(std::map<labels, std::unique_ptr<Series>>& series, labels l, Args&&... args)
{
    auto& slot = series[std::move(l)];
    if (!slot)
        slot = std::make_unique<Series>(std::forward<Args>(args)...);
    return *slot;
}

// Bounds must be finite and strictly increasing; a trailing +Inf is implied, so drop it if given.
std::vector<double> checked_bounds(std::vector<double> bounds)
{
    if (!bounds.empty() && bounds.back() == INFINITY)
        bounds.pop_back();
    for (std::size_t i = 0; i < bounds.size(); ++i)
        if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i])))
            throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    return bounds;
}

void append_number(std::string& out, double v)
{
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else {
        // Shortest round-trip digits in %g style, as Prometheus' own clients print them
        // ("0.0005", not "5e-04"), so le values match those of other exporters.
        char buf[32];
        auto const end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general).ptr;
        out.append(buf, end);
    }
}

template <class Integer> void append_integer(std::string& out, Integer v)
{
    char buf[24];
    auto const end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out.append(buf, end);
}

void append_escaped(std::string& out, std::string_view text, bool escape_quote)
{
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && escape_quote)
            out += "\\\"";
        else
            out += c;
    }
}

// {a="1",b="2"} plus an optional extra label (histogram "le"); nothing when there are no labels.
void append_labels(std::string& out, labels const& l, std::string_view extra_name = {},
                   std::string_view extra_value = {})
{
    if (l.empty() && extra_name.empty())
        return;
    out += '{';
    bool first = true;
    auto const one = [&](std::string_view name, std::string_view value) {
        if (!first)
            out += ',';
        first = false;
        out += name;
        out += "=\"";
        append_escaped(out, value, true);
        out += '"';
    };
    for (auto const& [name, value] : l)
        one(name, value);
    if (!extra_name.empty())
        one(extra_name, extra_value);
    out += '}';
}

void render_histogram(std::string& out, std::string const& name, labels const& l,
                      histogram_series const& h)
{
    auto const counts = h.cumulative_counts();
    auto const& bounds = h.bounds();
    for (std::size_t i = 0; i < counts.size(); ++i) {
        std::string le;
        append_number(le, i < bounds.size() ? bounds[i] : INFINITY);
        out += name;
        out += "_bucket";
        append_labels(out, l, "le", le);
        out += ' ';
        append_integer(out, counts[i]);
        out += '\n';
    }
    out += name;
    out += "_sum";
    append_labels(out, l);
    out += ' ';
    append_number(out, h.sum());
    out += '\n';
    out += name;
    out += "_count";
    append_labels(out, l);
    out += ' ';
    // The +Inf bucket, not count(): both read under concurrent observe() must agree.
    append_integer(out, counts.back());
    out += '\n';
}

} // namespace

histogram_series::histogram_series(std::vector<double> bounds)
    : bounds_(checked_bounds(std::move(bounds))), counts_(bounds_.size() + 1)
{}

void histogram_series::observe(double value) noexcept
{
    if (std::isnan(value))
        return; // would poison the sum forever
    // Prometheus buckets are "less than or equal": a value equal to a bound belongs to it.
    auto const bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
    // Integer micro-units make the sum one lock-free fetch_add (atomic<double> would be a CAS
    // loop). Clamped so an absurd value cannot overflow the conversion; negative values wrap and
    // come back out through the signed cast in sum().
    double const micros = std::clamp(value * 1e6, -9e18, 9e18);
    sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(micros)),
                          std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram_series::cumulative_counts() const
{
    std::vector<std::uint64_t> out;
    out.reserve(counts_.size());
    std::uint64_t total = 0;
    for (auto const& c : counts_) {
        total += c.load(std::memory_order_relaxed);
        out.push_back(total);
    }
    return out;
}

double histogram_series::sum() const noexcept
{
    return static_cast<double>(
               static_cast<std::int64_t>(sum_micros_.load(std::memory_order_relaxed))) /
           1e6;
}

std::uint64_t histogram_series::count() const noexcept
{
    std::uint64_t total = 0;
    for (auto const& c : counts_)
        total += c.load(std::memory_order_relaxed);
    return total;
}

std::vector<double> const& default_latency_buckets()
{
    static std::vector<double> const buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    return buckets;
}

counter_series& counter(std::string_view name, std::string_view help, labels l)
{
    auto& r = the_registry();
    std::lock_guard lock(r.mutex);
    auto key = canonical(name, std::move(l), kind::counter);
    return find_series(find_family(r, name, help, kind::counter).counters, std::move(key));
}

gauge_series& gauge(std::string_view name, std::string_view help, labels l)
{
    auto& r = the_registry();
    std::lock_guard lock(r.mutex);
    auto key = canonical(name, std::move(l), kind::gauge);
    return find_series(find_family(r, name, help, kind::gauge).gauges, std::move(key));
}

histogram_series& histogram(std::string_view name, std::string_view help, labels l,
                            std::vector<double> const& bounds)
{
    auto checked = checked_bounds(bounds);
    auto& r = the_registry();
    std::lock_guard lock(r.mutex);
    auto key = canonical(name, std::move(l), kind::histogram);
    auto& f = find_family(r, name, help, kind::histogram);
    // One family, one bucket layout: otherwise its series could not be aggregated.
    if (f.histograms.empty())
        f.bounds = checked;
    else if (f.bounds != checked)
        throw std::logic_error("histogram " + std::string(name) +
                               " is already registered with different buckets");
    return find_series(f.histograms, std::move(key), std::move(checked));
}

std::string render()
{
    auto& r = the_registry();
    std::string out;
    std::lock_guard lock(r.mutex);
    for (auto const& [name, f] : r.families) {
        out += "# HELP ";
        out += name;
        out += ' ';
        append_escaped(out, f.help, false);
        out += "\n# TYPE ";
        out += name;
        out += ' ';
        out += kind_name(f.type);
        out += '\n';
        for (auto const& [l, c] : f.counters) {
            out += name;
            append_labels(out, l);
            out += ' ';
            append_integer(out, c->value());
            out += '\n';
        }
        for (auto const& [l, g] : f.gauges) {
            out += name;
            append_labels(out, l);
            out += ' ';
            append_integer(out, g->value());
            out += '\n';
        }
        for (auto const& [l, h] : f.histograms)
            render_histogram(out, name, l, *h);
    }
    return out;
}

} // namespace parley::metrics
