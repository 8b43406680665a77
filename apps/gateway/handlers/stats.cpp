#include "gateway/gather.hpp"
#include "gateway/handlers/handlers.hpp"

namespace parley::gateway_app {

namespace {

// The caller's credentials and the trace context: counts are asked on the caller's behalf.
http::fields on_behalf_of(http::request_context const& ctx)
{
    auto headers = ctx.propagation_headers();
    if (auto authorization = ctx.request().headers.get("Authorization"))
        headers.set("Authorization", *authorization);
    return headers;
}

boost::json::value number_at(boost::json::value const& doc, std::string_view key)
{
    if (auto const* o = doc.if_object())
        if (auto const* v = o->if_contains(key); v && (v->is_int64() || v->is_uint64()))
            return *v;
    return nullptr;
}

// Live WebSocket sessions: what every chat instance reports holding.
net::awaitable<boost::json::value> websocket_count(upstream& chat)
{
    std::vector<net::awaitable<boost::json::value>> asks;
    for (auto& probe : chat.probes)
        asks.push_back(probe_json(*probe, "/internal/instance"));
    std::int64_t total = 0;
    bool any = false;
    for (auto const& report : co_await gather(std::move(asks))) {
        auto n = number_at(report, "open_websockets");
        if (!n.is_null()) {
            total += n.to_number<std::int64_t>();
            any = true;
        }
    }
    co_return any ? boost::json::value(total) : boost::json::value(nullptr);
}

} // namespace

net::awaitable<http::response> stats(gateway_state& g, http::request_context& ctx)
{
    std::vector<net::awaitable<boost::json::value>> asks;
    asks.push_back(probe_json(g.auth.client, "/users/count", on_behalf_of(ctx)));
    asks.push_back(probe_json(g.chat.client, "/stats", on_behalf_of(ctx)));
    asks.push_back(probe_json(g.chat.client, "/rooms", on_behalf_of(ctx)));
    asks.push_back(websocket_count(g.chat));
    auto answers = co_await gather(std::move(asks));
    auto const& users = answers[0];
    auto const& chat = answers[1];
    auto const& rooms_list = answers[2];

    auto user_count = number_at(users, "count");
    auto room_count = number_at(chat, "rooms");
    // A chat service without /stats: the rooms the caller can see.
    if (room_count.is_null() && rooms_list.is_array())
        room_count = static_cast<std::int64_t>(rooms_list.as_array().size());
    auto message_count = number_at(chat, "messages");
    auto const& websockets = answers[3];
    bool const complete = !user_count.is_null() && !room_count.is_null() && !websockets.is_null();

    co_return http::json({
        {"users", user_count},
        {"rooms", room_count},
        {"messages", message_count},
        {"websocket_connections", websockets},
        // The original's names, for its clients.
        {"total_users", user_count},
        {"total_rooms", room_count},
        {"services_status", complete ? "operational" : "degraded"},
    });
}

} // namespace parley::gateway_app
