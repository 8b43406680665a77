#include "chat/fanout/room_hub.hpp"

#include "chat/fanout/envelope.hpp"
#include "parley/log/log.hpp"
#include "parley/metrics/metrics.hpp"
#include "parley/ws/flush_scope.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace parley::chat_app {

namespace {

struct order_metrics {
    metrics::counter_series& held = metrics::counter(
        "parley_chat_reorder_held_total", "Messages from the bus held back for a predecessor");
    metrics::counter_series& duplicates = metrics::counter(
        "parley_chat_reorder_duplicates_total", "Messages from the bus already delivered");
    metrics::counter_series& repairs =
        metrics::counter("parley_chat_reorder_repairs_total", "Store reads of missed messages");
    metrics::counter_series& repaired = metrics::counter(
        "parley_chat_reorder_repaired_total", "Messages delivered from the store after a gap");
    metrics::counter_series& catch_ups =
        metrics::counter("parley_chat_reorder_join_catch_ups_total",
                         "Joins further behind the room than its recent messages (store read)");
};

order_metrics& counters()
{
    static order_metrics m;
    return m;
}

} // namespace

// One lane of the fan-out: the events of its rooms in arrival order, delivered by one drain at
// a time on the executor, each drain inside one flush_scope (a session's frames of a drain go
// in one write). After a drain the lane pauses for a few times what the drain took (at most
// max_pause) before the next one: under load the events of that time share each session's write,
// as in a busy event loop (the kernel's send path per write is most of a delivery's cost), while
// at light load, where a drain takes microseconds, nothing waits.
struct room_hub::lane : std::enable_shared_from_this<lane> {
    using clock = std::chrono::steady_clock;

    lane(net::any_io_executor e, clock::duration max_pause)
        : executor(e), max_pause(max_pause), pause(std::move(e))
    {}

    // An event for a room's sessions, or (room unset) a frame for one session, sent once it has
    // passed through the lanes in `then` too.
    struct item {
        std::shared_ptr<room_state> room;
        bus::payload payload;
        std::shared_ptr<ws::session> to;
        ws::frame frame;
        std::vector<std::shared_ptr<lane>> then;
    };

    void push(item i)
    {
        {
            std::lock_guard lock(mutex);
            queue.push_back(std::move(i));
            if (scheduled)
                return;
            scheduled = true;
        }
        net::post(executor, [self = shared_from_this()] { self->start_drain(); });
    }

    // Runs on the executor with `scheduled` set, so one at a time: the timer and next_start are
    // touched by no other thread meanwhile.
    void start_drain()
    {
        if (clock::now() < next_start) {
            pause.expires_at(next_start);
            pause.async_wait(
                [self = shared_from_this()](boost::system::error_code) { self->drain(); });
            return;
        }
        drain();
    }

    void drain()
    {
        auto const start = clock::now();
        std::vector<item> batch;
        for (;;) {
            {
                std::lock_guard lock(mutex);
                if (queue.empty()) {
                    scheduled = false;
                    auto const end = clock::now();
                    next_start = end + std::min((end - start) * pause_per_drain, max_pause);
                    return;
                }
                batch.swap(queue);
            }
            ws::flush_scope one_write_per_session;
            for (auto& i : batch) {
                if (i.room) {
                    deliver(i.room, i.payload);
                } else if (!i.then.empty()) {
                    auto next = std::move(i.then.back());
                    i.then.pop_back();
                    next->push(std::move(i));
                } else {
                    i.to->send(i.frame);
                }
            }
            batch.clear();
        }
    }

    // The pause after a drain, in drains' durations: 3 (a lane busy a quarter of the time, the
    // rest gathering) took rooms-100 at 4,000 msg/s from 300k to 370k deliveries/s, 3.7 to
    // 2.45 µs each; 1 gathered too little to matter.
    static constexpr int pause_per_drain = 3;
    net::any_io_executor const executor;
    clock::duration const max_pause;
    net::steady_timer pause;
    clock::time_point next_start{}; // the previous drain's end and pause
    std::mutex mutex;
    std::vector<item> queue;
    bool scheduled = false; // a drain is posted, pausing or running
};

room_hub::room_hub(bus::bus& bus, net::any_io_executor executor, hub_options options)
    : bus_(bus), settings_(std::make_shared<shared_settings>(
                     shared_settings{std::move(executor), options, history_fn()}))
{
    if (options.lanes > 1)
        for (std::size_t i = 0; i < options.lanes; ++i)
            lanes_.push_back(std::make_shared<lane>(settings_->executor, options.max_pause));
}

room_hub::~room_hub()
{
    std::unordered_map<std::int64_t, entry> rooms;
    {
        std::lock_guard lock(mutex_);
        rooms.swap(rooms_);
    }
    rooms.clear(); // unsubscribes outside our lock
}

void room_hub::set_history(history_fn history)
{
    settings_->history = std::move(history);
}

void room_hub::release_locked(room_state& room, std::vector<order_type::entry>& released)
{
    auto const& members = *room.members;
    auto const keep = room.settings->options.recent;
    for (auto& r : released) {
        for (auto const& m : members) {
            if (r.seq <= m.after_seq || (r.item.skip_user != 0 && m.user_id == r.item.skip_user))
                continue;
            if (!room.catching_up.empty())
                if (auto it = room.catching_up.find(m.session->id());
                    it != room.catching_up.end()) {
                    it->second.waiting.push_back(r.item.frame);
                    continue;
                }
            m.session->send(r.item.frame);
        }
        if (keep > 0) {
            if (room.recent.size() >= keep)
                room.recent.pop_front();
            room.recent.emplace_back(r.seq, std::move(r.item.frame));
        }
    }
    released.clear();
}

void room_hub::deliver_unsequenced(room_state& room, std::string_view event, std::int64_t skip_user)
{
    std::shared_ptr<std::vector<room_member> const> members;
    {
        std::lock_guard lock(room.mutex);
        members = room.members;
    }
    if (members->empty())
        return;
    auto const frame = ws::frame::text(event); // encoded once for every local recipient
    for (auto const& m : *members)
        if (m.user_id != skip_user || skip_user == 0)
            m.session->send(frame);
}

void room_hub::deliver(std::shared_ptr<room_state> const& room, bus::payload const& payload)
{
    auto const e = decode(*payload);
    if (!e)
        return; // not ours
    if (e->seq <= 0) {
        deliver_unsequenced(*room, e->event, e->skip_user);
        return;
    }
    std::vector<order_type::entry> released;
    bool opened = false, overflow = false;
    std::uint64_t gap = 0;
    {
        std::lock_guard lock(room->mutex);
        if (e->seq <= room->order.last()) {
            counters().duplicates.inc();
            return; // a duplicate: not even framed
        }
        bool const was_waiting = room->order.waiting();
        auto const frame = ws::frame::text(e->event);
        auto const outcome = room->order.offer(e->seq, delivery{frame, e->skip_user}, released);
        overflow = outcome == order_type::outcome::dropped;
        if (outcome == order_type::outcome::held)
            counters().held.inc();
        release_locked(*room, released);
        if (room->order.waiting() && !was_waiting) {
            opened = true;
            gap = ++room->gap;
        }
    }
    if (overflow)
        request_repair(room); // the store has what did not fit
    else if (opened)
        net::co_spawn(room->settings->executor, expire(room, gap), net::detached);
}

net::awaitable<void> room_hub::expire(std::shared_ptr<room_state> room, std::uint64_t gap)
{
    net::steady_timer timer(room->settings->executor);
    timer.expires_after(room->settings->options.reorder_wait);
    co_await timer.async_wait(use_tuple);
    {
        std::lock_guard lock(room->mutex);
        if (!room->order.waiting() || room->gap != gap)
            co_return; // closed by the bus in time (or a newer gap has its own timer)
    }
    request_repair(room);
}

void room_hub::request_repair(std::shared_ptr<room_state> const& room)
{
    {
        std::lock_guard lock(room->mutex);
        if (room->repairing) {
            room->repair_again = true;
            return;
        }
        room->repairing = true;
        room->repair_again = false;
    }
    net::co_spawn(room->settings->executor, repair(room), net::detached);
}

// Reads what came after the last delivered seq from the store until the gap is closed and the
// store has nothing newer, delivering in order (the held ones join in as they become next).
net::awaitable<void> room_hub::repair(std::shared_ptr<room_state> room)
{
    auto const& settings = *room->settings;
    auto const batch = std::max<std::size_t>(settings.options.history_batch, 1);
    int stalled = 0; // reads in a row that closed nothing while something was held
    for (;;) {
        std::int64_t after;
        {
            std::lock_guard lock(room->mutex);
            after = room->order.last();
            room->repair_again = false;
        }
        std::vector<sequenced_event> rows;
        bool failed = false;
        counters().repairs.inc();
        if (settings.history) {
            try {
                auto pending = settings.history(room->room_id, after, batch);
                rows = co_await std::move(pending);
            } catch (std::exception const& ex) {
                failed = true;
                log::warn("room repair could not read the store",
                          {{"room_id", room->room_id}, {"error", ex.what()}});
            }
        }
        bool again = false;
        {
            ws::flush_scope one_write_per_session; // closes after the lock below is released
            std::lock_guard lock(room->mutex);
            std::vector<order_type::entry> released;
            for (auto& r : rows)
                if (r.seq > room->order.last() &&
                    room->order.offer(r.seq, delivery{ws::frame::text(r.event), 0}, released) ==
                        order_type::outcome::released)
                    counters().repaired.inc();
            bool const progress = room->order.last() > after;
            stalled = progress ? 0 : stalled + 1;
            if (room->order.waiting() && !failed && stalled >= 3) {
                // The store has nothing before the held ones (their rows are gone): move on.
                log::warn("room repair skips a gap the store cannot fill",
                          {{"room_id", room->room_id},
                           {"last_seq", room->order.last()},
                           {"held", static_cast<std::int64_t>(room->order.held())}});
                room->order.skip_gap(released);
            }
            release_locked(*room, released);
            again = rows.size() == batch || room->repair_again ||
                    (room->order.waiting() && !room->members->empty());
            if (!again)
                room->repairing = false;
        }
        if (!again)
            co_return;
        if (failed || stalled > 0) {
            // The store is down, or the missing rows are not visible yet: not in a busy loop.
            net::steady_timer pause(settings.executor);
            pause.expires_after(failed ? std::chrono::milliseconds(1'000)
                                       : std::chrono::milliseconds(50));
            co_await pause.async_wait(use_tuple);
        }
    }
}

// Sends a session that joined far behind the room what it missed, from the store, then what the
// room released meanwhile; from then on it is served live like the others.
net::awaitable<void> room_hub::catch_up(std::shared_ptr<room_state> room, std::uint64_t session,
                                        std::int64_t after)
{
    auto const& settings = *room->settings;
    std::int64_t upto;
    {
        std::lock_guard lock(room->mutex);
        auto it = room->catching_up.find(session);
        if (it == room->catching_up.end())
            co_return;
        upto = it->second.upto;
    }
    std::vector<sequenced_event> rows;
    auto const batch = std::max<std::size_t>(settings.options.history_batch, 1);
    std::int64_t from = after;
    int failures = 0;
    while (settings.history && from < upto) {
        bool failed = false;
        try {
            auto const want = std::min(batch, static_cast<std::size_t>(upto - from));
            auto pending = settings.history(room->room_id, from, want);
            auto more = co_await std::move(pending);
            for (auto& r : more)
                if (r.seq > from && r.seq <= upto) {
                    from = r.seq;
                    rows.push_back(std::move(r));
                }
            if (more.size() < want)
                break; // the rest is gone from the store: the client's gap check backfills
        } catch (std::exception const& ex) {
            failed = true;
            log::warn("catch-up of a joining session could not read the store",
                      {{"room_id", room->room_id}, {"error", ex.what()}});
        }
        if (!failed)
            continue;
        if (++failures >= 10)
            break;
        net::steady_timer pause(settings.executor);
        pause.expires_after(std::chrono::milliseconds(500));
        co_await pause.async_wait(use_tuple);
    }
    ws::flush_scope one_write; // closes after the lock below is released
    std::lock_guard lock(room->mutex);
    auto it = room->catching_up.find(session);
    if (it == room->catching_up.end())
        co_return; // it left meanwhile
    auto waiting = std::move(it->second.waiting);
    room->catching_up.erase(it);
    std::shared_ptr<ws::session> target;
    for (auto const& m : *room->members)
        if (m.session->id() == session)
            target = m.session;
    if (!target)
        co_return;
    for (auto const& r : rows)
        if (r.seq > after)
            target->send(ws::frame::text(r.event));
    for (auto const& f : waiting)
        target->send(f);
}

std::int64_t room_hub::join(std::int64_t room_id, room_member m)
{
    std::shared_ptr<room_state> behind; // a catch-up to start once our locks are released
    auto const session_id = m.session->id();
    auto const after = m.after_seq;
    auto const upto = join_locked(room_id, std::move(m), behind);
    // (co_spawn may run the coroutine at once, in this thread: never under the room's lock.)
    if (behind)
        net::co_spawn(behind->settings->executor, catch_up(behind, session_id, after),
                      net::detached);
    return upto;
}

std::int64_t room_hub::join_locked(std::int64_t room_id, room_member m,
                                   std::shared_ptr<room_state>& behind)
{
    std::lock_guard lock(mutex_);
    auto& e = rooms_[room_id];
    if (!e.state) {
        // The first local session: the room's order starts at what its join read from the store.
        e.state = std::make_shared<room_state>(room_id, settings_, m.after_seq);
        std::weak_ptr<room_state> weak = e.state;
        auto on_event = [weak, its_lane = lane_of(room_id)](std::string_view,
                                                            bus::payload const& p) {
            if (auto room = weak.lock()) {
                if (its_lane)
                    its_lane->push(
                        {.room = std::move(room), .payload = p, .to = {}, .frame = {}, .then = {}});
                else
                    deliver(room, p);
            }
        };
        // Published between the join's read and the subscription taking effect: read from the
        // store once the bus says the subscription is in effect (and after each reconnect).
        auto on_gap = [weak](std::string_view) {
            if (auto room = weak.lock())
                request_repair(room);
        };
        e.subscription = bus_.subscribe(channel_of(room_id), on_event, on_gap);
    }
    auto& room = *e.state;
    std::lock_guard room_lock(room.mutex);
    auto const& current = *room.members;
    auto const id = m.session->id();
    auto const last = room.order.last();
    if (std::any_of(current.begin(), current.end(),
                    [id](auto const& x) { return x.session->id() == id; }))
        return std::max(last, m.after_seq);
    if (m.after_seq < last) {
        // The room delivered messages committed after this join read the store: they come from
        // the recently delivered frames (a gap beyond them the client backfills from history).
        auto it = std::find_if(room.recent.begin(), room.recent.end(),
                               [&](auto const& r) { return r.first > m.after_seq; });
        if (it != room.recent.end() && it->first == m.after_seq + 1) {
            for (; it != room.recent.end(); ++it)
                m.session->send(it->second);
            m.after_seq = last;
        } else {
            // Further behind than the recent frames: (after_seq, last] is read from the store for
            // this session, and what the room releases meanwhile waits for it.
            room.catching_up[id] = room_state::catch_up{.upto = last, .waiting = {}};
            counters().catch_ups.inc();
            behind = e.state;
        }
    }
    auto const upto = m.after_seq;
    auto next = std::make_shared<std::vector<room_member>>(current);
    next->push_back(std::move(m));
    room.members = std::move(next);
    return upto;
}

void room_hub::leave(std::int64_t room_id, std::uint64_t session_id)
{
    std::unique_ptr<bus::subscription> dropped;
    {
        std::lock_guard lock(mutex_);
        auto it = rooms_.find(room_id);
        if (it == rooms_.end())
            return;
        auto& state = *it->second.state;
        std::lock_guard room_lock(state.mutex);
        auto next = std::make_shared<std::vector<room_member>>(*state.members);
        std::erase_if(*next, [session_id](auto const& x) { return x.session->id() == session_id; });
        state.catching_up.erase(session_id);
        if (next->empty()) {
            state.members = std::move(next);
            dropped = std::move(it->second.subscription);
            rooms_.erase(it);
        } else {
            state.members = std::move(next);
        }
    }
    // Unsubscribing waits for a delivery in progress: never under our lock.
    dropped.reset();
}

std::size_t room_hub::evict(std::int64_t room_id, std::int64_t user_id)
{
    std::vector<room_member> removed;
    std::unique_ptr<bus::subscription> dropped;
    {
        std::lock_guard lock(mutex_);
        auto it = rooms_.find(room_id);
        if (it == rooms_.end())
            return 0;
        auto& state = *it->second.state;
        std::lock_guard room_lock(state.mutex);
        auto next = std::make_shared<std::vector<room_member>>();
        for (auto const& m : *state.members)
            (m.user_id == user_id ? removed : *next).push_back(m);
        if (removed.empty())
            return 0;
        for (auto const& m : removed)
            state.catching_up.erase(m.session->id());
        if (next->empty()) {
            dropped = std::move(it->second.subscription);
            state.members = std::move(next);
            rooms_.erase(it);
        } else {
            state.members = std::move(next);
        }
    }
    dropped.reset();
    for (auto const& m : removed)
        if (auto l = m.listener.lock())
            l->evicted(room_id);
    return removed.size();
}

void room_hub::publish(std::int64_t room_id, std::string_view event_json, event_routing r)
{
    auto payload = encode({.seq = r.seq, .skip_user = r.skip_user, .event = event_json});
    bus_.publish(channel_of(room_id), bus::make_payload(std::move(payload)));
}

void room_hub::send_here(std::int64_t room_id, std::string_view event_json)
{
    std::shared_ptr<room_state> room;
    {
        std::lock_guard lock(mutex_);
        auto it = rooms_.find(room_id);
        if (it == rooms_.end())
            return;
        room = it->second.state;
    }
    deliver_unsequenced(*room, event_json, 0);
}

void room_hub::send_after(std::span<std::int64_t const> room_ids, ws::session& to, ws::frame f)
{
    // No allocation for one room (an ack): `then` holds only the further lanes.
    std::shared_ptr<lane> first;
    std::vector<std::shared_ptr<lane>> then;
    for (auto room_id : room_ids) {
        auto l = lane_of(room_id);
        if (!l || l == first || std::ranges::find(then, l) != then.end())
            continue;
        if (!first)
            first = std::move(l);
        else
            then.push_back(std::move(l));
    }
    if (!first) {
        to.send(std::move(f));
        return;
    }
    first->push({.room = {},
                 .payload = {},
                 .to = to.shared_from_this(),
                 .frame = std::move(f),
                 .then = std::move(then)});
}

std::shared_ptr<room_hub::lane> room_hub::lane_of(std::int64_t room_id) const
{
    if (lanes_.empty())
        return nullptr;
    return lanes_[static_cast<std::uint64_t>(room_id) % lanes_.size()];
}

std::size_t room_hub::local_sessions(std::int64_t room_id) const
{
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(room_id);
    if (it == rooms_.end())
        return 0;
    std::lock_guard room_lock(it->second.state->mutex);
    return it->second.state->members->size();
}

} // namespace parley::chat_app
