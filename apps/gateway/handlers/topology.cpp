#include "gateway/gather.hpp"
#include "gateway/handlers/handlers.hpp"
#include "parley/bus/replicas.hpp"
#include "parley/http/error.hpp"
#include "parley/json/json.hpp"

namespace parley::gateway_app {

namespace {

// One instance as the gateway sees it: its address, whether it answered, and what it reported.
net::awaitable<boost::json::value> instance(http::client& probe, std::string address,
                                            http::fields credential)
{
    auto report = co_await probe_json(probe, "/internal/instance", std::move(credential));
    boost::json::object out;
    out["address"] = address;
    out["up"] = report.is_object();
    if (auto const* o = report.if_object())
        for (auto const& [key, value] : *o)
            out[key] = value;
    co_return out;
}

net::awaitable<boost::json::value> service_instances(std::string name, upstream& u,
                                                     http::fields credential)
{
    std::vector<net::awaitable<boost::json::value>> asks;
    for (std::size_t i = 0; i < u.addresses.size(); ++i)
        asks.push_back(instance(*u.probes[i], u.addresses[i], credential));
    boost::json::array instances;
    for (auto& i : co_await gather(std::move(asks)))
        instances.push_back(std::move(i));
    co_return boost::json::object{{"name", name}, {"instances", std::move(instances)}};
}

// The chat replicas as their heartbeats in Redis describe them (each renews its report every
// PARLEY_CHAT_PRESENCE_HEARTBEAT; a dead one expires); null when Redis does not answer.
net::awaitable<boost::json::value> announced_instances(bus::redis::client& redis)
{
    auto live = co_await bus::redis::live_replicas(redis, "chat");
    if (!live)
        co_return nullptr;
    boost::json::array instances;
    for (auto const& r : *live) {
        boost::json::object out;
        if (auto report = json::parse(r.report); report && report->is_object())
            out = report->as_object();
        // "host:port/pid": the address is the part before the pid.
        auto const* instance = out.if_contains("instance");
        std::string address =
            instance && instance->is_string() ? std::string(instance->as_string()) : r.id;
        address = address.substr(0, address.rfind('/'));
        out["address"] = address;
        out["up"] = true;
        out["replica"] = r.id;
        out["source"] = "heartbeat";
        instances.push_back(std::move(out));
    }
    co_return boost::json::object{{"name", "chat"}, {"instances", std::move(instances)}};
}

net::awaitable<boost::json::value> chat_instances(gateway_state& g, http::fields credential)
{
    if (g.replicas) {
        auto announced = co_await announced_instances(*g.replicas);
        if (!announced.is_null())
            co_return announced;
    }
    co_return co_await service_instances("chat", g.chat, std::move(credential));
}

net::awaitable<boost::json::value> gateway_instance(gateway_state& g)
{
    auto options = g.probe_options;
    options.addresses = {g.self_host + ":" + std::to_string(g.server.port())};
    http::client self(co_await net::this_coro::executor, options);
    auto report = co_await instance(self, options.addresses.front(), g.credential());
    co_return boost::json::object{{"name", "gateway"}, {"instances", boost::json::array{report}}};
}

} // namespace

net::awaitable<http::response> topology(gateway_state& g, http::request_context& ctx)
{
    if (!ctx.user().is_admin)
        throw http::forbidden("Admin access required");
    std::vector<net::awaitable<boost::json::value>> asks;
    auto const credential = g.credential();
    asks.push_back(service_instances("frontend", *g.frontend, credential));
    asks.push_back(gateway_instance(g));
    asks.push_back(service_instances("auth", g.auth, credential));
    asks.push_back(service_instances("user", g.user, credential));
    asks.push_back(chat_instances(g, credential));
    boost::json::array services;
    for (auto& s : co_await gather(std::move(asks)))
        services.push_back(std::move(s));
    // Who talks to whom: the browser loads the page from the frontend and calls the gateway;
    // the gateway forwards to the three services; chat counts messages in the user service.
    boost::json::array links = {{"browser", "frontend"}, {"browser", "gateway"},
                                {"gateway", "auth"},     {"gateway", "user"},
                                {"gateway", "chat"},     {"chat", "user"}};
    co_return http::json({{"services", std::move(services)}, {"links", std::move(links)}});
}

} // namespace parley::gateway_app
