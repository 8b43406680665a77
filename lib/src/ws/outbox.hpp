// The outbound side of one server session: the queue and its bounds, who is writing (the writer
// state) and how far the close has gone (the close state), behind one mutex. Frames are pushed
// from any thread; the session's writer runs on the session's executor. Each call returns what
// its caller must do next, so the session's code is a switch over an answer, not a set of flags.
//
//   writer:  parked --push--> direct (the pusher writes on the socket itself) --direct_done-->
//            parked, or writing (the rest, or what came meanwhile, goes to the writer)
//            parked --push (queue busy) / control / close--> writing --take (nothing)--> parked
//   close:   open --begin_close--> closing --close_written--> close_sent --finish--> finished
//            (finish may come from any state: the socket is gone)
#pragma once

#include "parley/net.hpp"
#include "parley/ws/close_code.hpp"
#include "parley/ws/frame.hpp"

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string_view>
#include <vector>

namespace parley::ws::detail {

class outbox {
public:
    enum class writer_state { parked, writing, direct };
    enum class close_state { open, closing, close_sent, finished };

    // What the caller must do after pushing a frame.
    enum class action {
        none,           // queued: the writer, or the open flush_scope, writes it
        wake_writer,    // queued, and the writer was parked: wake it
        write_directly, // the writer was parked and nothing was queued: write direct_batch()
                        // from this thread with one non-blocking send, then call direct_done()
        overflow,       // past a bound: everything queued was dropped; close with 4008
        dropped,        // the session is closing: the frame was dropped
    };

    struct bounds {
        std::size_t max_frames = 1024;
        std::size_t max_bytes = 4 * 1024 * 1024;
        std::size_t max_control_frames = 4; // a peer flooding pings gets no unbounded pong queue
    };

    explicit outbox(bounds b) : bounds_(b) {}

    // A data frame. Inside a flush_scope (`scoped`) it is only queued; `list_for_flush` is set
    // when this is the session's first frame of the scope (the scope must flush it).
    action push(frame f, bool scoped, bool& list_for_flush);
    // A control frame (ping, pong): written ahead of the queued data. Beyond max_control_frames
    // pending, the oldest pending one is dropped.
    action push_control(frame f);
    // The flush_scope that listed this session closes: everything queued, in one write.
    action flush();

    // The frames a write_directly caller writes; touched by that caller only until direct_done.
    std::vector<frame>& direct_batch() noexcept { return direct_batch_; }
    // The direct write put `written` bytes on the socket: the rest goes first to the writer.
    // Returns wake_writer when the writer has work now (that rest, or what came meanwhile).
    struct direct_result {
        action next = action::none;
        std::size_t frames_sent = 0;
    };
    direct_result direct_done(std::size_t written);

    // The writer's next write, in wire order: the rest of a partly sent frame, control frames,
    // data, then the close frame (data queued once the close began is dropped). False when there
    // is nothing: the writer is parked then (or waits for a direct writer to hand over).
    struct batch {
        frame partial;
        std::vector<frame> control;
        std::vector<frame> data;
        frame close;
        void clear()
        {
            partial = frame();
            control.clear(); // vectors keep their capacity: no allocation per write
            data.clear();
            close = frame();
        }
    };
    bool take(batch& b);

    // Starts the close (any thread): drops the queue and the pending control frames and keeps
    // the close frame for the writer. Says how many frames were dropped and whether the writer
    // must be woken; started is false when the close had begun already.
    struct close_result {
        bool started = false;
        bool wake_writer = false;
        std::size_t dropped = 0;
    };
    close_result begin_close(close_code code, std::string_view reason);
    void close_written();
    // The socket is done with; returns the number of queued frames dropped.
    std::size_t finish();

    close_state state() const noexcept { return close_.load(std::memory_order_acquire); }
    bool open() const noexcept { return state() == close_state::open; }
    // Valid once state() is not open: the code of our close frame and when the close began.
    close_code code() const noexcept { return code_; }
    clock::time_point closing_since() const noexcept { return closing_since_; }
    std::size_t queued_bytes() const noexcept
    {
        return queued_bytes_.load(std::memory_order_relaxed);
    }

private:
    std::size_t drop_queue_locked();
    void set_queue_bytes_locked(std::size_t n);

    bounds const bounds_;
    mutable std::mutex mutex_;
    std::vector<frame> queue_;
    std::size_t queue_bytes_ = 0;
    std::vector<frame> control_;
    frame close_frame_; // not yet taken by the writer
    frame partial_;     // the unsent rest of a frame a direct write began: never dropped
    std::vector<frame> direct_batch_;
    writer_state writer_ = writer_state::writing; // the writer starts running
    close_code code_ = close_code::none;
    clock::time_point closing_since_{};
    bool listed_for_flush_ = false;
    std::atomic<close_state> close_{close_state::open};
    std::atomic<std::size_t> queued_bytes_{0}; // for session::queued_bytes() without the lock
};

} // namespace parley::ws::detail
