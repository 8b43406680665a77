// An HDR-style latency histogram: log-linear buckets (64 per power of two, so every recorded
// value is known within 1/64 = 1.6 %) from 1 ns to about 18 minutes, a fixed 2.3k counters,
// O(1) record, no allocation after construction. Values are nanoseconds.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace parley::bench {

class histogram {
public:
    static constexpr int sub_bits = 6;                            // 64 sub-buckets per octave
    static constexpr std::uint64_t linear = 1u << (sub_bits + 1); // values below: exact
    static constexpr int octaves = 34;                            // up to 2^40 ns
    static constexpr std::size_t buckets = linear + octaves * (1u << sub_bits);

    void record(std::int64_t value_ns) noexcept
    {
        auto const v = value_ns < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(value_ns);
        ++counts_[index_of(v)];
        ++count_;
        max_ = std::max(max_, v);
        min_ = std::min(min_, v);
        sum_ += static_cast<double>(v);
    }

    void merge(histogram const& other) noexcept
    {
        for (std::size_t i = 0; i < buckets; ++i)
            counts_[i] += other.counts_[i];
        count_ += other.count_;
        max_ = std::max(max_, other.max_);
        min_ = std::min(min_, other.min_);
        sum_ += other.sum_;
    }

    void reset() noexcept { *this = histogram(); }

    std::uint64_t count() const noexcept { return count_; }
    std::uint64_t max() const noexcept { return count_ ? max_ : 0; }
    std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
    double mean() const noexcept { return count_ ? sum_ / static_cast<double>(count_) : 0; }

    // The value at quantile q (0..1): the upper edge of the bucket holding it, capped by max().
    std::uint64_t quantile(double q) const noexcept
    {
        if (count_ == 0)
            return 0;
        auto const rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets; ++i) {
            seen += counts_[i];
            if (seen >= rank)
                return std::min(upper_of(i), max_);
        }
        return max_;
    }

    // Non-empty buckets as (upper edge ns, count), for the JSON result and plots.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets_used() const
    {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
        for (std::size_t i = 0; i < buckets; ++i)
            if (counts_[i])
                out.emplace_back(std::min(upper_of(i), max_), counts_[i]);
        return out;
    }

    static std::size_t index_of(std::uint64_t v) noexcept
    {
        if (v < linear)
            return static_cast<std::size_t>(v);
        int const msb = 63 - std::countl_zero(v); // >= sub_bits + 1
        int const shift = msb - sub_bits;
        auto const octave = static_cast<std::size_t>(msb - sub_bits - 1);
        if (octave >= octaves)
            return buckets - 1;
        auto const sub = static_cast<std::size_t>((v >> shift) - (1u << sub_bits));
        return linear + octave * (1u << sub_bits) + sub;
    }

    static std::uint64_t upper_of(std::size_t i) noexcept
    {
        if (i < linear)
            return i;
        auto const octave = (i - linear) >> sub_bits;
        auto const sub = (i - linear) & ((1u << sub_bits) - 1);
        int const shift = static_cast<int>(octave) + 1;
        return (((1u << sub_bits) + sub + 1) << shift) - 1;
    }

private:
    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    double sum_ = 0;
};

} // namespace parley::bench
