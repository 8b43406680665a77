// Coalesces a burst of sends: while a flush_scope is open on a thread, session::send() on that
// thread only queues; when the outermost scope closes, every session it touched is written once,
// with everything queued for it in one system call. Open one around a fan-out of many messages
// (e.g. a group commit's batch): under load batches grow, and so does the coalescing, without
// delaying a lone message.
#pragma once

namespace parley::ws {

class flush_scope {
public:
    flush_scope() noexcept;
    ~flush_scope();
    flush_scope(flush_scope const&) = delete;
    flush_scope& operator=(flush_scope const&) = delete;
};

} // namespace parley::ws
