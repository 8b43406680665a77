// The local end of the fan-out: room id -> the sessions of this process in that room. While a
// room has local sessions the hub subscribes its bus channel "room:<id>"; each event arriving on
// it (an envelope: fanout/envelope.hpp) is framed ONCE and the same immutable frame is handed to
// every local session: per delivery one shared_ptr copy and one queue push.
//
// The room's lock is held only to copy or swap its session list (copy-on-write snapshot).
#pragma once

#include "parley/bus/bus.hpp"
#include "parley/ws/session.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::chat_app {

// Told when the hub removes its session from a room on its own (the user lost membership).
class room_listener {
public:
    virtual ~room_listener() = default;
    virtual void evicted(std::int64_t room_id) = 0;
};

// What delivery needs beside an event: its seq, the user to skip (fanout/envelope.hpp).
struct event_routing {
    std::int64_t seq = 0;       // a new_message's seq; 0 for unsequenced events
    std::int64_t skip_user = 0; // e.g. the typist; 0: everyone
};

struct room_member {
    std::shared_ptr<ws::session> session;
    std::int64_t user_id = 0;
    std::weak_ptr<room_listener> listener;
};

class room_hub {
public:
    explicit room_hub(bus::bus& bus) : bus_(bus) {}
    ~room_hub();
    room_hub(room_hub const&) = delete;
    room_hub& operator=(room_hub const&) = delete;

    // Adds the session to the room (no-op when it is there already).
    void join(std::int64_t room_id, room_member m);
    // Removes the session; the last local session unsubscribes the room's channel.
    void leave(std::int64_t room_id, std::uint64_t session_id);
    // Removes every session of the user from the room and tells their listeners.
    std::size_t evict(std::int64_t room_id, std::int64_t user_id);

    // Publishes a serialized event to the room on every process.
    void publish(std::int64_t room_id, std::string_view event_json, event_routing r = {});

    std::size_t local_sessions(std::int64_t room_id) const;

    static std::string channel_of(std::int64_t room_id)
    {
        return "room:" + std::to_string(room_id);
    }

private:
    struct room_state {
        mutable std::mutex mutex;
        std::shared_ptr<std::vector<room_member> const> members =
            std::make_shared<std::vector<room_member> const>();
    };
    struct entry {
        std::shared_ptr<room_state> state;
        std::unique_ptr<bus::subscription> subscription;
    };
    static void deliver(room_state const& room, bus::payload const& payload);

    bus::bus& bus_;
    mutable std::mutex mutex_; // guards rooms_ and every room's list changes
    std::unordered_map<std::int64_t, entry> rooms_;
};

} // namespace parley::chat_app
