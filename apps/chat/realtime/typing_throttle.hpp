// Which typing frames reach the room, per user and room across the user's sessions, whatever the
// value. A `true` that starts typing goes through at most `max_starts` times per interval (a
// user who sends a message and types the next one starts twice); a `true` while typing only
// refreshes, at most once per interval; a `false` only when it ends a forwarded `true`. So the
// others hear at most 2 * max_starts + 1 typing events per user, room and interval, however the
// frames alternate, and the last one they hear after a user stops is always `false`.
#pragma once

#include "parley/net.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace parley::chat_app {

class typing_throttle {
public:
    explicit typing_throttle(std::chrono::milliseconds interval) : interval_(interval) {}

    // True when this typing event goes to the room.
    bool forward(std::int64_t user_id, std::int64_t room_id, bool is_typing,
                 clock::time_point now = clock::now())
    {
        std::lock_guard lock(mutex_);
        if (state_.size() > max_entries)
            std::erase_if(state_, [&](auto const& e) {
                return !e.second.typing && now - e.second.last_true >= interval_;
            });
        auto [it, fresh] = state_.try_emplace(key{user_id, room_id}, entry{});
        auto& e = it->second;
        if (is_typing) {
            if (e.typing) {
                if (now - e.last_true < interval_)
                    return false; // the others already know
            } else {
                if (fresh || now - e.window_start >= interval_) {
                    e.window_start = now;
                    e.starts = 0;
                }
                if (e.starts >= max_starts)
                    return false; // starting and stopping faster than anyone types
                ++e.starts;
            }
            e.last_true = now;
            e.typing = true;
            return true;
        }
        if (!e.typing)
            return false; // nothing to end
        e.typing = false;
        return true;
    }

private:
    struct key {
        std::int64_t user_id;
        std::int64_t room_id;
        bool operator==(key const&) const = default;
    };
    struct key_hash {
        std::size_t operator()(key const& k) const noexcept
        {
            return std::hash<std::int64_t>{}(k.user_id * 1'000'003 ^ k.room_id);
        }
    };
    struct entry {
        clock::time_point last_true{};
        clock::time_point window_start{};
        std::size_t starts = 0; // typing starts forwarded since window_start
        bool typing = false;
    };
    static constexpr std::size_t max_entries = 100'000;
    static constexpr std::size_t max_starts = 2;

    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::unordered_map<key, entry, key_hash> state_;
};

} // namespace parley::chat_app
