// When the room hears of arrivals and departures (user_joined / user_left, then online_users).
// A user's presence in a room is announced at once when the room has heard nothing about that
// user for the presence interval; a change within the interval is held, and at its end the room
// hears the net change only (none after a leave and re-join). So join/leave churn costs the
// room at most one announcement per user and interval, and the last one always says where the
// user ended up. One timer per process (not per session) ends the held intervals.
#pragma once

#include "chat/fanout/room_hub.hpp"
#include "chat/realtime/presence.hpp"
#include "parley/net.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::chat_app {

class presence_announcer : public std::enable_shared_from_this<presence_announcer> {
public:
    presence_announcer(net::any_io_executor executor, room_hub& hub, presence& online,
                       std::chrono::milliseconds interval);

    // The user's first session arrived in (online) or last session left the room, as presence
    // just said. True when the room heard it now; false when it will at the interval's end (a
    // joining session then needs its online list sent directly).
    bool changed(std::int64_t room_id, std::int64_t user_id, std::string_view username,
                 bool online);
    // Announces at once, whatever the interval (a member removed by the room's owner).
    void announce_now(std::int64_t room_id, std::int64_t user_id, std::string_view username,
                      bool online);

    void start();
    void stop();

private:
    struct key {
        std::int64_t room_id;
        std::int64_t user_id;
        bool operator==(key const&) const = default;
    };
    struct key_hash {
        std::size_t operator()(key const& k) const noexcept
        {
            return std::hash<std::int64_t>{}(k.room_id * 1'000'003 ^ k.user_id);
        }
    };
    struct entry {
        bool announced_online = false;
        clock::time_point announced_at{};
        bool held = false;
        std::string username;
    };

    void publish_online_list(std::int64_t room_id);
    // Under mutex_: publishes the change and the room's online list.
    void announce(key k, entry& e, bool online, clock::time_point now);
    bool is_online(std::int64_t room_id, std::int64_t user_id) const;
    net::awaitable<void> loop();
    void end_held_intervals();

    room_hub& hub_;
    presence& online_;
    std::chrono::milliseconds interval_;
    net::steady_timer timer_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::unordered_map<key, entry, key_hash> entries_;
};

} // namespace parley::chat_app
