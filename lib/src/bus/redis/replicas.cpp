#include "parley/bus/replicas.hpp"

#include <algorithm>

// GCC 12 false positive on Asio coroutine frames (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace parley::bus::redis {

namespace {

// A reply of type error (Redis refused the command) as an error of this API.
boost::system::result<reply> refused_as_error(boost::system::result<reply> r)
{
    if (r && r->is_error())
        return make_error_code(error::protocol_error);
    return r;
}

} // namespace

std::string replica_key(std::string_view service, std::string_view id)
{
    return "parley:replica:" + std::string(service) + ":" + std::string(id);
}

std::string replicas_key(std::string_view service)
{
    return "parley:replicas:" + std::string(service);
}

net::awaitable<boost::system::result<void>>
announce_replica(client& redis, std::string_view service, std::string_view id,
                 std::string_view report, std::chrono::milliseconds ttl)
{
    auto const key = replica_key(service, id);
    auto const set = replicas_key(service);
    auto const lifetime = std::to_string(std::max<std::int64_t>(1, ttl.count()));
    auto const id_text = std::string(id);
    auto const report_text = std::string(report);
    auto written =
        refused_as_error(co_await redis.command("SET", key, report_text, "PX", lifetime));
    if (!written)
        co_return written.error();
    auto added = refused_as_error(co_await redis.command("SADD", set, id_text));
    if (!added)
        co_return added.error();
    co_return boost::system::result<void>();
}

net::awaitable<boost::system::result<void>>
withdraw_replica(client& redis, std::string_view service, std::string_view id)
{
    auto const key = replica_key(service, id);
    auto const set = replicas_key(service);
    auto const id_text = std::string(id);
    auto removed = refused_as_error(co_await redis.command("SREM", set, id_text));
    if (!removed)
        co_return removed.error();
    auto deleted = refused_as_error(co_await redis.command("DEL", key));
    if (!deleted)
        co_return deleted.error();
    co_return boost::system::result<void>();
}

net::awaitable<boost::system::result<std::vector<replica>>> live_replicas(client& redis,
                                                                          std::string_view service)
{
    auto const set = replicas_key(service);
    auto members = refused_as_error(co_await redis.command("SMEMBERS", set));
    if (!members)
        co_return members.error();
    std::vector<replica> live;
    if (members->elements.empty())
        co_return live;
    std::vector<std::string> mget{"MGET"};
    for (auto const& m : members->elements)
        mget.push_back(replica_key(service, m.text));
    auto reports = refused_as_error(co_await redis.command(std::span<std::string const>(mget)));
    if (!reports)
        co_return reports.error();
    std::vector<std::string> expired{"SREM", set};
    for (std::size_t i = 0; i < members->elements.size(); ++i) {
        auto const& id = members->elements[i].text;
        if (i < reports->elements.size() && reports->elements[i].type == reply::kind::string)
            live.push_back({id, reports->elements[i].text});
        else
            expired.push_back(id);
    }
    if (expired.size() > 2) {
        // Another reader may have done it; a failure here only leaves the work to the next one.
        auto const ignored = co_await redis.command(std::span<std::string const>(expired));
        (void)ignored;
    }
    std::sort(live.begin(), live.end(), [](auto const& a, auto const& b) { return a.id < b.id; });
    co_return live;
}

} // namespace parley::bus::redis
