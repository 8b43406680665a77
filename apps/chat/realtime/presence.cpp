#include "chat/realtime/presence.hpp"

#include "parley/time/utc.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace parley::chat_app {

bool presence::add(std::int64_t room_id, std::int64_t user_id, std::string_view username)
{
    std::lock_guard lock(mutex_);
    auto& users = local_[room_id];
    auto it = std::find_if(users.begin(), users.end(),
                           [&](auto const& u) { return u.user.user_id == user_id; });
    if (it != users.end()) {
        ++it->sessions;
        return false;
    }
    bool const elsewhere = online_remotely(room_id, user_id);
    users.push_back({online_user{user_id, std::string(username), utc_timestamp_ms()}, 1});
    record({.online = true, .room_id = room_id, .user = users.back().user});
    return !elsewhere;
}

bool presence::remove(std::int64_t room_id, std::int64_t user_id)
{
    return drop(room_id, user_id, false);
}

bool presence::remove_all(std::int64_t room_id, std::int64_t user_id)
{
    return drop(room_id, user_id, true);
}

bool presence::drop(std::int64_t room_id, std::int64_t user_id, bool all)
{
    std::lock_guard lock(mutex_);
    auto room = local_.find(room_id);
    if (room == local_.end())
        return false;
    auto& users = room->second;
    auto it = std::find_if(users.begin(), users.end(),
                           [&](auto const& u) { return u.user.user_id == user_id; });
    if (it == users.end())
        return false;
    if (!all && --it->sessions > 0)
        return false;
    users.erase(it);
    if (users.empty())
        local_.erase(room);
    record({.online = false,
            .room_id = room_id,
            .user = {.user_id = user_id, .username = {}, .joined_at = {}}});
    return !online_remotely(room_id, user_id);
}

void presence::record(presence_change change)
{
    ++version_;
    if (keep_changes_)
        changes_.push_back(std::move(change));
}

bool presence::online_remotely(std::int64_t room_id, std::int64_t user_id) const
{
    for (auto const& [replica, r] : remote_)
        if (auto room = r.rooms.find(room_id);
            room != r.rooms.end() && room->second.contains(user_id))
            return true;
    return false;
}

bool presence::online_anywhere(std::int64_t room_id, std::int64_t user_id) const
{
    if (auto room = local_.find(room_id); room != local_.end())
        for (auto const& u : room->second)
            if (u.user.user_id == user_id)
                return true;
    return online_remotely(room_id, user_id);
}

std::vector<online_user> presence::online(std::int64_t room_id) const
{
    std::vector<online_user> out;
    std::set<std::int64_t> seen;
    std::lock_guard lock(mutex_);
    if (auto room = local_.find(room_id); room != local_.end())
        for (auto const& u : room->second)
            if (seen.insert(u.user.user_id).second)
                out.push_back(u.user);
    for (auto const& [replica, r] : remote_) {
        auto room = r.rooms.find(room_id);
        if (room == r.rooms.end())
            continue;
        for (auto const& [user_id, u] : room->second) {
            if (seen.insert(user_id).second) {
                out.push_back(u);
                continue;
            }
            auto same = std::find_if(out.begin(), out.end(),
                                     [id = user_id](auto const& o) { return o.user_id == id; });
            if (u.joined_at < same->joined_at)
                same->joined_at = u.joined_at;
        }
    }
    // ISO 8601 UTC stamps sort as text; the stable sort keeps this process's arrival order
    // within one millisecond.
    std::stable_sort(out.begin(), out.end(),
                     [](auto const& a, auto const& b) { return a.joined_at < b.joined_at; });
    return out;
}

std::vector<online_user> presence::local(std::int64_t room_id) const
{
    std::vector<online_user> out;
    std::lock_guard lock(mutex_);
    if (auto room = local_.find(room_id); room != local_.end())
        for (auto const& u : room->second)
            out.push_back(u.user);
    return out;
}

void presence::keep_changes()
{
    std::lock_guard lock(mutex_);
    keep_changes_ = true;
}

std::pair<std::vector<presence_change>, std::uint64_t> presence::take_changes()
{
    std::lock_guard lock(mutex_);
    return {std::exchange(changes_, {}), version_};
}

std::pair<presence_entries, std::uint64_t> presence::snapshot() const
{
    presence_entries out;
    std::lock_guard lock(mutex_);
    for (auto const& [room_id, users] : local_)
        for (auto const& u : users)
            out.emplace_back(room_id, u.user);
    return {std::move(out), version_};
}

std::vector<presence_effect> presence::swap_remote(remote_state& r, room_users next)
{
    auto before = std::exchange(r.rooms, std::move(next));
    std::set<std::int64_t> rooms;
    for (auto const& [room_id, users] : before)
        rooms.insert(room_id);
    for (auto const& [room_id, users] : r.rooms)
        rooms.insert(room_id);
    std::vector<presence_effect> effects;
    for (auto room_id : rooms) {
        auto was = before.find(room_id);
        auto is = r.rooms.find(room_id);
        bool const had = was != before.end(), has = is != r.rooms.end();
        auto const same = [](auto const& a, auto const& b) {
            return a.size() == b.size() &&
                   std::equal(a.begin(), a.end(), b.begin(),
                              [](auto const& x, auto const& y) { return x.first == y.first; });
        };
        if (had && has && same(was->second, is->second))
            continue;
        presence_effect e{.room_id = room_id, .gone = {}};
        if (had)
            for (auto const& [user_id, u] : was->second)
                if (!online_anywhere(room_id, user_id))
                    e.gone.push_back(u);
        effects.push_back(std::move(e));
    }
    return effects;
}

std::vector<presence_effect> presence::apply(std::string const& replica, std::uint64_t version,
                                             std::vector<presence_change> const& changes)
{
    std::lock_guard lock(mutex_);
    auto& r = remote_[replica];
    if (version <= r.version)
        return {}; // known already (from a snapshot read after these changes)
    auto next = r.rooms;
    for (auto const& c : changes) {
        if (c.online) {
            next[c.room_id][c.user.user_id] = c.user;
        } else if (auto room = next.find(c.room_id); room != next.end()) {
            room->second.erase(c.user.user_id);
            if (room->second.empty())
                next.erase(room);
        }
    }
    r.version = version;
    return swap_remote(r, std::move(next));
}

std::vector<presence_effect> presence::replace(std::string const& replica, std::uint64_t version,
                                               presence_entries const& entries)
{
    std::lock_guard lock(mutex_);
    auto& r = remote_[replica];
    if (version < r.version)
        return {};
    room_users next;
    for (auto const& [room_id, u] : entries)
        next[room_id][u.user_id] = u;
    r.version = version;
    return swap_remote(r, std::move(next));
}

std::vector<presence_effect> presence::forget(std::string const& replica)
{
    std::lock_guard lock(mutex_);
    auto it = remote_.find(replica);
    if (it == remote_.end())
        return {};
    auto effects = swap_remote(it->second, {});
    remote_.erase(it);
    return effects;
}

std::vector<std::string> presence::replicas() const
{
    std::vector<std::string> out;
    std::lock_guard lock(mutex_);
    for (auto const& [replica, r] : remote_)
        out.push_back(replica);
    return out;
}

} // namespace parley::chat_app
