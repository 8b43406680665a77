#include "chat/realtime/presence_announcer.hpp"

#include "chat/realtime/events.hpp"
#include "parley/log/log.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>

namespace parley::chat_app {

presence_announcer::presence_announcer(net::any_io_executor executor, room_hub& hub,
                                       presence& online, std::chrono::milliseconds interval)
    : hub_(hub), online_(online), interval_(interval), timer_(std::move(executor))
{}

bool presence_announcer::is_online(std::int64_t room_id, std::int64_t user_id) const
{
    auto const users = online_.online(room_id);
    return std::any_of(users.begin(), users.end(),
                       [user_id](auto const& u) { return u.user_id == user_id; });
}

void presence_announcer::publish_online_list(std::int64_t room_id)
{
    hub_.publish(room_id, events::online_users(room_id, online_.online(room_id)));
}

void presence_announcer::announce(key k, entry& e, bool online, clock::time_point now)
{
    if (online)
        hub_.publish(k.room_id, events::user_joined(k.room_id, k.user_id, e.username));
    else
        hub_.publish(k.room_id, events::user_left(k.room_id, k.user_id, e.username));
    publish_online_list(k.room_id);
    e.announced_online = online;
    e.announced_at = now;
    e.held = false;
}

bool presence_announcer::changed(std::int64_t room_id, std::int64_t user_id,
                                 std::string_view username, bool online)
{
    auto const now = clock::now();
    std::lock_guard lock(mutex_);
    auto [it, fresh] = entries_.try_emplace(key{room_id, user_id});
    auto& e = it->second;
    if (!username.empty())
        e.username = username;
    if (fresh || now - e.announced_at >= interval_) {
        if (!fresh && e.announced_online == online) {
            // Back where the room last heard (a held change undone): nothing to announce, but
            // sessions that joined meanwhile got a list without this user; the list again.
            publish_online_list(room_id);
            e.announced_at = now;
            e.held = false;
            return true;
        }
        announce(it->first, e, online, now);
        return true;
    }
    e.held = true;
    return false;
}

void presence_announcer::announce_now(std::int64_t room_id, std::int64_t user_id,
                                      std::string_view username, bool online)
{
    std::lock_guard lock(mutex_);
    auto& e = entries_[key{room_id, user_id}];
    if (!username.empty())
        e.username = username;
    announce(key{room_id, user_id}, e, online, clock::now());
}

void presence_announcer::end_held_intervals()
{
    auto const now = clock::now();
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
        auto& [k, e] = *it;
        if (now - e.announced_at < interval_) {
            ++it;
            continue;
        }
        if (e.held) {
            auto const online = is_online(k.room_id, k.user_id);
            if (online != e.announced_online)
                announce(k, e, online, now);
            else // no net change, but a session that joined meanwhile has an older list
                publish_online_list(k.room_id);
            e.held = false;
            ++it;
        } else if (!e.announced_online) {
            it = entries_.erase(it); // gone and quiet: nothing to remember
        } else {
            ++it;
        }
    }
}

void presence_announcer::start()
{
    net::co_spawn(
        timer_.get_executor(), [self = shared_from_this()] { return self->loop(); },
        log::on_failure{"presence announcer stopped"});
}

void presence_announcer::stop()
{
    stopping_ = true;
    net::dispatch(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

net::awaitable<void> presence_announcer::loop()
{
    auto const tick = std::max(std::chrono::milliseconds(10), interval_ / 4);
    while (!stopping_) {
        timer_.expires_after(tick);
        co_await timer_.async_wait(use_tuple);
        if (stopping_)
            break;
        try {
            end_held_intervals();
        } catch (std::exception const& e) {
            log::error("presence announcement failed", {{"error", e.what()}});
        }
    }
}

} // namespace parley::chat_app
