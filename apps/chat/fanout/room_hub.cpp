#include "chat/fanout/room_hub.hpp"

#include "chat/fanout/envelope.hpp"

#include <algorithm>

namespace parley::chat_app {

room_hub::~room_hub()
{
    std::unordered_map<std::int64_t, entry> rooms;
    {
        std::lock_guard lock(mutex_);
        rooms.swap(rooms_);
    }
    rooms.clear(); // unsubscribes outside our lock
}

void room_hub::deliver(room_state const& room, bus::payload const& payload)
{
    std::shared_ptr<std::vector<room_member> const> members;
    {
        std::lock_guard lock(room.mutex);
        members = room.members;
    }
    if (members->empty())
        return;
    auto const e = decode(*payload);
    if (!e)
        return;                                   // not ours
    auto const frame = ws::frame::text(e->event); // encoded once for every local recipient
    for (auto const& m : *members)
        if (m.user_id != e->skip_user || e->skip_user == 0)
            m.session->send(frame);
}

void room_hub::join(std::int64_t room_id, room_member m)
{
    std::lock_guard lock(mutex_);
    auto& e = rooms_[room_id];
    if (!e.state) {
        e.state = std::make_shared<room_state>();
        std::weak_ptr<room_state> weak = e.state;
        auto on_event = [weak](std::string_view, bus::payload const& p) {
            if (auto room = weak.lock())
                deliver(*room, p);
        };
        e.subscription = bus_.subscribe(channel_of(room_id), on_event);
    }
    std::lock_guard room_lock(e.state->mutex);
    auto const& current = *e.state->members;
    auto const id = m.session->id();
    if (std::any_of(current.begin(), current.end(),
                    [id](auto const& x) { return x.session->id() == id; }))
        return;
    auto next = std::make_shared<std::vector<room_member>>(current);
    next->push_back(std::move(m));
    e.state->members = std::move(next);
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
