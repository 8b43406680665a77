// Rooms, members and message history in the chat database (SQLite file var/chat.db by default).
// Messages are written by the message writer (store/message_writer.hpp), never here: the writer
// assigns each room's contiguous seq in its group-commit transactions.
#pragma once

#include "chat/store/records.hpp"
#include "parley/auth/identity.hpp"
#include "parley/net.hpp"
#include "parley/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::chat_app {

// The schema, applied at startup; the first start also creates the General room.
std::vector<store::migration> chat_migrations();

struct new_room {
    std::string name;
    std::string description;
    bool is_private = false;
    std::int64_t created_by = 0;
};

// A page of history: the newest `limit` (oldest first), or those before/after a seq.
struct history_query {
    std::int64_t limit = 50;
    std::optional<std::int64_t> before; // seq < before
    std::optional<std::int64_t> after;  // seq > after, oldest first (catch-up)
};

// Who may see a private room: its members and admins. Public rooms: everyone.
bool may_see(room const& r, auth::identity const* viewer, bool is_member);

class chat_store {
public:
    explicit chat_store(store::database& db) : db_(db) {}

    // Public rooms, plus the private rooms the viewer may see.
    net::awaitable<std::vector<room>> list_rooms(auth::identity const* viewer);
    // The room when it exists and the viewer may see it (a hidden room is "not found").
    net::awaitable<std::optional<room>> visible_room(std::int64_t id, auth::identity const* viewer);
    // Creates the room with its creator as the first member; nullopt (nothing created) for a
    // public room whose name a public room already has, ignoring case.
    net::awaitable<std::optional<room>> create_room(new_room r);
    // Renames / re-describes the room (fields left nullopt stay). The updated room, nullopt when
    // it does not exist, or `name_taken` when a public room already has the new name.
    struct room_changes {
        std::optional<std::string> name;
        std::optional<std::string> description;
    };
    struct update_outcome {
        std::optional<room> updated; // nothing: no such room, or name_taken
        bool name_taken = false;
    };
    net::awaitable<update_outcome> update_room(std::int64_t id, room_changes changes);
    // Deletes the room with its messages and memberships; returns who were its members.
    net::awaitable<std::vector<std::int64_t>> delete_room(std::int64_t id);
    net::awaitable<std::vector<message_record>> messages(std::int64_t room_id, history_query q);
    // True when the user was added (false: already a member).
    net::awaitable<bool> add_member(std::int64_t room_id, std::int64_t user_id);
    // True when the user was a member.
    net::awaitable<bool> remove_member(std::int64_t room_id, std::int64_t user_id);
    net::awaitable<std::vector<std::int64_t>> members(std::int64_t room_id);

    struct totals {
        std::int64_t rooms = 0;
        std::int64_t messages = 0;
    };
    // Counts for /stats; messages from the rooms' seq counters (no scan of the messages table).
    net::awaitable<totals> count_all();
    // The same over public rooms only (what anyone may know).
    net::awaitable<totals> count_public();

    store::database& database() noexcept { return db_; }

private:
    store::database& db_;
};

} // namespace parley::chat_app
