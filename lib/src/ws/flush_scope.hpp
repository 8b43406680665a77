// The inside of ws::flush_scope (lib-internal): what a session asks of the open scope.
#pragma once

#include <memory>

namespace parley::ws::detail {

// Something the outermost flush_scope of a thread writes when it closes (a server session).
class flushable {
public:
    virtual void flush() = 0;

protected:
    ~flushable() = default;
};

// A flush_scope is open on this thread.
bool in_flush_scope() noexcept;
// Flushes `s` when this thread's outermost flush_scope closes.
void flush_when_scope_closes(std::shared_ptr<flushable> s);

} // namespace parley::ws::detail
