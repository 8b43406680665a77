#include "chat/store/message_writer.hpp"

#include "parley/time/utc.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace parley::chat_app {

namespace {

// Each room's newest seq as this transaction sees it.
//
// Several replicas may write one room at once, so the rooms that get messages are locked before
// their last_seq is read, and their seqs reserved in the same statement: one
// UPDATE rooms SET last_seq = last_seq + <messages for it> ... RETURNING per room (PostgreSQL
// takes the row lock and works on the newest committed value; SQLite already holds the
// database's write lock). A second batch for the same room, on any replica, waits until this one
// commits, then continues from its last seq: contiguous and unique. Rooms are locked in id order,
// so two batches never wait for each other in a cycle. A message that turns out to be a retry of
// a stored one uses no seq: write_back then sets last_seq to the last one used (rare).
class seq_cache {
public:
    explicit seq_cache(store::connection& c) : c_(c) {}

    struct room_state {
        std::int64_t last_seq = 0; // the newest seq used
        bool is_private = false;
        std::int64_t reserved = 0; // what the row says now (locked rooms); 0: read only
    };

    // `room_ids`: the room of each message of the batch.
    void reserve(std::vector<std::int64_t> const& room_ids)
    {
        std::map<std::int64_t, std::int64_t> messages; // in id order
        for (auto id : room_ids)
            ++messages[id];
        for (auto const& [id, n] : messages) {
            auto row = c_.query_one("UPDATE rooms SET last_seq = last_seq + $1 WHERE id = $2 "
                                    "RETURNING last_seq, is_private",
                                    {n, id});
            auto& slot = rooms_[id];
            if (row) {
                auto const upto = row->get<std::int64_t>(0);
                slot = room_state{upto - n, row->get<bool>(1), upto};
            }
        }
    }

    // A room not reserved above (joins only) is read without a lock.
    room_state* find(std::int64_t room_id)
    {
        if (auto it = rooms_.find(room_id); it != rooms_.end())
            return it->second ? &*it->second : nullptr;
        auto row = c_.query_one("SELECT last_seq, is_private FROM rooms WHERE id = $1", {room_id});
        auto& slot = rooms_[room_id];
        if (row)
            slot = room_state{row->get<std::int64_t>(0), row->get<bool>(1), 0};
        return slot ? &*slot : nullptr;
    }

    // Gives back the seqs reserved for retries.
    void write_back()
    {
        for (auto const& [id, state] : rooms_)
            if (state && state->reserved != 0 && state->reserved != state->last_seq)
                c_.execute("UPDATE rooms SET last_seq = $1 WHERE id = $2", {state->last_seq, id});
    }

private:
    store::connection& c_;
    std::unordered_map<std::int64_t, std::optional<room_state>> rooms_;
};

std::string const& select_messages()
{
    static std::string const sql = std::string("SELECT ") + message_columns + " FROM messages ";
    return sql;
}

post_result post(store::connection& c, seq_cache& rooms, post_op const& op, std::string const& now)
{
    auto* room = rooms.find(op.room_id);
    if (!room)
        return {post_result::no_room, {}};
    auto const seq = room->last_seq + 1;
    // A retry of a stored message (same user, room and client_id, through any replica) inserts
    // nothing and gets the stored one back; it never fails the batch.
    auto inserted = c.query_one(
        "INSERT INTO messages (room_id, seq, user_id, username, content, timestamp, client_id) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (room_id, user_id, client_id) DO NOTHING RETURNING id",
        {op.room_id, seq, op.user_id, op.username, op.content, now, op.client_id});
    if (!inserted) {
        auto stored = c.query_one(select_messages() +
                                      "WHERE room_id = $1 AND user_id = $2 AND client_id = $3",
                                  {op.room_id, op.user_id, op.client_id});
        if (!stored)
            throw store::error("chat: a message conflicted with one that cannot be read back");
        return {post_result::duplicate, message_from(*stored)};
    }
    auto const id = inserted->get<std::int64_t>(0);
    room->last_seq = seq;
    return {post_result::stored, message_record{.id = id,
                                                .room_id = op.room_id,
                                                .seq = seq,
                                                .user_id = op.user_id,
                                                .username = op.username,
                                                .content = op.content,
                                                .timestamp = now,
                                                .is_file = false,
                                                .file_url = std::nullopt,
                                                .client_id = op.client_id}};
}

join_result join(store::connection& c, seq_cache& rooms, join_op const& op)
{
    join_result out;
    auto* room = rooms.find(op.room_id);
    if (!room)
        return out;
    if (room->is_private && !op.user.is_admin &&
        !c.query_one("SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2",
                     {op.room_id, op.user.user_id}))
        return out;
    out.found = true;
    out.last_seq = room->last_seq;
    if (op.last_seq && *op.last_seq < room->last_seq) {
        // The newest max_replay after last_seq; one more tells whether some were left out. Up to
        // the room's last_seq as read above: what another replica commits meanwhile comes live.
        auto rows = c.query(select_messages() + "WHERE room_id = $1 AND seq > $2 AND seq <= $3 "
                                                "ORDER BY seq DESC LIMIT $4",
                            {op.room_id, *op.last_seq, room->last_seq,
                             static_cast<std::int64_t>(op.max_replay + 1)});
        if (rows.size() > op.max_replay) {
            out.truncated = true;
            rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(op.max_replay), rows.end());
        }
        out.missed.reserve(rows.size());
        for (auto it = rows.rbegin(); it != rows.rend(); ++it)
            out.missed.push_back(message_from(*it));
    }
    return out;
}

} // namespace

std::vector<write_result> process_writes(store::connection& c, std::span<write_op> ops)
{
    std::vector<write_result> results;
    results.reserve(ops.size());
    seq_cache rooms(c);
    std::vector<std::int64_t> written;
    for (auto const& op : ops)
        if (auto const* p = std::get_if<post_op>(&op))
            written.push_back(p->room_id);
    rooms.reserve(written);
    auto const now = utc_timestamp_ms();
    for (auto const& op : ops) {
        if (auto const* p = std::get_if<post_op>(&op))
            results.emplace_back(post(c, rooms, *p, now));
        else
            results.emplace_back(join(c, rooms, std::get<join_op>(op)));
    }
    rooms.write_back();
    return results;
}

} // namespace parley::chat_app
