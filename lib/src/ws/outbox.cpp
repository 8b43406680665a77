#include "ws/outbox.hpp"

#include <iterator>

namespace parley::ws::detail {

void outbox::set_queue_bytes_locked(std::size_t n)
{
    queue_bytes_ = n;
    queued_bytes_.store(n, std::memory_order_relaxed);
}

std::size_t outbox::drop_queue_locked()
{
    std::size_t const dropped = queue_.size();
    queue_.clear();
    set_queue_bytes_locked(0);
    return dropped;
}

outbox::action outbox::push(frame f, bool scoped, bool& list_for_flush)
{
    std::size_t const size = f.size();
    std::lock_guard lock(mutex_);
    if (close_.load(std::memory_order_relaxed) != close_state::open)
        return action::dropped;
    if (!scoped && writer_ == writer_state::parked && queue_.empty() && control_.empty() &&
        !partial_) {
        // The common case below saturation, an idle connection: the pusher writes with one
        // non-blocking send, which spares the wake-up of the writer.
        writer_ = writer_state::direct;
        direct_batch_.push_back(std::move(f));
        return action::write_directly;
    }
    if (queue_.size() + 1 > bounds_.max_frames || queue_bytes_ + size > bounds_.max_bytes)
        return action::overflow;
    queue_.push_back(std::move(f));
    set_queue_bytes_locked(queue_bytes_ + size);
    if (scoped) {
        list_for_flush = !std::exchange(listed_for_flush_, true);
        return action::none; // the scope's flush writes it
    }
    if (writer_ == writer_state::parked) {
        writer_ = writer_state::writing;
        return action::wake_writer;
    }
    return action::none; // the writer, or the direct writer when it hands over, takes it
}

outbox::action outbox::push_control(frame f)
{
    std::lock_guard lock(mutex_);
    if (close_.load(std::memory_order_relaxed) != close_state::open)
        return action::dropped;
    // Full: the oldest pending one goes, so that the newest ping always gets its pong (RFC 6455
    // 5.5.3 allows answering only the most recent ping; Autobahn 2.10).
    if (control_.size() >= bounds_.max_control_frames)
        control_.erase(control_.begin());
    control_.push_back(std::move(f));
    if (writer_ == writer_state::parked) {
        writer_ = writer_state::writing;
        return action::wake_writer;
    }
    return action::none;
}

outbox::action outbox::flush()
{
    std::lock_guard lock(mutex_);
    listed_for_flush_ = false;
    if (queue_.empty() || writer_ != writer_state::parked)
        return action::none; // nothing left, or a writer that will take it
    if (control_.empty() && !partial_) {
        writer_ = writer_state::direct;
        direct_batch_.swap(queue_); // both keep their capacity: no allocation per flush
        set_queue_bytes_locked(0);
        return action::write_directly;
    }
    writer_ = writer_state::writing;
    return action::wake_writer;
}

outbox::direct_result outbox::direct_done(std::size_t written)
{
    direct_result out;
    std::lock_guard lock(mutex_);
    // What the socket did not take: a partly written frame's rest, then the unwritten frames.
    auto unsent = direct_batch_.begin();
    for (; unsent != direct_batch_.end() && written >= unsent->size(); ++unsent) {
        written -= unsent->size();
        ++out.frames_sent;
    }
    if (unsent != direct_batch_.end() && written > 0) {
        partial_ = frame::encoded(unsent->wire().substr(written));
        ++unsent;
    }
    if (close_.load(std::memory_order_relaxed) == close_state::open) {
        std::size_t rest_bytes = 0;
        for (auto it = unsent; it != direct_batch_.end(); ++it)
            rest_bytes += it->size();
        queue_.insert(queue_.begin(), std::make_move_iterator(unsent),
                      std::make_move_iterator(direct_batch_.end()));
        set_queue_bytes_locked(queue_bytes_ + rest_bytes);
    }
    direct_batch_.clear();
    if (!queue_.empty() || !control_.empty() || partial_ || close_frame_) {
        writer_ = writer_state::writing;
        out.next = action::wake_writer;
    } else {
        writer_ = writer_state::parked;
    }
    return out;
}

bool outbox::take(batch& b)
{
    std::lock_guard lock(mutex_);
    if (writer_ == writer_state::direct)
        return false; // the direct writer hands over in direct_done()
    b.partial = std::move(partial_);
    partial_ = frame();
    b.control.swap(control_);
    b.data.swap(queue_); // everything queued goes into this one write
    set_queue_bytes_locked(0);
    b.close = std::move(close_frame_);
    close_frame_ = frame();
    if (!b.partial && b.control.empty() && b.data.empty() && !b.close) {
        writer_ = writer_state::parked;
        return false;
    }
    writer_ = writer_state::writing;
    return true;
}

outbox::close_result outbox::begin_close(close_code code, std::string_view reason)
{
    auto close_frame = frame::close(static_cast<std::uint16_t>(code), reason);
    close_result out;
    std::lock_guard lock(mutex_);
    if (close_.load(std::memory_order_relaxed) != close_state::open)
        return out;
    out.started = true;
    out.dropped = drop_queue_locked();
    control_.clear();
    close_frame_ = std::move(close_frame);
    code_ = code;
    closing_since_ = clock::now();
    close_.store(close_state::closing, std::memory_order_release);
    if (writer_ == writer_state::parked) {
        writer_ = writer_state::writing;
        out.wake_writer = true;
    }
    return out;
}

void outbox::close_written()
{
    std::lock_guard lock(mutex_);
    if (close_.load(std::memory_order_relaxed) == close_state::closing)
        close_.store(close_state::close_sent, std::memory_order_release);
}

std::size_t outbox::finish()
{
    std::lock_guard lock(mutex_);
    close_.store(close_state::finished, std::memory_order_release);
    control_.clear();
    close_frame_ = frame();
    return drop_queue_locked();
}

} // namespace parley::ws::detail
