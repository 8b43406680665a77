// Who is online in each room, across the chat replicas. This process's sessions are counted here
// (a user with several sessions in a room counts once); what the other replicas have comes from
// presence_sync (realtime/presence_sync.hpp): their changes as they happen, over the bus, and
// their whole state, from Redis, at every heartbeat. With one process there is no other replica
// and nothing to sync.
//
// add/remove say when the user arrives in or leaves the room as a whole (no session on any
// replica before / after), which is when the room hears user_joined / user_left.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::chat_app {

struct online_user {
    std::int64_t user_id = 0;
    std::string username;
    std::string joined_at; // ISO 8601 UTC: when the user's first session joined
};

// A user arriving in (online) or leaving a room on one replica.
struct presence_change {
    bool online = false;
    std::int64_t room_id = 0;
    online_user user; // only user_id when leaving
};

// One replica's rooms and users (a snapshot, or this process's own state).
using presence_entries = std::vector<std::pair<std::int64_t, online_user>>;

// A room whose users on another replica changed, for this process to tell its own sessions there.
struct presence_effect {
    std::int64_t room_id = 0;
    std::vector<online_user> gone; // no longer online in the room on any replica
};

class presence {
public:
    // This process's sessions. add: true when the user was online in the room nowhere before.
    bool add(std::int64_t room_id, std::int64_t user_id, std::string_view username);
    // True when this was the user's last session in the room here and no other replica has one.
    bool remove(std::int64_t room_id, std::int64_t user_id);
    // Removes the user's every session here; true when the user is now online nowhere in the room.
    bool remove_all(std::int64_t room_id, std::int64_t user_id);

    // Every replica's users, in order of arrival (a user once, at their earliest arrival).
    std::vector<online_user> online(std::int64_t room_id) const;
    // This process's users only (whom this process can take out of a room).
    std::vector<online_user> local(std::int64_t room_id) const;

    // For presence_sync. From now on this process's changes are kept for take_changes (without
    // a sync nobody takes them).
    void keep_changes();
    // What changed here since the last call, in order, and the version it brings this process's
    // state to (each change is one version).
    std::pair<std::vector<presence_change>, std::uint64_t> take_changes();
    // This process's whole state and its version.
    std::pair<presence_entries, std::uint64_t> snapshot() const;

    // Another replica's changes, up to `version`: applied in order.
    std::vector<presence_effect> apply(std::string const& replica, std::uint64_t version,
                                       std::vector<presence_change> const& changes);
    // Another replica's whole state at `version` (read from Redis). Ignored when changes past
    // `version` have been applied already (the snapshot was read before them).
    std::vector<presence_effect> replace(std::string const& replica, std::uint64_t version,
                                         presence_entries const& entries);
    // Another replica is gone (its heartbeat expired, or it said goodbye).
    std::vector<presence_effect> forget(std::string const& replica);
    // The replicas whose state is known here.
    std::vector<std::string> replicas() const;

private:
    struct local_entry {
        online_user user;
        std::size_t sessions = 0;
    };
    // room -> user -> user
    using room_users = std::unordered_map<std::int64_t, std::map<std::int64_t, online_user>>;
    struct remote_state {
        std::uint64_t version = 0;
        room_users rooms;
    };

    bool drop(std::int64_t room_id, std::int64_t user_id, bool all);
    bool online_remotely(std::int64_t room_id, std::int64_t user_id) const;
    bool online_anywhere(std::int64_t room_id, std::int64_t user_id) const;
    void record(presence_change change);
    // Replaces one replica's rooms; the rooms where that replica's users changed.
    std::vector<presence_effect> swap_remote(remote_state& r, room_users next);

    mutable std::mutex mutex_;
    std::unordered_map<std::int64_t, std::vector<local_entry>> local_; // in order of arrival
    bool keep_changes_ = false;
    std::vector<presence_change> changes_;
    std::uint64_t version_ = 0;
    std::map<std::string, remote_state> remote_;
};

} // namespace parley::chat_app
