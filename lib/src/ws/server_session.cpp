#include "ws/server_session.hpp"

#include "parley/http/error.hpp"
#include "parley/log/log.hpp"
#include "parley/ws/flush_scope.hpp"
#include "ws/codec.hpp"
#include "ws/handshake.hpp"
#include "ws/stats.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <exception>
#include <span>
#include <sys/socket.h>
#include <sys/uio.h>
#include <vector>

namespace parley::ws::detail {

// ---------------------------------------------------------------------------------------------
// session_tracker

void session_tracker::add(std::shared_ptr<session> const& s)
{
    std::lock_guard lock(mutex_);
    sessions_.emplace(s->id(), s);
}

void session_tracker::remove(std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

void session_tracker::close_all(close_code code, std::string_view reason)
{
    // Copy under the lock, close outside it: close() may re-enter remove() on another thread.
    std::vector<std::shared_ptr<session>> live;
    {
        std::lock_guard lock(mutex_);
        live.reserve(sessions_.size());
        for (auto const& [id, weak] : sessions_)
            if (auto s = weak.lock())
                live.push_back(std::move(s));
    }
    for (auto const& s : live)
        s->close(code, reason);
}

std::size_t session_tracker::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

// ---------------------------------------------------------------------------------------------
// upgrade_response

http::response upgrade_response(http::request const& req, session_options const& options)
{
    if (req.method != http::method::get)
        throw http::bad_request("a WebSocket upgrade must be a GET request");
    auto const upgrade = req.headers.get("Upgrade");
    if (!upgrade || !has_token(*upgrade, "websocket"))
        throw http::bad_request("expected the header Upgrade: websocket");
    auto const connection = req.headers.get("Connection");
    if (!connection || !has_token(*connection, "upgrade"))
        throw http::bad_request("expected the header Connection: Upgrade");
    auto const version = req.headers.get("Sec-WebSocket-Version");
    if (!version || !has_token(*version, "13"))
        throw http::error(http::status::upgrade_required,
                          "unsupported WebSocket version (13 is supported)")
            .with_header("Sec-WebSocket-Version", "13");
    auto const key = req.headers.get("Sec-WebSocket-Key");
    if (!key)
        throw http::bad_request("missing Sec-WebSocket-Key");
    if (!valid_key(*key))
        throw http::bad_request("Sec-WebSocket-Key must be the base64 encoding of 16 bytes");
    if (!options.allowed_origins.empty()) {
        // Browsers always send Origin; its absence means a non-browser client, which could
        // forge it anyway.
        if (auto const origin = req.headers.get("Origin")) {
            auto const& allowed = options.allowed_origins;
            if (std::find(allowed.begin(), allowed.end(), *origin) == allowed.end())
                throw http::forbidden("origin not allowed");
        }
    }

    http::response res;
    res.status = http::status::switching_protocols;
    res.headers.set("Upgrade", "websocket");
    res.headers.set("Connection", "Upgrade");
    res.headers.set("Sec-WebSocket-Accept", accept_key(*key));
    // The server's preference order wins among the protocols the client offered (any number
    // of header lines).
    for (auto const& wanted : options.subprotocols) {
        bool offered = false;
        for (auto const& [name, value] : req.headers)
            if (http::iequals(name, "Sec-WebSocket-Protocol") &&
                for_each_token(value, [&](std::string_view t) { return t == wanted; }))
                offered = true;
        if (offered) {
            res.headers.set("Sec-WebSocket-Protocol", wanted);
            break;
        }
    }
    return res;
}

// ---------------------------------------------------------------------------------------------
// The server session

namespace {

using tcp = net::ip::tcp;

void log_error(std::uint64_t id, char const* what, std::string_view detail)
{
    log::error(what, {{"session", id}, {"error", detail}});
}

std::atomic<std::uint64_t> next_session_id{1};

constexpr std::size_t read_buffer_bytes = 8 * 1024;
constexpr std::size_t max_pending_control_frames = 4;

// All executor-only state is touched by the reader, writer and keepalive coroutines, which run on
// the socket's executor; it must therefore be serialised (a strand, or a one-thread io_context).
// Only the outbound queue (mutex_) is shared with other threads.
class server_session final : public session {
public:
    server_session(tcp::socket socket, std::string buffered, std::shared_ptr<handler> h,
                   session_options options, std::string remote_address, std::string subprotocol)
        : socket_(std::move(socket)), executor_(socket_.get_executor()), handler_(std::move(h)),
          options_(std::move(options)),
          id_(next_session_id.fetch_add(1, std::memory_order_relaxed)),
          remote_address_(std::move(remote_address)), subprotocol_(std::move(subprotocol)),
          buffered_(std::move(buffered)), read_buffer_(read_buffer_bytes),
          parser_(role::server, options_.max_message_bytes), wake_timer_(executor_),
          keepalive_timer_(executor_)
    {}

    bool send(frame f) override;
    void close(close_code code, std::string_view reason) override;
    std::uint64_t id() const noexcept override { return id_; }
    std::string const& remote_address() const noexcept override { return remote_address_; }
    std::string const& subprotocol() const noexcept override { return subprotocol_; }
    std::size_t queued_bytes() const noexcept override
    {
        return queued_bytes_.load(std::memory_order_relaxed);
    }

    net::awaitable<void> run(session_tracker& tracker);

private:
    std::shared_ptr<server_session> self()
    {
        return std::static_pointer_cast<server_session>(shared_from_this());
    }

    net::awaitable<void> reader();
    net::awaitable<void> writer();
    net::awaitable<void> keepalive();
    net::awaitable<void> deliver(std::string_view message);
    // Executor only.
    void start_close(close_code code, std::string_view reason);
    void queue_control(frame f);

public:
    // Writes what a flush_scope queued (any thread).
    void flush();

private:
    // With direct_writing_ set by the caller: one non-blocking send of `frames` from this thread,
    // the unsent rest queued for the writer.
    // `spent` (the direct writer's own vector) is cleared before the next direct writer may start.
    void write_directly(std::span<frame> frames, std::vector<frame>* spent = nullptr);
    void wake_writer();
    void maybe_finish();
    void finish();
    std::size_t drop_queue_locked();

    tcp::socket socket_;
    net::any_io_executor executor_;
    std::shared_ptr<handler> handler_;
    session_options options_;
    std::uint64_t id_;
    std::string remote_address_;
    std::string subprotocol_;

    // Reader state.
    std::string buffered_; // bytes that came with the upgrade request
    std::vector<char> read_buffer_;
    frame_parser parser_;

    // Shared with send() on other threads.
    std::mutex mutex_;
    std::vector<frame> queue_;
    std::size_t queue_bytes_ = 0;
    bool accepting_ = true;       // false once closing: send() returns false
    bool writer_waiting_ = false; // the writer sleeps on wake_timer_ and needs a wake-up
    // A send() is writing on the socket from its own thread (the writer was idle, nothing was
    // queued): the writer must not write meanwhile, and is woken afterwards if it asked to be.
    bool direct_writing_ = false;
    bool wake_after_direct_ = false;
    bool in_flush_scope_ = false;     // listed in this thread's open flush_scope
    std::vector<frame> direct_batch_; // flush()'s frames, owned by whoever set direct_writing_
    std::atomic<bool> control_pending_{false}; // control frames go first: no direct write then
    std::atomic<std::size_t> queued_bytes_{0};

    // Executor-only state.
    std::vector<frame> batch_;   // the frames being written
    std::vector<frame> control_; // pongs and pings, written ahead of data
    std::vector<frame> control_batch_;
    std::vector<net::const_buffer> buffers_;
    frame close_frame_; // our close frame, not yet written
    bool close_started_ = false;
    bool close_sent_ = false;
    bool peer_closed_ = false;
    bool finished_ = false;
    close_code close_code_ = close_code::none;
    clock::time_point close_started_at_{};
    clock::time_point last_activity_{};
    clock::time_point last_ping_{};
    net::steady_timer wake_timer_;
    net::steady_timer keepalive_timer_;
};

std::size_t server_session::drop_queue_locked()
{
    std::size_t const dropped = queue_.size();
    queue_.clear();
    queue_bytes_ = 0;
    queued_bytes_.store(0, std::memory_order_relaxed);
    return dropped;
}

namespace {

// The sessions sent to inside this thread's open flush_scope (outermost scope flushes them).
thread_local int flush_depth = 0;
thread_local std::vector<std::shared_ptr<server_session>> flush_pending;

} // namespace

bool server_session::send(frame f)
{
    if (!f)
        return false;
    std::size_t const size = f.size();
    bool wake = false;
    bool write_now = false;
    bool list_for_flush = false;
    std::size_t dropped = 0;
    {
        std::lock_guard lock(mutex_);
        if (!accepting_)
            return false;
        if (flush_depth == 0 && writer_waiting_ && queue_.empty() && !direct_writing_ &&
            !control_pending_.load(std::memory_order_acquire)) {
            // The common case below saturation: an idle connection. Writing from this thread
            // with one non-blocking send() spares the wake-up of the writer (a post, a timer
            // cancellation and a coroutine resumption per delivery).
            direct_writing_ = true;
            write_now = true;
        } else if (queue_.size() + 1 > options_.max_queued_frames ||
                   queue_bytes_ + size > options_.max_queued_bytes) {
            accepting_ = false;
            dropped = drop_queue_locked() + 1;
        } else {
            queue_.push_back(std::move(f));
            queue_bytes_ += size;
            queued_bytes_.store(queue_bytes_, std::memory_order_relaxed);
            if (flush_depth > 0) // written when the scope closes
                list_for_flush = !std::exchange(in_flush_scope_, true);
            else if (!direct_writing_) // else the direct writer wakes the writer when it is done
                wake = std::exchange(writer_waiting_, false);
        }
    }
    if (write_now)
        write_directly(std::span<frame>(&f, 1));
    if (list_for_flush)
        flush_pending.push_back(self());
    if (dropped) {
        auto& s = stats();
        s.frames_dropped.inc(dropped);
        s.slow_consumer_closes.inc(1);
        net::dispatch(executor_, [self = self()] {
            self->start_close(close_code::slow_consumer, "slow consumer");
        });
        return false;
    }
    if (wake)
        wake_writer();
    return true;
}

void server_session::flush()
{
    bool write_now = false;
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        in_flush_scope_ = false;
        if (queue_.empty())
            return;
        if (writer_waiting_ && !direct_writing_ &&
            !control_pending_.load(std::memory_order_acquire)) {
            direct_writing_ = true;
            write_now = true;
            direct_batch_.swap(queue_); // both keep their capacity: no allocation per flush
            queue_bytes_ = 0;
            queued_bytes_.store(0, std::memory_order_relaxed);
        } else if (!direct_writing_) {
            wake = std::exchange(writer_waiting_, false);
        }
    }
    if (write_now)
        write_directly(direct_batch_, &direct_batch_);
    else if (wake)
        wake_writer();
}

void server_session::write_directly(std::span<frame> frames, std::vector<frame>* spent)
{
    constexpr std::size_t max_iov = 64;
    std::array<iovec, max_iov> iov;
    std::size_t const count = std::min(frames.size(), max_iov);
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
        auto const wire = frames[i].wire();
        iov[i] = iovec{const_cast<char*>(wire.data()), wire.size()};
        total += wire.size();
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    auto const n = ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    std::size_t written = n > 0 ? static_cast<std::size_t>(n) : 0;

    // What did not go out: a partly written frame's rest, then the unwritten frames.
    std::vector<frame> rest;
    std::size_t sent_frames = 0, rest_bytes = 0;
    for (auto& f : frames) {
        if (written >= f.size()) {
            written -= f.size();
            ++sent_frames;
            continue;
        }
        rest.push_back(written == 0 ? std::move(f) : frame::encoded(f.wire().substr(written)));
        rest_bytes += rest.back().size();
        written = 0;
    }
    bool wake;
    {
        std::lock_guard lock(mutex_);
        if (spent)
            spent->clear();
        direct_writing_ = false;
        if (!rest.empty()) {
            // Socket buffer full (or an error the writer will meet): the rest goes first.
            queue_.insert(queue_.begin(), std::make_move_iterator(rest.begin()),
                          std::make_move_iterator(rest.end()));
            queue_bytes_ += rest_bytes;
            queued_bytes_.store(queue_bytes_, std::memory_order_relaxed);
        }
        wake = !queue_.empty() || wake_after_direct_;
        wake_after_direct_ = false;
        if (wake)
            wake = std::exchange(writer_waiting_, false);
    }
    auto& s = stats();
    s.messages_out.inc(sent_frames);
    s.writes.inc(1);
    if (wake)
        wake_writer();
}

// Only the idle-to-busy transition costs a wake-up; the timer is touched on the executor only.
void server_session::wake_writer()
{
    net::dispatch(executor_, [self = self()] { self->wake_timer_.cancel(); });
}

void server_session::close(close_code code, std::string_view reason)
{
    std::size_t dropped = 0;
    {
        std::lock_guard lock(mutex_);
        if (!accepting_)
            return; // already closing
        accepting_ = false;
        dropped = drop_queue_locked();
    }
    stats().frames_dropped.inc(dropped);
    net::dispatch(executor_, [self = self(), code, reason = std::string(reason)] {
        self->start_close(code, reason);
    });
}

void server_session::start_close(close_code code, std::string_view reason)
{
    if (close_started_ || finished_)
        return;
    close_started_ = true;
    close_started_at_ = clock::now();
    close_code_ = code;
    {
        std::lock_guard lock(mutex_);
        accepting_ = false;
        stats().frames_dropped.inc(drop_queue_locked());
    }
    control_.clear();
    close_frame_ = frame::close(static_cast<std::uint16_t>(code), reason);
    wake_timer_.cancel();      // the writer sends the close frame
    keepalive_timer_.cancel(); // which now bounds the closing handshake by close_timeout
}

void server_session::queue_control(frame f)
{
    // A peer flooding pings without reading gets no unbounded pong queue.
    if (close_started_ || control_.size() >= max_pending_control_frames)
        return;
    control_.push_back(std::move(f));
    control_pending_.store(true, std::memory_order_release);
    wake_timer_.cancel();
}

void server_session::maybe_finish()
{
    if (close_sent_ && peer_closed_)
        finish();
}

void server_session::finish()
{
    if (finished_)
        return;
    finished_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    // Ends the reader's read and the writer's write. The descriptor itself is closed by the
    // destructor only: a send() on another thread may still be using it (see send()).
    socket_.cancel(ec);
    wake_timer_.cancel();
    keepalive_timer_.cancel();
    std::lock_guard lock(mutex_);
    accepting_ = false;
    stats().frames_dropped.inc(drop_queue_locked());
}

net::awaitable<void> server_session::deliver(std::string_view message)
{
    stats().messages_in.inc(1);
    try {
        co_await handler_->on_text(*this, message);
    } catch (std::exception const& e) {
        log_error(id_, "handler failed in on_text", e.what());
        start_close(close_code::internal_error, "internal error");
    } catch (...) {
        log_error(id_, "handler failed in on_text", "unknown exception");
        start_close(close_code::internal_error, "internal error");
    }
}

net::awaitable<void> server_session::reader()
{
    std::string_view input = buffered_;
    bool draining = false; // after a protocol violation: discard until the peer goes
    for (;;) {
        while (!draining && !finished_ && !input.empty()) {
            std::size_t used = 0;
            auto const event = parser_.parse(input, used);
            input.remove_prefix(used);
            switch (event) {
            case parse_event::need_more:
            case parse_event::pong:
                break;
            case parse_event::text:
                // The handler is awaited: a slow handler slows this client's reads, nobody else's.
                if (!close_started_)
                    co_await deliver(parser_.message());
                break;
            case parse_event::ping:
                queue_control(frame::pong(parser_.control_payload()));
                break;
            case parse_event::close: {
                peer_closed_ = true;
                if (!close_started_) {
                    // Echo the peer's code; it is also what on_close reports.
                    auto code = parser_.received_close_code();
                    if (code == close_code::none)
                        code = close_code::normal;
                    start_close(code, {});
                } else {
                    maybe_finish();
                }
                co_return;
            }
            case parse_event::error:
                stats().protocol_errors.inc(1);
                start_close(parser_.error_code(), parser_.error_reason());
                draining = true;
                break;
            }
        }
        if (!buffered_.empty())
            std::string().swap(buffered_);
        if (finished_)
            co_return;
        auto const [ec, n] = co_await socket_.async_read_some(net::buffer(read_buffer_), use_tuple);
        if (ec) {
            // End of stream, reset, or our own finish(): nothing more will come.
            peer_closed_ = true;
            finish();
            co_return;
        }
        last_activity_ = clock::now();
        input = std::string_view(read_buffer_.data(), n);
    }
}

net::awaitable<void> server_session::writer()
{
    for (;;) {
        if (finished_)
            co_return;
        bool const closing = static_cast<bool>(close_frame_);
        bool park;
        {
            std::lock_guard lock(mutex_);
            if (direct_writing_) {
                // A send() is on the socket right now: wait for it to hand over.
                wake_after_direct_ = true;
                writer_waiting_ = true;
                park = true;
            } else {
                batch_.swap(queue_); // everything queued goes into this one write
                queue_bytes_ = 0;
                queued_bytes_.store(0, std::memory_order_relaxed);
                park = writer_waiting_ = batch_.empty() && control_.empty() && !closing;
            }
        }
        if (park) {
            wake_timer_.expires_at(clock::time_point::max());
            co_await wake_timer_.async_wait(use_tuple);
            continue;
        }
        control_batch_.swap(control_);
        control_pending_.store(false, std::memory_order_release);
        frame const close_frame = std::exchange(close_frame_, frame());
        buffers_.clear();
        for (auto const& f : control_batch_)
            buffers_.push_back(net::buffer(f.wire()));
        if (close_frame) {
            stats().frames_dropped.inc(batch_.size());
            batch_.clear();
        }
        for (auto const& f : batch_)
            buffers_.push_back(net::buffer(f.wire()));
        if (close_frame)
            buffers_.push_back(net::buffer(close_frame.wire()));

        auto const [ec, written] = co_await net::async_write(socket_, buffers_, use_tuple);
        auto& s = stats();
        s.messages_out.inc(batch_.size());
        s.writes.inc(1);
        batch_.clear(); // keeps its capacity: no allocation per send once warmed up
        control_batch_.clear();
        if (ec) {
            finish();
            co_return;
        }
        if (close_frame) {
            close_sent_ = true;
            // Our FIN follows the close frame; the peer can still send its close reply.
            boost::system::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_send, ignored);
            maybe_finish();
            co_return;
        }
    }
}

net::awaitable<void> server_session::keepalive()
{
    static frame const ping = frame::ping();
    auto const far = clock::time_point::max();
    while (!finished_) {
        auto const now = clock::now();
        clock::time_point deadline;
        if (close_started_) {
            // Bounds the whole closing handshake, including a write stuck on a peer that never
            // reads.
            deadline = close_started_at_ + options_.close_timeout;
            if (now >= deadline) {
                finish();
                co_return;
            }
        } else {
            auto const idle_at =
                options_.idle_timeout.count() > 0 ? last_activity_ + options_.idle_timeout : far;
            if (now >= idle_at) {
                start_close(close_code::going_away, "idle timeout");
                continue;
            }
            auto ping_at = far;
            if (options_.ping_interval.count() > 0) {
                ping_at = std::max(last_activity_, last_ping_) + options_.ping_interval;
                if (now >= ping_at) {
                    last_ping_ = now;
                    queue_control(ping);
                    ping_at = now + options_.ping_interval;
                }
            }
            deadline = std::min(idle_at, ping_at);
        }
        keepalive_timer_.expires_at(deadline);
        co_await keepalive_timer_.async_wait(use_tuple);
    }
}

net::awaitable<void> server_session::run(session_tracker& tracker)
{
    auto const keep_alive = self();
    tracker.add(keep_alive);
    auto& s = stats();
    s.sessions_opened.inc(1);
    s.sessions_open.inc();
    last_activity_ = last_ping_ = clock::now();

    try {
        co_await handler_->on_open(*this);
    } catch (std::exception const& e) {
        log_error(id_, "handler failed in on_open", e.what());
        start_close(close_code::internal_error, "internal error");
    } catch (...) {
        log_error(id_, "handler failed in on_open", "unknown exception");
        start_close(close_code::internal_error, "internal error");
    }
    try {
        using namespace net::experimental::awaitable_operators;
        co_await (reader() && writer() && keepalive());
    } catch (std::exception const& e) {
        log_error(id_, "session failed", e.what());
    }
    finish();
    try {
        handler_->on_close(*this, close_code_);
    } catch (std::exception const& e) {
        log_error(id_, "handler failed in on_close", e.what());
    } catch (...) {
        log_error(id_, "handler failed in on_close", "unknown exception");
    }
    tracker.remove(id_);
    s.sessions_open.dec();
}

} // namespace

net::awaitable<void> serve(net::ip::tcp::socket socket, std::string buffered,
                           std::shared_ptr<handler> h, session_options options,
                           std::string remote_address, std::string subprotocol,
                           session_tracker& tracker)
{
    auto const executor = socket.get_executor();
    if (options.no_delay) { // see session_options::no_delay
        boost::system::error_code ignored;
        socket.set_option(net::ip::tcp::no_delay(true), ignored);
    }
    auto s = std::make_shared<server_session>(std::move(socket), std::move(buffered), std::move(h),
                                              std::move(options), std::move(remote_address),
                                              std::move(subprotocol));
    // The session's coroutines run on the socket's executor, whatever the caller runs on.
    co_await net::co_spawn(executor, s->run(tracker), net::use_awaitable);
}

} // namespace parley::ws::detail

namespace parley::ws {

flush_scope::flush_scope() noexcept
{
    ++detail::flush_depth;
}

flush_scope::~flush_scope()
{
    if (--detail::flush_depth > 0)
        return;
    auto sessions = std::move(detail::flush_pending);
    detail::flush_pending.clear();
    for (auto& s : sessions)
        s->flush();
}

} // namespace parley::ws
