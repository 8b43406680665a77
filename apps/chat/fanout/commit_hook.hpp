// Where the fan-out starts: after each group commit, in commit order, the new messages are
// published to their rooms and counted, and the joins of the batch are attached (replay, then
// subscribe) at their place in the sequence (see store/message_writer.hpp).
#pragma once

#include "chat/fanout/room_hub.hpp"
#include "chat/stats/stats_flusher.hpp"
#include "chat/store/message_writer.hpp"

namespace parley::chat_app {

// Everything one batch sends to one local session leaves in one write (a ws::flush_scope around
// the batch): under load batches grow, and with them the coalescing.
message_writer::committed_fn commit_hook(room_hub& hub, stats_flusher& stats);

} // namespace parley::chat_app
