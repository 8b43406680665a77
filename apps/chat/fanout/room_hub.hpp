// The local end of the fan-out: room id -> the sessions of this process in that room. While a
// room has local sessions the hub subscribes its bus channel "room:<id>"; each event arriving on
// it (an envelope: fanout/envelope.hpp) is framed ONCE and the same immutable frame is handed to
// every local session: per delivery one shared_ptr copy and one queue push. With several I/O
// threads, rooms are spread over lanes (hub_options::lanes) that deliver in parallel, each in
// arrival order: one commit batch's rooms no longer fan out on the one thread that committed it.
//
// Ordering across replicas (issue 9): per local room the hub knows the newest seq it delivered
// (starting from the store's newest seq when the room's first local session joined). A
// new_message with the next seq is delivered at once; a duplicate (seq <= last) is dropped; an
// early one waits in a small hold-back buffer (fanout/sequencer.hpp) for `reorder_wait`, after
// which, or at once when the bus reports a gap (a (re)subscription in effect), the missing range
// is read from the store (`history`) and everything goes out in seq order. Unsequenced events
// (typing, presence: seq 0) go out at once. The envelope carries the seq: no JSON is parsed.
//
// The room's lock covers its session list, its order and its recently delivered frames; it is
// held while a released message is queued to the room's sessions (a queue push each), so that
// every session sees one order, and so that a joining session slots in between two messages.
#pragma once

#include "chat/fanout/sequencer.hpp"
#include "parley/bus/bus.hpp"
#include "parley/net.hpp"
#include "parley/ws/frame.hpp"
#include "parley/ws/session.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
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
    // The room's newest seq the session has (its join read it from the store, and replayed up to
    // it): messages up to it are not delivered to it again.
    std::int64_t after_seq = 0;
};

// A new_message event read from the store.
struct sequenced_event {
    std::int64_t seq = 0;
    std::string event; // the JSON frame text
};
// The room's new_message events after `after`, oldest first, at most `limit`.
using history_fn = std::function<net::awaitable<std::vector<sequenced_event>>(
    std::int64_t room_id, std::int64_t after, std::size_t limit)>;

struct hub_options {
    std::chrono::milliseconds reorder_wait{250}; // PARLEY_CHAT_REORDER_WAIT
    std::size_t max_held = 256;                  // early messages held per room
    std::size_t recent = 512;        // delivered frames kept per room, for joins that lag behind
    std::size_t history_batch = 500; // rows per store read of a repair
    // Rooms are spread over this many lanes (by id); each lane delivers the events that reached
    // it in arrival order, one drain at a time on the executor, the lanes in parallel (set to the
    // process's I/O threads). 1: events are delivered on the bus's thread as they arrive.
    std::size_t lanes = 1;
    // After a drain a lane pauses for a few times what the drain took, at most this long
    // (PARLEY_CHAT_FANOUT_MAX_PAUSE; 0: never).
    std::chrono::milliseconds max_pause{5};
};

class room_hub {
public:
    room_hub(bus::bus& bus, net::any_io_executor executor, hub_options options = {});
    ~room_hub();
    room_hub(room_hub const&) = delete;
    room_hub& operator=(room_hub const&) = delete;

    // Where repairs read missed messages from; set before the first join. Without it a gap that
    // the bus does not fill is skipped after reorder_wait.
    void set_history(history_fn history);

    // Adds the session to the room (no-op when it is there already). Messages the room delivered
    // after m.after_seq are queued to the session first (from the recent frames; when it is
    // further behind, they are read from the store and sent soon after, before any later one).
    // Returns the newest seq the session has been sent now (at least m.after_seq).
    std::int64_t join(std::int64_t room_id, room_member m);
    // Removes the session; the last local session unsubscribes the room's channel.
    void leave(std::int64_t room_id, std::uint64_t session_id);
    // Removes every session of the user from the room and tells their listeners.
    std::size_t evict(std::int64_t room_id, std::int64_t user_id);

    // Publishes a serialized event to the room on every process.
    void publish(std::int64_t room_id, std::string_view event_json, event_routing r = {});

    // Sends an unsequenced event to this process's sessions in the room only: what each replica
    // works out for its own sessions (another replica's users gone with it).
    void send_here(std::int64_t room_id, std::string_view event_json);

    // Sends a frame to one session after what the lanes of these rooms hold now: an ack comes
    // after the sender's own copy of its message, a pong after every event already on its way to
    // the session's rooms.
    void send_after(std::span<std::int64_t const> room_ids, ws::session& to, ws::frame f);

    std::size_t local_sessions(std::int64_t room_id) const;

    static std::string channel_of(std::int64_t room_id)
    {
        return "room:" + std::to_string(room_id);
    }

private:
    struct shared_settings {
        net::any_io_executor executor;
        hub_options options;
        history_fn history;
    };
    struct delivery {
        ws::frame frame;
        std::int64_t skip_user = 0;
    };
    using order_type = sequencer<delivery>;
    struct room_state {
        room_state(std::int64_t id, std::shared_ptr<shared_settings const> s, std::int64_t last)
            : room_id(id), settings(std::move(s)), order(last, settings->options.max_held)
        {}
        std::int64_t const room_id;
        std::shared_ptr<shared_settings const> const settings;
        mutable std::mutex mutex;
        std::shared_ptr<std::vector<room_member> const> members =
            std::make_shared<std::vector<room_member> const>();
        order_type order;
        std::deque<std::pair<std::int64_t, ws::frame>> recent; // delivered, oldest first
        // Sessions that joined behind the room by more than `recent` holds: until their missed
        // range has been read from the store, what the room releases waits here for them.
        struct catch_up {
            std::int64_t upto = 0; // the room's last seq at their join
            std::vector<ws::frame> waiting;
        };
        std::unordered_map<std::uint64_t, catch_up> catching_up;
        std::uint64_t gap = 0;     // counts the gaps opened (a timer knows its own)
        bool repairing = false;    // a repair coroutine runs
        bool repair_again = false; // asked for while it ran
    };
    struct entry {
        std::shared_ptr<room_state> state;
        std::unique_ptr<bus::subscription> subscription;
    };
    struct lane;
    std::shared_ptr<lane> lane_of(std::int64_t room_id) const; // null: no lanes
    std::int64_t join_locked(std::int64_t room_id, room_member m,
                             std::shared_ptr<room_state>& behind);
    static void deliver(std::shared_ptr<room_state> const& room, bus::payload const& payload);
    // Unsequenced events (typing, presence): at once, to whoever is in the room now.
    static void deliver_unsequenced(room_state& room, std::string_view event,
                                    std::int64_t skip_user);
    // Queues released messages to the room's sessions (room lock held).
    static void release_locked(room_state& room, std::vector<order_type::entry>& released);
    static void request_repair(std::shared_ptr<room_state> const& room);
    static net::awaitable<void> expire(std::shared_ptr<room_state> room, std::uint64_t gap);
    static net::awaitable<void> repair(std::shared_ptr<room_state> room);
    static net::awaitable<void> catch_up(std::shared_ptr<room_state> room, std::uint64_t session,
                                         std::int64_t after);

    bus::bus& bus_;
    std::shared_ptr<shared_settings> settings_;
    mutable std::mutex mutex_; // guards rooms_ and every room's list changes
    std::unordered_map<std::int64_t, entry> rooms_;
    std::vector<std::shared_ptr<lane>> lanes_; // empty: one lane, the bus's thread
};

} // namespace parley::chat_app
