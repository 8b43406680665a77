// Per-user message rate limit: a token bucket (rate per second, burst), shared by all of the
// user's sessions in this process.
#pragma once

#include "parley/net.hpp"

#include <chrono>
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
        auto [it, fresh] = buckets_.try_emplace(user_id, bucket{burst_, now});
        auto& b = it->second;
        if (!fresh) {
            std::chrono::duration<double> const elapsed = now - b.updated;
            b.tokens = std::min(burst_, b.tokens + elapsed.count() * rate_);
            b.updated = now;
        }
        if (b.tokens >= 1.0) {
            b.tokens -= 1.0;
            return std::chrono::milliseconds(0);
        }
        auto const wait = (1.0 - b.tokens) / rate_;
        return std::chrono::milliseconds(static_cast<std::int64_t>(wait * 1000.0) + 1);
    }

private:
    struct bucket {
        double tokens;
        clock::time_point updated;
    };
    double rate_;
    double burst_;
    std::mutex mutex_;
    std::unordered_map<std::int64_t, bucket> buckets_;
};

} // namespace parley::chat_app
