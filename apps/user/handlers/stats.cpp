// Statistics increments: only Parley services may call these (the service credential), and the
// chat service sends them in batches rather than once per message.
#include "parley/auth/keys_config.hpp"
#include "parley/http/error.hpp"
#include "user/handlers/handlers.hpp"

#include <boost/describe/class.hpp>
#include <vector>

namespace parley::user_app {

namespace {

constexpr std::int64_t max_increment = 1'000'000;
constexpr std::size_t max_batch = 1000;

struct stats_body {
    std::optional<std::int64_t> messages_sent;
    std::optional<std::int64_t> rooms_created;
    std::optional<bool> last_seen;
};
BOOST_DESCRIBE_STRUCT(stats_body, (), (messages_sent, rooms_created, last_seen))

struct batch_item {
    std::int64_t user_id = 0;
    std::optional<std::int64_t> messages_sent;
    std::optional<std::int64_t> rooms_created;
    std::optional<bool> last_seen;
};
BOOST_DESCRIBE_STRUCT(batch_item, (), (user_id, messages_sent, rooms_created, last_seen))

struct batch_body {
    std::vector<batch_item> increments;
};
BOOST_DESCRIBE_STRUCT(batch_body, (), (increments))

void require_service(user_state const& s, http::request_context const& ctx)
{
    auto presented = ctx.request().headers.get(auth::service_token_header);
    if (!presented)
        throw http::unauthorized("Service credential required");
    if (!auth::service_token_matches(s.service_token, *presented))
        throw http::forbidden("Invalid service credential");
}

std::int64_t checked_count(std::optional<std::int64_t> n, std::string_view field)
{
    if (!n)
        return 0;
    if (*n < 0 || *n > max_increment)
        throw http::bad_request("Field '" + std::string(field) +
                                "' must be an integer from 0 to 1000000");
    return *n;
}

stats_increment increment_of(std::int64_t user_id, std::optional<std::int64_t> messages_sent,
                             std::optional<std::int64_t> rooms_created,
                             std::optional<bool> last_seen)
{
    if (user_id < 1)
        throw http::bad_request("user_id must be a positive integer");
    return {.user_id = user_id,
            .messages_sent = checked_count(messages_sent, "messages_sent"),
            .rooms_created = checked_count(rooms_created, "rooms_created"),
            .last_seen = last_seen.value_or(false)};
}

} // namespace

net::awaitable<http::response> add_stats(user_state& s, http::request_context& ctx)
{
    require_service(s, ctx);
    auto const body = ctx.json_body<stats_body>();
    std::vector<stats_increment> const increments{increment_of(
        ctx.int_param("user_id"), body.messages_sent, body.rooms_created, body.last_seen)};
    co_await s.profiles.add_stats(increments);
    co_return http::json({{"message", "Stats updated"}});
}

net::awaitable<http::response> add_stats_batch(user_state& s, http::request_context& ctx)
{
    require_service(s, ctx);
    auto const body = ctx.json_body<batch_body>();
    if (body.increments.size() > max_batch)
        throw http::bad_request("At most 1000 increments per batch");
    std::vector<stats_increment> increments;
    increments.reserve(body.increments.size());
    for (auto const& item : body.increments)
        increments.push_back(
            increment_of(item.user_id, item.messages_sent, item.rooms_created, item.last_seen));
    co_await s.profiles.add_stats(increments);
    co_return http::json({{"message", "Stats updated"}, {"updated", increments.size()}});
}

} // namespace parley::user_app
