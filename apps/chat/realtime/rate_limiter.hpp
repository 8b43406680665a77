// Per-user token buckets (rate per second, burst), shared by all of the user's sessions in this
// process: the message rate, every frame, and the rows a re-join may replay.
#pragma once

#include "parley/net.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace parley::chat_app {

class rate_limiter {
public:
    rate_limiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}

    // Zero when the message may go now (a token is taken); else how long until one is free.
    std::chrono::milliseconds acquire(std::int64_t user_id, clock::time_point now = clock::now())
    {
        std::lock_guard lock(mutex_);
        auto& b = refilled(user_id, now);
        if (b.tokens >= 1.0) {
            b.tokens -= 1.0;
            return std::chrono::milliseconds(0);
        }
        auto const wait = (1.0 - b.tokens) / rate_;
        return std::chrono::milliseconds(static_cast<std::int64_t>(wait * 1000.0) + 1);
    }

    // Takes up to `wanted` whole tokens; returns how many it took (0 when the bucket is empty).
    std::size_t take_up_to(std::int64_t user_id, std::size_t wanted,
                           clock::time_point now = clock::now())
    {
        std::lock_guard lock(mutex_);
        auto& b = refilled(user_id, now);
        auto const n = std::min<std::size_t>(wanted, static_cast<std::size_t>(b.tokens));
        b.tokens -= static_cast<double>(n);
        return n;
    }

    // Returns tokens taken but not used.
    void give_back(std::int64_t user_id, std::size_t n)
    {
        std::lock_guard lock(mutex_);
        if (auto it = buckets_.find(user_id); it != buckets_.end())
            it->second.tokens = std::min(burst_, it->second.tokens + static_cast<double>(n));
    }

private:
    struct bucket {
        double tokens;
        clock::time_point updated;
    };

    bucket& refilled(std::int64_t user_id, clock::time_point now)
    {
        if (buckets_.size() > max_buckets)
            forget_full(now);
        auto [it, fresh] = buckets_.try_emplace(user_id, bucket{burst_, now});
        auto& b = it->second;
        if (!fresh) {
            std::chrono::duration<double> const elapsed = now - b.updated;
            b.tokens = std::min(burst_, b.tokens + elapsed.count() * rate_);
            b.updated = now;
        }
        return b;
    }

    // A bucket that would be full again is the same as none: drop those (bounds the map).
    void forget_full(clock::time_point now)
    {
        std::erase_if(buckets_, [&](auto const& e) {
            std::chrono::duration<double> const elapsed = now - e.second.updated;
            return e.second.tokens + elapsed.count() * rate_ >= burst_;
        });
    }

    static constexpr std::size_t max_buckets = 100'000;
    double rate_;
    double burst_;
    std::mutex mutex_;
    std::unordered_map<std::int64_t, bucket> buckets_;
};

} // namespace parley::chat_app
