#include "chat/realtime/presence_sync.hpp"

#include "chat/realtime/events.hpp"
#include "parley/bus/replicas.hpp"
#include "parley/json/json.hpp"
#include "parley/log/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <charconv>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <unistd.h>

// GCC 12 false positive on Asio coroutine frames (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace parley::chat_app {

namespace {

constexpr std::string_view service_name = "chat";
constexpr std::string_view channel = "presence:chat";
constexpr std::string_view version_field = "@version";

// Unique among the replicas: the host (a pod's name), the process and a random part (a pid
// reused after a restart on the same host is another replica).
std::string make_replica_id()
{
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    std::random_device random;
    char suffix[9];
    std::snprintf(suffix, sizeof suffix, "%08x", random());
    return std::string(host[0] ? host : "localhost") + "-" + std::to_string(::getpid()) + "-" +
           suffix;
}

// The hash holding a replica's rooms and users.
std::string presence_key(std::string_view replica)
{
    return "parley:presence:chat:" + std::string(replica);
}

std::string field_of(std::int64_t room_id, std::int64_t user_id)
{
    return std::to_string(room_id) + ":" + std::to_string(user_id);
}

std::string value_of(online_user const& u)
{
    return json::serialize(
        boost::json::object{{"username", u.username}, {"joined_at", u.joined_at}});
}

bool parse_field(std::string_view field, std::int64_t& room_id, std::int64_t& user_id)
{
    auto const colon = field.find(':');
    if (colon == std::string_view::npos)
        return false;
    auto const room = field.substr(0, colon), user = field.substr(colon + 1);
    return std::from_chars(room.data(), room.data() + room.size(), room_id).ec == std::errc() &&
           std::from_chars(user.data(), user.data() + user.size(), user_id).ec == std::errc();
}

std::uint64_t parse_version(std::string_view text)
{
    std::uint64_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v;
}

} // namespace

presence_sync::presence_sync(net::any_io_executor executor, bus::redis::endpoint redis,
                             bus::bus& bus, presence& online, room_hub& hub,
                             std::function<boost::json::object()> report,
                             presence_sync_options options)
    : id_(make_replica_id()), hash_(presence_key(id_)),
      redis_(executor, std::move(redis), bus::redis::client_options{.name = "redis-presence"}),
      bus_(bus), online_(online), hub_(hub), report_(std::move(report)), options_(options),
      timer_(executor)
{
    online_.keep_changes();
}

void presence_sync::start()
{
    std::weak_ptr<presence_sync> weak = shared_from_this();
    subscription_ = bus_.subscribe(channel, [weak](std::string_view, bus::payload const& p) {
        if (auto self = weak.lock(); self && p)
            self->received(*p);
    });
    net::co_spawn(
        timer_.get_executor(), [self = shared_from_this()] { return self->loop(); },
        log::on_failure{"presence sync stopped"});
}

net::awaitable<void> presence_sync::stop()
{
    stopping_ = true;
    timer_.cancel();
    // The loop writes what is left, withdraws and says goodbye, then sets stopped_.
    net::steady_timer wait(co_await net::this_coro::executor);
    for (int i = 0; i < 300 && !stopped_; ++i) {
        wait.expires_after(std::chrono::milliseconds(10));
        co_await wait.async_wait(use_tuple);
    }
    subscription_.reset();
}

net::awaitable<void> presence_sync::loop()
{
    auto next_heartbeat = clock::now();
    auto next_refresh = clock::now();
    while (!stopping_) {
        try {
            co_await flush_changes();
            if (clock::now() >= next_refresh) {
                refresh_rooms();
                next_refresh = clock::now() + options_.refresh;
            }
            if (clock::now() >= next_heartbeat) {
                co_await heartbeat();
                next_heartbeat = clock::now() + options_.heartbeat;
            }
        } catch (std::exception const& e) {
            log::warn("presence sync failed", {{"error", e.what()}});
        }
        timer_.expires_after(options_.flush);
        co_await timer_.async_wait(use_tuple);
    }
    try {
        co_await flush_changes();
        auto const deleted = co_await redis_.command("DEL", hash_);
        (void)deleted;
        auto const withdrawn = co_await bus::redis::withdraw_replica(redis_, service_name, id_);
        (void)withdrawn;
        redis_.publish(channel,
                       json::serialize(boost::json::object{{"replica", id_}, {"gone", true}}));
        auto const flushed = co_await redis_.command("PING"); // the PUBLISH has gone out
        (void)flushed;
    } catch (std::exception const& e) {
        log::warn("presence goodbye failed", {{"error", e.what()}});
    }
    stopped_ = true;
}

net::awaitable<void> presence_sync::flush_changes()
{
    auto [changes, version] = online_.take_changes();
    if (changes.empty())
        co_return;
    // The hash first, then the news: a replica reading the hash after the news sees the change.
    std::vector<std::string> set{"HSET", hash_, std::string(version_field),
                                 std::to_string(version)};
    std::vector<std::string> del{"HDEL", hash_};
    boost::json::array told;
    // The last change of each (room, user) decides its state in the hash.
    std::map<std::string, presence_change const*> last;
    for (auto const& c : changes) {
        last[field_of(c.room_id, c.user.user_id)] = &c;
        if (c.online)
            told.push_back(boost::json::array{1, c.room_id, c.user.user_id, c.user.username,
                                              c.user.joined_at});
        else
            told.push_back(boost::json::array{0, c.room_id, c.user.user_id});
    }
    for (auto const& [field, c] : last) {
        if (c->online) {
            set.push_back(field);
            set.push_back(value_of(c->user));
        } else {
            del.push_back(field);
        }
    }
    if (del.size() > 2)
        co_await write(del);
    co_await write(set);
    auto const ttl = std::to_string(options_.ttl.count());
    auto const renewed = co_await redis_.command("PEXPIRE", hash_, ttl);
    (void)renewed;
    redis_.publish(channel,
                   json::serialize(boost::json::object{
                       {"replica", id_}, {"version", version}, {"changes", std::move(told)}}));
}

net::awaitable<void> presence_sync::write(std::vector<std::string> const& command)
{
    auto const done = co_await redis_.command(std::span<std::string const>(command));
    if (!done || done->is_error()) {
        rewrite_ = true; // the hash lacks this change: the next heartbeat writes it whole
        log::warn("presence write failed", {{"error", done ? done->text : done.error().message()}});
    }
}

net::awaitable<void> presence_sync::write_snapshot()
{
    auto [entries, version] = online_.snapshot();
    std::vector<std::string> set{"HSET", hash_, std::string(version_field),
                                 std::to_string(version)};
    for (auto const& [room_id, u] : entries) {
        set.push_back(field_of(room_id, u.user_id));
        set.push_back(value_of(u));
    }
    auto const cleared = co_await redis_.command("DEL", hash_);
    (void)cleared;
    auto const written = co_await redis_.command(std::span<std::string const>(set));
    rewrite_ = !written || written->is_error();
    if (rewrite_)
        co_return;
    auto const ttl = std::to_string(options_.ttl.count());
    auto const renewed = co_await redis_.command("PEXPIRE", hash_, ttl);
    (void)renewed;
}

net::awaitable<void> presence_sync::heartbeat()
{
    auto const ttl = std::to_string(options_.ttl.count());
    auto const renewed = co_await redis_.command("PEXPIRE", hash_, ttl);
    if (!renewed) {
        log::warn("presence heartbeat failed", {{"error", renewed.error().message()}});
        co_return;
    }
    // Redis lost it (restarted, or this process was stopped past the ttl), or a write failed.
    if (renewed->integer == 0 || rewrite_)
        co_await write_snapshot();

    auto report = report_();
    report["replica"] = id_;
    auto const announced = co_await bus::redis::announce_replica(
        redis_, service_name, id_, json::serialize(report), options_.ttl);
    if (!announced)
        log::warn("replica heartbeat failed", {{"error", announced.error().message()}});

    auto live = co_await bus::redis::live_replicas(redis_, service_name);
    if (!live)
        co_return; // keep what is known until Redis answers
    std::set<std::string> alive;
    for (auto const& r : *live) {
        alive.insert(r.id);
        if (r.id != id_)
            co_await read_replica(r.id);
    }
    for (auto const& replica : online_.replicas())
        if (!alive.contains(replica))
            tell_sessions(online_.forget(replica));
}

net::awaitable<void> presence_sync::read_replica(std::string const& replica)
{
    auto const key = presence_key(replica);
    auto all = co_await redis_.command("HGETALL", key);
    if (!all || all->is_error())
        co_return;
    presence_entries entries;
    std::uint64_t version = 0;
    auto const& e = all->elements;
    for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
        if (e[i].text == version_field) {
            version = parse_version(e[i + 1].text);
            continue;
        }
        online_user u;
        std::int64_t room_id = 0;
        if (!parse_field(e[i].text, room_id, u.user_id))
            continue;
        auto const v = json::parse(e[i + 1].text);
        if (!v || !v->is_object())
            continue;
        if (auto const* name = v->as_object().if_contains("username"); name && name->is_string())
            u.username = name->as_string();
        if (auto const* at = v->as_object().if_contains("joined_at"); at && at->is_string())
            u.joined_at = at->as_string();
        entries.emplace_back(room_id, std::move(u));
    }
    tell_sessions(online_.replace(replica, version, entries));
}

void presence_sync::received(std::string_view message)
{
    auto const v = json::parse(message);
    if (!v || !v->is_object())
        return;
    auto const& o = v->as_object();
    auto const* replica = o.if_contains("replica");
    if (!replica || !replica->is_string() || replica->as_string() == id_)
        return;
    std::string const from(replica->as_string());
    if (o.contains("gone")) {
        tell_sessions(online_.forget(from));
        return;
    }
    auto const* version = o.if_contains("version");
    auto const* changes = o.if_contains("changes");
    if (!version || !version->is_number() || !changes || !changes->is_array())
        return;
    std::vector<presence_change> parsed;
    for (auto const& c : changes->as_array()) {
        auto const* a = c.if_array();
        if (!a || a->size() < 3 || !(*a)[0].is_int64() || !(*a)[1].is_int64() ||
            !(*a)[2].is_int64())
            continue;
        presence_change change{
            .online = (*a)[0].as_int64() == 1,
            .room_id = (*a)[1].as_int64(),
            .user = {.user_id = (*a)[2].as_int64(), .username = {}, .joined_at = {}}};
        if (change.online && a->size() >= 5 && (*a)[3].is_string() && (*a)[4].is_string()) {
            change.user.username = (*a)[3].as_string();
            change.user.joined_at = (*a)[4].as_string();
        }
        parsed.push_back(std::move(change));
    }
    // The replica that changed announced the arrival or departure to the room (its presence
    // announcer), with the online list as it knew it: the list as this replica knows it follows
    // soon after (refresh_rooms), each room at most once per refresh interval.
    auto const effects = online_.apply(from, version->to_number<std::uint64_t>(), parsed);
    std::lock_guard lock(stale_mutex_);
    for (auto const& e : effects)
        stale_rooms_.insert(e.room_id);
}

void presence_sync::refresh_rooms()
{
    std::set<std::int64_t> rooms;
    {
        std::lock_guard lock(stale_mutex_);
        rooms.swap(stale_rooms_);
    }
    for (auto room_id : rooms)
        hub_.send_here(room_id, events::online_users(room_id, online_.online(room_id)));
}

void presence_sync::tell_sessions(std::vector<presence_effect> const& effects)
{
    for (auto const& e : effects) {
        for (auto const& u : e.gone)
            hub_.send_here(e.room_id, events::user_left(e.room_id, u.user_id, u.username));
        hub_.send_here(e.room_id, events::online_users(e.room_id, online_.online(e.room_id)));
    }
}

} // namespace parley::chat_app
