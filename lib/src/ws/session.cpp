// The server side of a WebSocket (parley/ws/session.hpp): a reader that hands text messages to
// the handler, a writer that puts everything queued into one socket write, and a keepalive that
// pings, times out idle peers and bounds the closing handshake. All three are chains of
// completion handlers, not coroutines: a session holds no coroutine frame between messages. The
// outbound side (queue, who writes, how far the close has gone) is the outbox (ws/outbox.hpp).
#include "parley/log/log.hpp"
#include "ws/codec.hpp"
#include "ws/flush_scope.hpp"
#include "ws/outbox.hpp"
#include "ws/stats.hpp"
#include "ws/upgrade.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <exception>
#include <span>
#include <sys/socket.h>
#include <sys/uio.h>
#include <vector>

namespace parley::ws::detail {

namespace {

using tcp = net::ip::tcp;

void log_error(std::uint64_t id, char const* what, std::string_view detail)
{
    log::error(what, {{"session", id}, {"error", detail}});
}

std::atomic<std::uint64_t> next_session_id{1};

// Incoming bytes are read into a small buffer of the session's own (a chat client's frames fit);
// when a read fills it, the rest is drained through a buffer of the thread's. An idle session
// holds no read buffer beyond the small one.
constexpr std::size_t small_read_bytes = 512;
constexpr std::size_t drain_read_bytes = 64 * 1024;

std::span<char> drain_buffer()
{
    thread_local std::vector<char> buffer(drain_read_bytes);
    return buffer;
}

// The reader's, writer's and keepalive's handlers run on the socket's executor,
// which must serialise them (a strand, or a one-thread io_context): their state is executor-only.
// What other threads touch (send, close) goes through the outbox.
class server_session final : public session, public flushable {
public:
    server_session(tcp::socket socket, std::string buffered, std::shared_ptr<handler> h,
                   session_options const& options, std::string remote_address,
                   std::string subprotocol, std::shared_ptr<void> ticket)
        : socket_(std::move(socket)), executor_(socket_.get_executor()), handler_(std::move(h)),
          ping_interval_(options.ping_interval), idle_timeout_(options.idle_timeout),
          close_timeout_(options.close_timeout),
          id_(next_session_id.fetch_add(1, std::memory_order_relaxed)),
          remote_address_(std::move(remote_address)), subprotocol_(std::move(subprotocol)),
          outbox_({.max_frames = options.max_queued_frames, .max_bytes = options.max_queued_bytes}),
          unparsed_(std::move(buffered)), parser_(role::server, options.max_message_bytes),
          keepalive_timer_(executor_), ticket_(std::move(ticket))
    {}

    bool send(frame f) override;
    void close(close_code code, std::string_view reason) override;
    void close_at(clock::time_point when, close_code code, std::string_view reason) override;
    void flush() override;
    std::uint64_t id() const noexcept override { return id_; }
    std::string const& remote_address() const noexcept override { return remote_address_; }
    std::string const& subprotocol() const noexcept override { return subprotocol_; }
    std::size_t queued_bytes() const noexcept override { return outbox_.queued_bytes(); }

    // Opens the session (the handler's on_open), then runs its reader, writer and keepalive
    // until all three end; then on_close. On the executor.
    void start(std::shared_ptr<http::upgraded_connection::stop_hook> stop);

private:
    std::shared_ptr<server_session> self()
    {
        return std::static_pointer_cast<server_session>(shared_from_this());
    }

    net::awaitable<void> open();
    void opened();
    // The reader: reads, parses, and hands each text message to the handler, awaited in a
    // coroutine of its own (spawned per message) while the reads wait.
    void read_next();
    void on_read(boost::system::error_code ec, std::size_t n);
    void read_failed();
    void parse();
    void parse_input();
    net::awaitable<void> deliver(std::string_view message);
    void delivered();
    // The writer; a parked writer holds nothing.
    void write_next();
    void written(boost::system::error_code ec);
    void resume_writer(); // executor only
    void keepalive_next();
    void chain_ended(); // of the reader, the writer, the keepalive: the last one ends the session
    void ended();

    // One non-blocking send of the outbox's direct batch from this thread (any thread); the
    // outbox queues what the socket did not take for the writer.
    void write_directly();
    void wake_writer();
    void send_control(frame f);
    void overflowed();
    void maybe_finish();
    void finish();

    tcp::socket socket_;
    net::any_io_executor executor_;
    std::shared_ptr<handler> handler_;
    // Of the options, what the keepalive needs (the rest went to the outbox and the parser).
    std::chrono::milliseconds ping_interval_;
    std::chrono::milliseconds idle_timeout_;
    std::chrono::milliseconds close_timeout_;
    std::uint64_t id_;
    std::string remote_address_;
    std::string subprotocol_;
    outbox outbox_;

    // Executor-only state.
    // Bytes read but not parsed yet that no buffer of the session holds: those that came with
    // the upgrade request, or what a suspended handler left in the thread's drain buffer.
    std::string unparsed_;
    std::array<char, small_read_bytes> small_read_;
    std::string_view input_; // what parse() has not parsed yet: small_read_, unparsed_, or the
                             // thread's drain buffer (borrowed_)
    bool borrowed_ = false;
    bool small_full_ = false; // the last read filled small_read_: drain the rest
    bool discarding_ = false; // after a protocol violation: discard until the peer goes
    frame_parser parser_;
    outbox::batch batch_; // the frames being written
    std::vector<net::const_buffer> buffers_;
    bool peer_closed_ = false;
    clock::time_point last_activity_{};
    clock::time_point last_ping_{};
    // close_at(): when, with what.
    clock::time_point deadline_ = clock::time_point::max();
    close_code deadline_code_ = close_code::none;
    std::string deadline_reason_;
    bool writer_parked_ = false; // nothing to write: wake_writer() runs it again
    net::steady_timer keepalive_timer_;
    int chains_running_ = 0;
    // The server's hold on us: its graceful stop fires the hook; it counts this connection as
    // open while the ticket lives.
    std::shared_ptr<http::upgraded_connection::stop_hook> stop_;
    std::shared_ptr<void> ticket_;
};

bool server_session::send(frame f)
{
    if (!f)
        return false;
    bool list_for_flush = false;
    switch (outbox_.push(std::move(f), in_flush_scope(), list_for_flush)) {
    case outbox::action::none:
        if (list_for_flush)
            flush_when_scope_closes(self());
        return true;
    case outbox::action::wake_writer:
        wake_writer();
        return true;
    case outbox::action::write_directly:
        write_directly();
        return true;
    case outbox::action::overflow:
        overflowed();
        return false;
    case outbox::action::dropped:
        return false;
    }
    return false;
}

void server_session::flush()
{
    switch (outbox_.flush()) {
    case outbox::action::write_directly:
        write_directly();
        break;
    case outbox::action::wake_writer:
        wake_writer();
        break;
    default:
        break;
    }
}

void server_session::write_directly()
{
    constexpr std::size_t max_iov = 64;
    auto& frames = outbox_.direct_batch();
    std::array<iovec, max_iov> iov;
    std::size_t const count = std::min(frames.size(), max_iov);
    for (std::size_t i = 0; i < count; ++i) {
        auto const wire = frames[i].wire();
        iov[i] = iovec{const_cast<char*>(wire.data()), wire.size()};
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    // The descriptor stays open until the destructor, so this is safe while the executor
    // finishes the session; an error is met again (and handled) by the writer.
    auto const n = ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    auto const done = outbox_.direct_done(n > 0 ? static_cast<std::size_t>(n) : 0);
    auto& s = stats();
    s.messages_out.inc(done.frames_sent);
    s.writes.inc(1);
    if (done.next == outbox::action::wake_writer)
        wake_writer();
}

// Only the idle-to-busy transition costs a wake-up (the outbox says when); the writer runs on the
// executor.
void server_session::wake_writer()
{
    net::dispatch(executor_, [self = self()] { self->resume_writer(); });
}

// Executor only.
void server_session::send_control(frame f)
{
    if (outbox_.push_control(std::move(f)) == outbox::action::wake_writer)
        resume_writer();
}

void server_session::overflowed()
{
    auto& s = stats();
    s.slow_consumer_closes.inc(1);
    s.frames_dropped.inc(1);
    close(close_code::slow_consumer, "slow consumer");
}

void server_session::close(close_code code, std::string_view reason)
{
    auto const started = outbox_.begin_close(code, reason);
    if (!started.started)
        return;
    stats().frames_dropped.inc(started.dropped);
    // The writer sends the close frame; the keepalive now bounds the handshake by close_timeout.
    net::dispatch(executor_, [self = self(), wake = started.wake_writer] {
        if (wake)
            self->resume_writer();
        self->keepalive_timer_.cancel();
    });
}

void server_session::close_at(clock::time_point when, close_code code, std::string_view reason)
{
    net::dispatch(executor_, [self = self(), when, code, reason = std::string(reason)]() mutable {
        self->deadline_ = when;
        self->deadline_code_ = code;
        self->deadline_reason_ = std::move(reason);
        self->keepalive_timer_.cancel(); // recomputes its next wake-up
    });
}

void server_session::maybe_finish()
{
    if (peer_closed_ && outbox_.state() == outbox::close_state::close_sent)
        finish();
}

void server_session::finish()
{
    if (outbox_.state() == outbox::close_state::finished)
        return;
    stats().frames_dropped.inc(outbox_.finish());
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    // Ends the reader's read and the writer's write. The descriptor itself is closed by the
    // destructor only: a send() on another thread may still be using it (write_directly).
    socket_.cancel(ec);
    resume_writer(); // to end its chain
    keepalive_timer_.cancel();
}

net::awaitable<void> server_session::deliver(std::string_view message)
{
    stats().messages_in.inc(1);
    try {
        co_await handler_->on_text(*this, message);
    } catch (std::exception const& e) {
        log_error(id_, "handler failed in on_text", e.what());
        close(close_code::internal_error, "internal error");
    } catch (...) {
        log_error(id_, "handler failed in on_text", "unknown exception");
        close(close_code::internal_error, "internal error");
    }
}

void server_session::read_next()
{
    auto on_read = [self = self()](boost::system::error_code ec, std::size_t n) {
        self->on_read(ec, n);
    };
    socket_.async_read_some(net::buffer(small_read_), std::move(on_read));
}

void server_session::on_read(boost::system::error_code ec, std::size_t n)
{
    if (ec)
        return read_failed();
    last_activity_ = clock::now();
    small_full_ = n == small_read_.size();
    input_ = std::string_view(small_read_.data(), n);
    borrowed_ = false;
    parse();
}

// End of stream, reset, or our own finish(): nothing more will come.
void server_session::read_failed()
{
    peer_closed_ = true;
    finish();
    chain_ended();
}

void server_session::parse()
{
    try {
        parse_input();
    } catch (std::exception const& e) {
        log_error(id_, "session failed", e.what());
        finish();
        chain_ended();
    }
}

void server_session::parse_input()
{
    for (;;) {
        while (!discarding_ && outbox_.state() != outbox::close_state::finished &&
               !input_.empty()) {
            std::size_t used = 0;
            auto const event = parser_.parse(input_, used);
            input_.remove_prefix(used);
            switch (event) {
            case parse_event::need_more:
            case parse_event::pong:
                break;
            case parse_event::text:
                // The handler is awaited: a slow handler slows this client's reads, nobody else's.
                if (outbox_.open()) {
                    // The thread's drain buffer is another session's once this one suspends.
                    if (borrowed_ && !input_.empty()) {
                        unparsed_.assign(input_);
                        input_ = unparsed_;
                        borrowed_ = false;
                    }
                    auto delivering = deliver(parser_.message());
                    net::co_spawn(executor_, std::move(delivering),
                                  [self = self()](std::exception_ptr) { self->delivered(); });
                    return;
                }
                break;
            case parse_event::ping:
                send_control(frame::pong(parser_.control_payload()));
                break;
            case parse_event::close: {
                peer_closed_ = true;
                if (outbox_.open()) {
                    // Echo the peer's code; it is also what on_close reports.
                    auto code = parser_.received_close_code();
                    close(code == close_code::none ? close_code::normal : code, {});
                } else {
                    maybe_finish();
                }
                return chain_ended();
            }
            case parse_event::error:
                stats().protocol_errors.inc(1);
                close(parser_.error_code(), parser_.error_reason());
                discarding_ = true;
                break;
            }
        }
        input_ = {}; // parsed, or discarded
        if (unparsed_.capacity() > std::string().capacity())
            std::string().swap(unparsed_);
        if (outbox_.state() == outbox::close_state::finished)
            return chain_ended();
        if (!small_full_)
            return read_next();
        // Non-blocking: what else is there now; nothing (would_block) sends us back to the
        // asynchronous read, whose first attempt is a read too, so no readiness is missed.
        small_full_ = false;
        auto const buffer = drain_buffer();
        boost::system::error_code ec;
        auto const n = socket_.read_some(net::buffer(buffer.data(), buffer.size()), ec);
        if (ec == net::error::would_block)
            return read_next();
        if (ec)
            return read_failed();
        last_activity_ = clock::now();
        input_ = std::string_view(buffer.data(), n);
        borrowed_ = true;
    }
}

void server_session::delivered()
{
    parser_.release_message(); // an idle session keeps no message buffer
    parse();
}

void server_session::write_next()
{
    if (outbox_.state() == outbox::close_state::finished)
        return chain_ended();
    if (!outbox_.take(batch_)) {
        writer_parked_ = true;
        return;
    }
    buffers_.clear();
    if (batch_.partial)
        buffers_.push_back(net::buffer(batch_.partial.wire()));
    for (auto const& f : batch_.control)
        buffers_.push_back(net::buffer(f.wire()));
    if (batch_.close) {
        stats().frames_dropped.inc(batch_.data.size());
        batch_.data.clear();
    }
    for (auto const& f : batch_.data)
        buffers_.push_back(net::buffer(f.wire()));
    if (batch_.close)
        buffers_.push_back(net::buffer(batch_.close.wire()));
    net::async_write(socket_, buffers_, [self = self()](boost::system::error_code ec, std::size_t) {
        self->written(ec);
    });
}

void server_session::resume_writer()
{
    if (writer_parked_) {
        writer_parked_ = false;
        write_next();
    }
}

void server_session::written(boost::system::error_code ec)
{
    auto& s = stats();
    s.messages_out.inc(batch_.data.size());
    s.writes.inc(1);
    bool const close_sent = static_cast<bool>(batch_.close);
    batch_.clear();
    if (ec) {
        finish();
        return chain_ended();
    }
    if (close_sent) {
        outbox_.close_written();
        // Our FIN follows the close frame; the peer can still send its close reply.
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        maybe_finish();
        return chain_ended();
    }
    write_next();
}

void server_session::keepalive_next()
{
    static frame const ping = frame::ping();
    auto const far = clock::time_point::max();
    for (;;) {
        if (outbox_.state() == outbox::close_state::finished)
            return chain_ended();
        auto const now = clock::now();
        clock::time_point deadline;
        if (!outbox_.open()) {
            // Bounds the whole closing handshake, including a write stuck on a peer that never
            // reads.
            deadline = outbox_.closing_since() + close_timeout_;
            if (now >= deadline) {
                finish();
                continue;
            }
        } else {
            auto const idle_at = idle_timeout_.count() > 0 ? last_activity_ + idle_timeout_ : far;
            if (now >= idle_at) {
                close(close_code::going_away, "idle timeout");
                continue;
            }
            if (now >= deadline_) {
                close(deadline_code_, deadline_reason_);
                continue;
            }
            auto ping_at = far;
            if (ping_interval_.count() > 0) {
                ping_at = std::max(last_activity_, last_ping_) + ping_interval_;
                if (now >= ping_at) {
                    last_ping_ = now;
                    send_control(ping);
                    ping_at = now + ping_interval_;
                }
            }
            deadline = std::min({idle_at, ping_at, deadline_});
        }
        keepalive_timer_.expires_at(deadline);
        auto next = [self = self()](boost::system::error_code) { self->keepalive_next(); };
        keepalive_timer_.async_wait(std::move(next));
        return;
    }
}

void server_session::chain_ended()
{
    if (--chains_running_ == 0)
        ended();
}

void server_session::start(std::shared_ptr<http::upgraded_connection::stop_hook> stop)
{
    stop_ = std::move(stop);
    std::weak_ptr<server_session> weak = self();
    stop_->set([weak] {
        if (auto s = weak.lock())
            s->close(close_code::going_away, "server shutting down");
    });
    auto& s = stats();
    s.sessions_opened.inc(1);
    s.sessions_open.inc();
    last_activity_ = last_ping_ = clock::now();
    auto opening = open();
    net::co_spawn(executor_, std::move(opening),
                  [self = self()](std::exception_ptr) { self->opened(); });
}

net::awaitable<void> server_session::open()
{
    try {
        co_await handler_->on_open(*this);
    } catch (std::exception const& e) {
        log_error(id_, "handler failed in on_open", e.what());
        close(close_code::internal_error, "internal error");
    } catch (...) {
        log_error(id_, "handler failed in on_open", "unknown exception");
        close(close_code::internal_error, "internal error");
    }
}

void server_session::opened()
{
    chains_running_ = 3;
    write_next();
    keepalive_next();
    input_ = unparsed_; // what came with the upgrade request first
    parse();
}

// The writer may have sent our close frame after the reader ended, the keepalive bounding that;
// now nothing runs for this session any more.
void server_session::ended()
{
    finish();
    try {
        handler_->on_close(*this, outbox_.code());
    } catch (std::exception const& e) {
        log_error(id_, "handler failed in on_close", e.what());
    } catch (...) {
        log_error(id_, "handler failed in on_close", "unknown exception");
    }
    stats().sessions_open.dec();
}

net::awaitable<void> nothing()
{
    co_return;
}

} // namespace

net::awaitable<void> serve(http::upgraded_connection conn, std::shared_ptr<handler> h,
                           session_options const& options, std::string subprotocol)
{
    auto& socket = conn.socket();
    auto executor = socket.get_executor();
    if (options.no_delay) { // see session_options::no_delay
        boost::system::error_code ignored;
        socket.set_option(net::ip::tcp::no_delay(true), ignored);
    }
    boost::system::error_code ec; // the reader's drain reads must not block
    socket.non_blocking(true, ec);
    if (ec)
        return nothing();
    auto s = std::make_shared<server_session>(std::move(socket), std::move(conn.buffered()),
                                              std::move(h), options, conn.remote_address(),
                                              std::move(subprotocol), conn.ticket());
    auto begin = [s, stop = conn.stop()] { s->start(stop); };
    net::dispatch(executor, std::move(begin));
    return nothing();
}

} // namespace parley::ws::detail
