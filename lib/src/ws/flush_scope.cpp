#include "parley/ws/flush_scope.hpp"

#include "ws/flush_scope.hpp"

#include <vector>

namespace parley::ws {

namespace {

// The sessions sent to inside this thread's open flush_scope (the outermost scope flushes them).
thread_local int depth = 0;
thread_local std::vector<std::shared_ptr<detail::flushable>> pending;
thread_local std::vector<std::shared_ptr<detail::flushable>> flushing; // keeps its capacity

} // namespace

flush_scope::flush_scope() noexcept
{
    ++depth;
}

flush_scope::~flush_scope()
{
    if (--depth > 0)
        return;
    flushing.swap(pending);
    for (auto& s : flushing)
        s->flush();
    flushing.clear();
}

bool detail::in_flush_scope() noexcept
{
    return depth > 0;
}

void detail::flush_when_scope_closes(std::shared_ptr<flushable> s)
{
    pending.push_back(std::move(s));
}

} // namespace parley::ws
