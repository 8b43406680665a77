// Puts one room's new_message events back in seq order (issue 9): pub/sub is at most once, and
// two replicas committing to one room can publish out of order. Pure logic, no I/O, no clock, not
// thread-safe (the room hub calls it under the room's lock).
//
//   sequencer<frame> order(last_seq_at_first_join);
//   std::vector<sequencer<frame>::entry> now;
//   switch (order.offer(seq, frame, now)) { ... }   // then deliver `now`, in order
//
// The next seq is released at once, together with the held ones that follow it; a seq already
// released (or held) is a duplicate; an early one is held, at most `capacity` of them. While
// something is held (waiting()), the caller waits a short time and then reads the missing range
// from the store, offering each row: the gap closes and the held ones follow. When the store has
// nothing between last() and the oldest held (the rows are gone: the room was deleted), skip_gap()
// releases what is held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace parley::chat_app {

template <class T> class sequencer {
public:
    struct entry {
        std::int64_t seq = 0;
        T item;
    };
    enum class outcome {
        released,  // it (and maybe held ones after it) are in `out`
        duplicate, // seq <= last(), or held already: nothing to do
        held,      // early: waits for the ones before it
        dropped,   // early, and the hold-back buffer is full: read from the store now
    };

    explicit sequencer(std::int64_t last = 0, std::size_t capacity = 256)
        : last_(last), capacity_(capacity == 0 ? 1 : capacity)
    {}

    // The newest seq released.
    std::int64_t last() const noexcept { return last_; }
    // Something is held: a gap is open (last() + 1 is missing).
    bool waiting() const noexcept { return !held_.empty(); }
    std::size_t held() const noexcept { return held_.size(); }
    bool full() const noexcept { return held_.size() >= capacity_; }
    // The newest seq held, 0 when nothing is.
    std::int64_t newest_held() const noexcept { return held_.empty() ? 0 : held_.rbegin()->first; }

    // Appends to `out` what may be delivered now, in seq order.
    outcome offer(std::int64_t seq, T item, std::vector<entry>& out)
    {
        if (seq <= last_)
            return outcome::duplicate;
        if (seq == last_ + 1) {
            out.push_back({seq, std::move(item)});
            last_ = seq;
            drain(out);
            return outcome::released;
        }
        if (held_.contains(seq))
            return outcome::duplicate;
        if (full())
            return outcome::dropped;
        held_.emplace(seq, std::move(item));
        return outcome::held;
    }

    // Gives up on what is missing before the oldest held: releases the held ones in order.
    void skip_gap(std::vector<entry>& out)
    {
        if (held_.empty())
            return;
        last_ = held_.begin()->first - 1;
        drain(out);
    }

private:
    void drain(std::vector<entry>& out)
    {
        auto it = held_.begin();
        while (it != held_.end() && it->first == last_ + 1) {
            out.push_back({it->first, std::move(it->second)});
            last_ = it->first;
            it = held_.erase(it);
        }
    }

    std::int64_t last_;
    std::size_t capacity_;
    std::map<std::int64_t, T> held_;
};

} // namespace parley::chat_app
