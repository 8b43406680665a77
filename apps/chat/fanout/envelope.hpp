// What travels on the bus for a room: the event's JSON text (what sessions receive, framed once
// per process) and, beside it, what delivery needs without parsing the JSON: the message's seq
// (ordering across replicas) and a user to skip (the typist of a user_typing event).
//
//   bus payload = "<seq> <skip_user>\n<event JSON>"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::chat_app {

struct envelope {
    std::int64_t seq = 0;       // a new_message's seq in its room; 0 for unsequenced events
    std::int64_t skip_user = 0; // not delivered to this user's sessions; 0: to everyone
    std::string_view event;     // the JSON event frame's text
};

std::string encode(envelope const& e);
// Nothing when `bytes` is not an envelope (a foreign publisher on the channel).
std::optional<envelope> decode(std::string_view bytes);

} // namespace parley::chat_app
