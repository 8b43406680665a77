#include "chat/handlers/handlers.hpp"
#include "parley/http/error.hpp"
#include "parley/json/json.hpp"

#include <boost/json/array.hpp>
#include <limits>

namespace parley::chat_app {

// GET /rooms/{id}/messages?limit=50&before=<seq>&after=<seq>
net::awaitable<http::response> list_messages(chat_state& app, http::request_context& ctx)
{
    auto const* viewer = ctx.optional_user();
    constexpr auto max_seq = std::numeric_limits<std::int64_t>::max();
    history_query q{.limit = ctx.query_int("limit", 50, 1, 100),
                    .before = ctx.query_int("before", 1, max_seq),
                    .after = ctx.query_int("after", 0, max_seq)};
    auto r = co_await room_or_404(app, ctx.int_param("id"), viewer);
    auto messages = co_await app.rooms.messages(r.id, q);
    boost::json::array out;
    out.reserve(messages.size());
    for (auto const& m : messages)
        out.push_back(json::write(m));
    co_return http::json(out);
}

} // namespace parley::chat_app
