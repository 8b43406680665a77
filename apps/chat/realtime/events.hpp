// The JSON frames of the real-time protocol (docs/protocol.md), serialized once each.
#pragma once

#include "chat/realtime/presence.hpp"
#include "chat/store/records.hpp"
#include "parley/auth/identity.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::chat_app::events {

// Broadcast to a room (bus payloads).
std::string new_message(message_record const& m);
std::string user_joined(std::int64_t room_id, std::int64_t user_id, std::string_view username);
std::string user_left(std::int64_t room_id, std::int64_t user_id, std::string_view username);
std::string online_users(std::int64_t room_id, std::vector<online_user> const& users);
std::string user_typing(std::int64_t room_id, std::int64_t user_id, std::string_view username,
                        bool is_typing);

// Replies to one session.
// The optional parts of the protocol this server has (docs/protocol.md), in `connected`.
inline constexpr std::string_view features[] = {"room_events", "reauth"};
std::string connected(auth::identity const& user);
// The answer to a re-authentication (an auth frame after the first).
std::string authenticated(auth::identity const& user);
std::string joined(std::int64_t room_id, std::int64_t last_seq, bool truncated);
std::string left(std::int64_t room_id, std::string_view reason = {});
std::string ack(message_record const& m, bool duplicate);
std::string pong();

struct error_info {
    std::string_view code;
    std::string_view message;
    std::int64_t room_id = 0;         // 0: none
    std::string_view client_id;       // empty: none
    std::int64_t retry_after_ms = -1; // <0: none
};
std::string error(error_info const& e);

} // namespace parley::chat_app::events
