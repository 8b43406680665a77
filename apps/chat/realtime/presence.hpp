// Who is online in each room. Local to this process for now (one chat node); behind this
// interface so that a shared store (Redis) can hold it when chat runs as several replicas.
// A user with several sessions in a room counts once: add/remove say when the first arrives
// and the last leaves, which is when the room hears user_joined / user_left.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::chat_app {

struct online_user {
    std::int64_t user_id = 0;
    std::string username;
    std::string joined_at; // ISO 8601 UTC: when the user's first session joined
};

class presence {
public:
    virtual ~presence() = default;
    // True when this is the user's first session in the room.
    virtual bool add(std::int64_t room_id, std::int64_t user_id, std::string_view username) = 0;
    // True when this was the user's last session in the room.
    virtual bool remove(std::int64_t room_id, std::int64_t user_id) = 0;
    // Removes the user whatever the number of sessions; true when the user was online.
    virtual bool remove_all(std::int64_t room_id, std::int64_t user_id) = 0;
    // In order of arrival.
    virtual std::vector<online_user> online(std::int64_t room_id) const = 0;
};

std::unique_ptr<presence> make_local_presence();

} // namespace parley::chat_app
