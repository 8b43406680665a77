// The live replicas of a service, as they announce themselves in Redis (the chat replicas'
// heartbeats; the gateway's topology reads them). Each replica renews, every heartbeat, a key
// that expires unless renewed:
//
//   parley:replica:<service>:<id>   its report (JSON text: what GET /internal/instance says),
//                                   PX ttl
//   parley:replicas:<service>       a set of ids; an id whose key has expired is taken out by
//                                   the next reader
//
// so a replica that dies (kill -9, a lost node) drops out within `ttl`; one that stops says so.
//
//   co_await announce_replica(redis, "chat", id, report_json, 6s);   // every 2 s
//   auto live = co_await live_replicas(redis, "chat");               // result<vector<replica>>
#pragma once

#include "parley/bus/redis.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bus::redis {

struct replica {
    std::string id;
    std::string report; // JSON text, as the replica announced it
};

std::string replica_key(std::string_view service, std::string_view id);
std::string replicas_key(std::string_view service);

// Writes the replica's report with a lifetime of `ttl` and adds it to the service's set.
net::awaitable<boost::system::result<void>>
announce_replica(client& redis, std::string_view service, std::string_view id,
                 std::string_view report, std::chrono::milliseconds ttl);
// Takes the replica out at once (a graceful stop).
net::awaitable<boost::system::result<void>>
withdraw_replica(client& redis, std::string_view service, std::string_view id);
// The replicas whose key has not expired, by id; expired ids are removed from the set.
net::awaitable<boost::system::result<std::vector<replica>>> live_replicas(client& redis,
                                                                          std::string_view service);

} // namespace parley::bus::redis
