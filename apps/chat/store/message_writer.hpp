// The write side of the fan-out path: every message post and every room join goes through one
// group-commit queue (store::batcher). One transaction per batch assigns each room's next seq
// (rooms.last_seq + 1, contiguous) and checks idempotency by UNIQUE(room_id, user_id, client_id).
//
// Joins go through the same queue so that a joining session sees each message exactly once:
// the commit hook runs batch after batch in commit order, so every message committed before the
// join is in its replay and every message after it reaches the session live.
#pragma once

#include "chat/store/records.hpp"
#include "parley/auth/identity.hpp"
#include "parley/store/batcher.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace parley::chat_app {

struct post_op {
    std::int64_t room_id = 0;
    std::int64_t user_id = 0;
    std::string username;
    std::string content;
    std::string client_id;
};

struct join_result;

struct join_op {
    std::int64_t room_id = 0;
    auth::identity user;
    std::optional<std::int64_t> last_seq; // replay what came after it
    std::size_t max_replay = 500;
    // Runs in the commit hook, in commit order: sends the replay and subscribes the session.
    std::function<void(join_result const&)> attach;
};

using write_op = std::variant<post_op, join_op>;

struct post_result {
    enum outcome_kind { no_room, stored, duplicate } outcome = no_room;
    message_record message;
};

struct join_result {
    bool found = false;                 // false: no such room, or private and not a member
    std::int64_t last_seq = 0;          // the room's newest seq at the join
    bool truncated = false;             // more were missed than max_replay
    std::vector<message_record> missed; // oldest first
};

using write_result = std::variant<post_result, join_result>;

using message_writer = store::batcher<write_op, write_result>;

// The batch transaction (runs on the store thread).
std::vector<write_result> process_writes(store::connection& c, std::span<write_op> ops);

} // namespace parley::chat_app
