// Which typing frames reach the room, per user and room across the user's sessions, whatever the
// value: an `is_typing: true` at most once per interval, and a `false` only when it ends a
// forwarded `true`. So the others hear at most two typing events per user, room and interval
// (alternating true/false cannot get more through), and the last one they hear after a user
// stops is always `false`.
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
            if (!fresh && now - e.last_true < interval_)
                return false; // the others already know
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
        bool typing = false;
    };
    static constexpr std::size_t max_entries = 100'000;

    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::unordered_map<key, entry, key_hash> state_;
};

} // namespace parley::chat_app
