// Room list events (docs/protocol.md, "Room list events"): room_added / room_updated /
// room_removed go to every connected session of the users they concern, joined to the room or
// not, on every chat process. They travel on one bus channel, "rooms", which each process
// subscribes once; each process delivers to its own sessions of the audience (the session
// registry), the frame encoded once. A room_removed also takes those sessions out of the room
// (`left` with reason "removed") on that process: before it for a member's removal, after it
// for a deletion.
//
//   bus payload = "<audience><kind> <room_id> <user ids, comma-separated>\n<event JSON>"
//   audience: "*" everyone connected, "+" the listed users and every admin, "-" the listed users
//   kind: "a" added, "u" updated, "r" removed (a member from a private room), "d" deleted
#pragma once

#include "chat/store/records.hpp"
#include "parley/bus/bus.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::chat_app {

struct chat_state;

struct room_audience {
    bool everyone = false; // every connected user (a public room)
    bool admins = false;   // every admin, besides the users below
    std::vector<std::int64_t> users;
};

// Who can see the room: everyone for a public room, its members and the admins for a private
// one (GET /rooms lists them all private rooms).
room_audience audience_of(room const& r, std::vector<std::int64_t> members);

inline constexpr std::string_view room_events_channel = "rooms";

// Publishes on the bus: reaches the audience on every process.
void room_added(chat_state& app, room_audience const& to, room const& r);
void room_updated(chat_state& app, room_audience const& to, room const& r);
// A member's removal: their sessions get `left` (reason "removed", which says more), then this.
void room_removed(chat_state& app, room_audience const& to, std::int64_t room_id);
// A deletion: room_removed first (a client keeps the first reason it hears), then `left`.
void room_deleted(chat_state& app, room_audience const& to, std::int64_t room_id);

// This process's delivery of the "rooms" channel (subscribed once, at setup).
std::unique_ptr<bus::subscription> subscribe_room_events(std::shared_ptr<chat_state> const& app);

// The wire form (exposed for tests).
struct room_event_envelope {
    room_audience audience;
    char kind = 'a'; // 'a' added, 'u' updated, 'r' removed, 'd' deleted
    std::int64_t room_id = 0;
    std::string_view event;
};
std::string encode(room_event_envelope const& e);
std::optional<room_event_envelope> decode_room_event(std::string_view bytes);

} // namespace parley::chat_app
