// Presence across the chat replicas (issue 9), when they share Redis (PARLEY_BUS_URL). Each
// replica keeps its own rooms and users in Redis and tells the others of each change:
//
//   parley:presence:chat:<replica>  a hash: "<room>:<user>" -> {"username","joined_at"}, and
//                                   "@version": the count of changes it reflects. Expires after
//                                   `ttl` unless the replica's heartbeat renews it.
//   channel "presence:chat"         {"replica","version","changes":[[1|0,room,user,name,at],…]}
//                                   each batch of changes, after it is in the hash (one
//                                   connection: Redis runs the write before the PUBLISH); and
//                                   {"replica","gone":true} when a replica stops.
//
// Every `heartbeat` a replica renews its keys (writing its whole state again when Redis lost
// it, e.g. after a restart), announces itself (parley/bus/replicas.hpp, with its instance
// report: the gateway's topology reads it), reads every live replica's hash (what a lost
// pub/sub message left out) and forgets the replicas whose heartbeat expired. So the users of a
// replica that died leave `online_users` within ttl + heartbeat; this process tells its own
// sessions in those rooms (user_left, online_users): every replica does so for its own, and
// nobody twice. After another replica's change a room's sessions here get its online list as
// this replica knows it (the announcing replica's list may lack a change it had not heard of
// yet), at most once per `refresh`.
#pragma once

#include "chat/fanout/room_hub.hpp"
#include "chat/realtime/presence.hpp"
#include "parley/bus/bus.hpp"
#include "parley/bus/redis.hpp"
#include "parley/net.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace parley::chat_app {

struct presence_sync_options {
    std::chrono::milliseconds heartbeat{1'000}; // PARLEY_CHAT_PRESENCE_HEARTBEAT
    std::chrono::milliseconds ttl{3'000};       // 3 heartbeats
    std::chrono::milliseconds flush{50};        // how soon a change is written and told
    // How often at most a room's sessions get its online list again after other replicas'
    // changes (join/leave churn elsewhere costs a room at most this many frames).
    std::chrono::milliseconds refresh{250};
};

class presence_sync : public std::enable_shared_from_this<presence_sync> {
public:
    // `report` describes this process (its /internal/instance report) for the heartbeat.
    presence_sync(net::any_io_executor executor, bus::redis::endpoint redis, bus::bus& bus,
                  presence& online, room_hub& hub, std::function<boost::json::object()> report,
                  presence_sync_options options = {});

    std::string const& replica_id() const noexcept { return id_; }

    void start();
    // Writes what is left, takes this replica out of Redis and tells the others.
    net::awaitable<void> stop();

private:
    net::awaitable<void> loop();
    net::awaitable<void> flush_changes();
    net::awaitable<void> heartbeat();
    // One write to the hash; a failure marks it for a whole rewrite.
    net::awaitable<void> write(std::vector<std::string> const& command);
    net::awaitable<void> write_snapshot();
    net::awaitable<void> read_replica(std::string const& replica);
    void received(std::string_view message);
    // Sends the rooms whose users on other replicas changed their online list (as known here).
    void refresh_rooms();
    // Tells this process's sessions what another replica's change did to their rooms.
    void tell_sessions(std::vector<presence_effect> const& effects);

    std::string const id_;
    std::string const hash_;
    bus::redis::client redis_;
    bus::bus& bus_;
    presence& online_;
    room_hub& hub_;
    std::function<boost::json::object()> report_;
    presence_sync_options options_;
    net::steady_timer timer_;
    std::unique_ptr<bus::subscription> subscription_;
    std::mutex stale_mutex_;
    std::set<std::int64_t> stale_rooms_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> stopped_{false}; // the loop has said goodbye
    bool rewrite_ = false;             // (the loop's) a write failed: the hash needs writing whole
};

} // namespace parley::chat_app
