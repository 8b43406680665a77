#include "chat/fanout/commit_hook.hpp"

#include "chat/realtime/events.hpp"
#include "parley/ws/flush_scope.hpp"

namespace parley::chat_app {

message_writer::committed_fn commit_hook(room_hub& hub, stats_flusher& stats)
{
    return [&hub, &stats](std::span<write_op> ops, std::span<write_result> results) {
        ws::flush_scope one_write_per_session;
        for (std::size_t i = 0; i < ops.size(); ++i) {
            if (auto const* p = std::get_if<post_result>(&results[i])) {
                if (p->outcome != post_result::stored)
                    continue;
                hub.publish(p->message.room_id, events::new_message(p->message),
                            {.seq = p->message.seq});
                stats.message_sent(p->message.user_id);
            } else if (auto const* j = std::get_if<join_result>(&results[i])) {
                auto const& op = std::get<join_op>(ops[i]);
                if (op.attach)
                    op.attach(*j);
            }
        }
    };
}

} // namespace parley::chat_app
