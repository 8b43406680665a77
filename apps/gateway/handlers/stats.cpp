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
net::awaitable<boost::json::value> websocket_count(upstream& chat, http::fields credential)
{
    std::vector<net::awaitable<boost::json::value>> asks;
    for (auto& probe : chat.probes)
        asks.push_back(probe_json(*probe, "/internal/instance", credential));
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

// Every figure's service is healthy.
net::awaitable<boost::json::value> all_services_up(gateway_state& g)
{
    std::vector<net::awaitable<bool>> asks;
    asks.push_back(service_up(g.auth));
    asks.push_back(service_up(g.user));
    asks.push_back(service_up(g.chat));
    auto up = co_await gather(std::move(asks));
    co_return boost::json::value(up[0] && up[1] && up[2]);
}

} // namespace

net::awaitable<http::response> stats(gateway_state& g, http::request_context& ctx)
{
    auto const* caller = ctx.maybe_user();
    bool const admin = caller && caller->is_admin;
    std::vector<net::awaitable<boost::json::value>> asks;
    // The user count is everyone's (as in the original): asked as a service, not as the caller.
    asks.push_back(probe_json(g.auth.client, "/users/count", g.credential()));
    // Chat counts private rooms only for an admin's token.
    asks.push_back(probe_json(g.chat.client, "/stats", on_behalf_of(ctx)));
    asks.push_back(probe_json(g.chat.client, "/rooms", on_behalf_of(ctx)));
    asks.push_back(all_services_up(g));
    if (admin)
        asks.push_back(websocket_count(g.chat, g.credential()));
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
    auto websockets = admin ? answers[4] : boost::json::value(nullptr);
    bool const operational = answers[3].is_bool() && answers[3].as_bool();

    co_return http::json({
        {"users", user_count},
        {"rooms", room_count},
        {"messages", message_count},
        {"websocket_connections", websockets},
        // The original's names, for its clients.
        {"total_users", user_count},
        {"total_rooms", room_count},
        {"services_status", operational ? "operational" : "degraded"},
    });
}

} // namespace parley::gateway_app
