// Prometheus metrics: counters, gauges and histograms, optionally with labels, rendered in the
// text exposition format at /metrics. Updating a metric is one atomic operation: look the
// series up once (a reference stays valid for the life of the process) and keep it.
//
//   static auto& sent = metrics::counter("parley_ws_messages_out_total", "Frames sent");
//   sent.inc();
//   metrics::histogram("parley_http_request_seconds", "Latency", {{"route", r}}).observe(0.003);
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

class counter_series {
public:
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge_series {
public:
    void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(std::int64_t n) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    void inc() noexcept { add(1); }
    void dec() noexcept { add(-1); }
    std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

class histogram_series {
public:
    explicit histogram_series(std::vector<double> bounds);
    void observe(double value) noexcept;
    std::vector<double> const& bounds() const noexcept { return bounds_; }
    // Cumulative counts per bound (the last is +Inf), the sum and the count.
    std::vector<std::uint64_t> cumulative_counts() const;
    double sum() const noexcept;
    std::uint64_t count() const noexcept;

private:
    std::vector<double> bounds_;
    std::vector<std::atomic<std::uint64_t>> counts_; // one per bound plus +Inf
    std::atomic<std::uint64_t> sum_micros_{0};
};

// Latency buckets in seconds, 0.5 ms to 10 s.
std::vector<double> const& default_latency_buckets();

counter_series& counter(std::string_view name, std::string_view help, labels l = {});
gauge_series& gauge(std::string_view name, std::string_view help, labels l = {});
histogram_series& histogram(std::string_view name, std::string_view help, labels l = {},
                            std::vector<double> const& bounds = default_latency_buckets());

// Every registered series in the Prometheus text format (version 0.0.4).
std::string render();

} // namespace parley::metrics
