#include "bus/redis/command_connection.hpp"

#include "parley/log/log.hpp"

#include <algorithm>
#include <limits>

// GCC 12 false positive on Asio coroutine frames (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace parley::bus::redis::detail {

command_connection::command_connection(net::any_io_executor executor, endpoint where,
                                       client_options options)
    : connection(std::move(executor), std::move(where), std::move(options), false),
      dropped_(metrics::counter("parley_redis_publish_dropped_total",
                                "Publishes dropped: the outbound buffer to Redis was full",
                                {{"connection", options_.name}})),
      publish_errors_(metrics::counter("parley_redis_publish_errors_total",
                                       "Publishes Redis answered with an error",
                                       {{"connection", options_.name}}))
{}

bool command_connection::publish(std::string_view channel, std::string_view message)
{
    std::string_view const args[] = {"PUBLISH", channel, message};
    auto const size = encoded_size(args);
    {
        std::lock_guard lock(mutex_);
        if (!closed_ && fits_locked(size)) {
            // The last sink is a run still in the outbox: one more in it.
            auto const extend = unsent_replies_ > 0 && !sinks_.empty() && !sinks_.back().wait &&
                                sinks_.back().discard < std::numeric_limits<std::uint32_t>::max();
            if (extend)
                ++sinks_.back().discard;
            else
                sinks_.push_back({1, nullptr});
            stream_end_ += size;
            append_locked(args, 1);
            return true;
        }
    }
    dropped_.inc();
    return false;
}

net::awaitable<boost::system::result<reply>> command_connection::execute(std::string bytes)
{
    auto const keep_alive = shared_from_this();
    command_wait w(strand_);
    std::optional<error> refused;
    {
        std::lock_guard lock(mutex_);
        if (closed_)
            refused = error::closed;
        else if (!connected_ && last_failure_ == error::auth_failed)
            refused = error::auth_failed; // fail fast until the credentials work
        else if (!connected_ && last_failure_ == error::select_failed)
            refused = error::select_failed;
        else if (!fits_locked(bytes.size()))
            refused = error::buffer_full;
        if (!refused) {
            w.begin = stream_end_;
            stream_end_ += bytes.size();
            w.end = stream_end_;
            sinks_.push_back({0, &w});
            append_encoded_locked(bytes, 1);
        }
    }
    if (refused)
        co_return make_error_code(*refused);
    w.timer.expires_after(options_.command_timeout);
    co_await w.timer.async_wait(use_tuple);
    if (!w.result)
        abandon(w); // timed out, or the caller cancelled
    co_return std::move(*w.result);
}

void command_connection::complete(command_wait& w, boost::system::result<reply> r)
{
    w.result = std::move(r);
    w.timer.cancel();
}

void command_connection::abandon(command_wait& w)
{
    bool const timed_out = clock::now() >= w.timer.expiry();
    std::lock_guard lock(mutex_);
    auto it =
        std::find_if(sinks_.begin(), sinks_.end(), [&](sink const& s) { return s.wait == &w; });
    if (it == sinks_.end()) {
        w.result = make_error_code(error::timeout);
        return;
    }
    auto const outbox_begin = stream_end_ - outbox_.size();
    if (w.begin >= outbox_begin) {
        // Never left the outbox: take its bytes back, so that it does not run later.
        auto const size = w.end - w.begin;
        outbox_.erase(static_cast<std::size_t>(w.begin - outbox_begin),
                      static_cast<std::size_t>(size));
        stream_end_ -= size;
        for (auto later = std::next(it); later != sinks_.end(); ++later)
            if (later->wait) {
                later->wait->begin -= size;
                later->wait->end -= size;
            }
        sinks_.erase(it);
        --unsent_replies_;
        w.result = !timed_out   ? error_code(net::error::operation_aborted)
                   : connected_ ? make_error_code(error::timeout)
                                : make_error_code(error::not_connected);
        return;
    }
    // Sent: its reply, when it comes, is dropped.
    it->wait = nullptr;
    it->discard = 1;
    w.result =
        timed_out ? make_error_code(error::timeout) : error_code(net::error::operation_aborted);
}

bool command_connection::on_read(std::string_view bytes)
{
    return reader_.consume(bytes, [this](std::span<node const> nodes) {
        if (discard_credit_ > 0) { // the common case under load: no lock
            --discard_credit_;
            replies_arrived(1);
            if (nodes[0].type == reply::kind::error)
                note_publish_error(nodes[0].text);
            return true;
        }
        command_wait* done = nullptr;
        {
            std::lock_guard lock(mutex_);
            if (written_requests_ == 0 || sinks_.empty())
                return false; // a reply to nothing we sent
            auto& s = sinks_.front();
            if (s.wait) {
                done = s.wait;
                --written_requests_;
            } else {
                // A written run is never extended (only runs still in the outbox are): take it
                // all, and drop its next replies without coming back here.
                discard_credit_ = s.discard - 1;
                written_requests_ -= s.discard;
            }
            sinks_.pop_front();
        }
        replies_arrived(1);
        if (done)
            complete(*done, to_reply(nodes));
        else if (nodes[0].type == reply::kind::error)
            note_publish_error(nodes[0].text);
        return true;
    });
}

void command_connection::note_publish_error(std::string_view text)
{
    publish_errors_.inc();
    auto const now = clock::now();
    if (now - last_error_log_ < std::chrono::seconds(10))
        return;
    last_error_log_ = now;
    log::warn("redis refused a publish", {{"connection", options_.name}, {"error", text}});
}

void command_connection::on_taken_locked(std::size_t replies)
{
    written_requests_ += replies;
}

void command_connection::fail_locked(std::size_t requests, error_code ec)
{
    while (requests > 0 && !sinks_.empty()) {
        auto& s = sinks_.front();
        if (s.wait) {
            complete(*s.wait, ec);
            --requests;
        } else {
            auto const n = std::min<std::size_t>(s.discard, requests);
            s.discard -= static_cast<std::uint32_t>(n);
            requests -= n;
            if (s.discard > 0)
                break;
        }
        sinks_.pop_front();
    }
}

void command_connection::on_disconnected_locked()
{
    // What was written may or may not have run; what is still in the outbox goes out on the
    // next connection.
    fail_locked(written_requests_, make_error_code(error::connection_lost));
    written_requests_ = 0;
    discard_credit_ = 0;
}

void command_connection::on_connect_failed_locked(error_code ec)
{
    if (ec != error::auth_failed && ec != error::select_failed)
        return;
    // Wrong configuration: nothing queued can run, say so now rather than at each timeout.
    // (Disconnected, so nothing in sinks_ was written.)
    std::uint64_t dropped = 0;
    for (auto const& s : sinks_) {
        if (s.wait)
            complete(*s.wait, ec);
        else
            dropped += s.discard;
    }
    sinks_.clear();
    stream_end_ -= outbox_.size();
    outbox_.clear();
    unsent_replies_ = 0;
    dropped_.inc(dropped);
}

void command_connection::queue_ping_locked()
{
    std::string_view const args[] = {"PING"};
    auto const size = encoded_size(args);
    if (!fits_locked(size))
        return;
    if (unsent_replies_ > 0 && !sinks_.empty() && !sinks_.back().wait)
        ++sinks_.back().discard;
    else
        sinks_.push_back({1, nullptr});
    stream_end_ += size;
    append_locked(args, 1);
}

void command_connection::on_closed_locked()
{
    for (auto const& s : sinks_)
        if (s.wait)
            complete(*s.wait, make_error_code(error::closed));
    sinks_.clear();
    outbox_.clear();
    unsent_replies_ = 0;
    written_requests_ = 0;
}

} // namespace parley::bus::redis::detail
