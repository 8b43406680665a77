#include "gateway/ws_proxy.hpp"

#include "gateway/upstream.hpp"
#include "parley/http/address.hpp"
#include "parley/http/context.hpp"
#include "parley/http/error.hpp"
#include "parley/log/log.hpp"
#include "parley/metrics/metrics.hpp"
#include "parley/ws/handshake.hpp"

#include <algorithm>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>

namespace parley::gateway_app {

namespace {

using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// --- accounting -------------------------------------------------------------------------------

metrics::gauge_series& open_relays()
{
    static auto& g = metrics::gauge("parley_gateway_ws_relays", "WebSocket connections relayed");
    return g;
}
metrics::gauge_series& buffered_bytes()
{
    static auto& g = metrics::gauge("parley_gateway_ws_relay_buffered_bytes",
                                    "Bytes the relay holds for a side that cannot take them yet");
    return g;
}
metrics::counter_series& cut_offs()
{
    static auto& c = metrics::counter("parley_gateway_ws_relay_cut_offs_total",
                                      "Relayed connections cut off: a side stopped reading");
    return c;
}

// --- frames -----------------------------------------------------------------------------------

// Follows the frames of one direction by their headers alone (payloads are skipped by length,
// never copied or unmasked), to know where a frame ends and whether a close frame went by.
class frame_tracker {
public:
    // Follows n bytes; with stop_at_boundary, stops where the first frame ends (at once when
    // between frames). Returns the bytes followed.
    std::size_t advance(char const* p, std::size_t n, bool stop_at_boundary) noexcept
    {
        std::size_t i = 0;
        while (i < n) {
            if (stop_at_boundary && at_boundary())
                return i;
            if (payload_left_ > 0) {
                auto const k = static_cast<std::size_t>(
                    std::min<std::uint64_t>(payload_left_, static_cast<std::uint64_t>(n - i)));
                i += k;
                payload_left_ -= k;
                continue;
            }
            header_[have_++] = static_cast<unsigned char>(p[i++]);
            if (have_ == 2) {
                auto const len7 = header_[1] & 0x7f;
                need_ = static_cast<std::uint8_t>(2 +
                                                  (len7 == 126   ? 2
                                                   : len7 == 127 ? 8
                                                                 : 0) +
                                                  ((header_[1] & 0x80) ? 4 : 0));
            }
            if (have_ >= 2 && have_ == need_)
                end_header();
        }
        return i;
    }
    bool at_boundary() const noexcept { return have_ == 0 && payload_left_ == 0; }
    bool close_seen() const noexcept { return close_seen_; }

private:
    void end_header() noexcept
    {
        auto const len7 = header_[1] & 0x7f;
        std::uint64_t len = len7;
        if (len7 >= 126) {
            len = 0;
            for (int b = 0; b < (len7 == 126 ? 2 : 8); ++b)
                len = (len << 8) | header_[2 + b];
        }
        payload_left_ = len;
        if ((header_[0] & 0x0f) == 0x8)
            close_seen_ = true;
        have_ = 0;
    }

    std::uint64_t payload_left_ = 0;
    unsigned char header_[14] = {};
    std::uint8_t have_ = 0;
    std::uint8_t need_ = 2;
    bool close_seen_ = false;
};

// A close frame: unmasked from the server side (to the browser), masked from the client side
// (to chat).
std::string close_frame(ws::close_code code, std::string_view reason, bool masked)
{
    reason = reason.substr(0, 123);
    std::string payload;
    payload.push_back(static_cast<char>(static_cast<std::uint16_t>(code) >> 8));
    payload.push_back(static_cast<char>(static_cast<std::uint16_t>(code) & 0xff));
    payload.append(reason);
    std::string f;
    f.push_back(static_cast<char>(0x88));
    f.push_back(static_cast<char>((masked ? 0x80 : 0) | payload.size()));
    if (masked) {
        thread_local std::minstd_rand random(std::random_device{}());
        unsigned char key[4];
        for (auto& k : key)
            k = static_cast<unsigned char>(random());
        f.append(reinterpret_cast<char const*>(key), 4);
        for (std::size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<char>(payload[i] ^ key[i % 4]);
    }
    return f + payload;
}

// --- buffers ----------------------------------------------------------------------------------

// Reads land here: one buffer per I/O thread, handed on before the next read.
constexpr std::size_t read_bytes = 64 * 1024;
char* thread_buffer()
{
    thread_local std::unique_ptr<char[]> buffer;
    if (!buffer)
        buffer.reset(new char[read_bytes]);
    return buffer.get();
}

// Chat's writes up to this size are read into the connection's own small buffer (see
// relay::arm_read): one message frame of the chat protocol fits.
constexpr std::size_t small_read_bytes = 512;

// What a side could not take yet: allocated when needed, freed once written.
class pending_bytes {
public:
    ~pending_bytes() { release(); }
    bool empty() const noexcept { return begin_ == end_; }
    char const* data() const noexcept { return data_.get() + begin_; }
    std::size_t size() const noexcept { return end_ - begin_; }
    void consume(std::size_t n) noexcept { begin_ += static_cast<std::uint32_t>(n); }
    void append(char const* p, std::size_t n)
    {
        if (end_ + n > capacity_) {
            auto const have = size();
            auto const capacity = have + n;
            std::unique_ptr<char[]> grown(new char[capacity]);
            if (have > 0)
                std::memcpy(grown.get(), data(), have);
            buffered_bytes().add(static_cast<std::int64_t>(capacity) - capacity_);
            data_ = std::move(grown);
            capacity_ = static_cast<std::uint32_t>(capacity);
            begin_ = 0;
            end_ = static_cast<std::uint32_t>(have);
        }
        std::memcpy(data_.get() + end_, p, n);
        end_ += static_cast<std::uint32_t>(n);
    }
    void release() noexcept
    {
        if (capacity_ == 0)
            return;
        buffered_bytes().add(-static_cast<std::int64_t>(capacity_));
        data_.reset();
        capacity_ = begin_ = end_ = 0;
    }

private:
    std::unique_ptr<char[]> data_;
    std::uint32_t capacity_ = 0, begin_ = 0, end_ = 0;
};

// --- the relay --------------------------------------------------------------------------------

struct timeouts {
    std::chrono::milliseconds idle, stall, close;
};

// One relayed connection after both 101s: two sockets on one strand, driven by completion
// handlers (no coroutine frame per direction). Each direction reads its source when readable,
// writes what it read to its destination at once with a non-blocking send, keeps only the rest
// and stops reading until that is written. (Asio's epoll reactor is edge-triggered; its
// async_wait re-arms the descriptor and its async_read_some reads speculatively after an edge,
// so readiness that came between a read and the next wait is never lost.) One timer bounds
// idleness, stalls and closes.
class relay : public std::enable_shared_from_this<relay> {
public:
    relay(tcp::socket upstream, std::string upstream_early, timeouts t)
        : upstream_(std::move(upstream)), browser_(upstream_.get_executor()),
          timer_(upstream_.get_executor()), early_(std::move(upstream_early)), timeouts_(t)
    {
        open_relays().inc();
    }
    ~relay() { open_relays().dec(); }

    static net::awaitable<void> run(std::shared_ptr<relay> self, http::upgraded_connection conn)
    {
        self->start(conn);
        auto initiation = [self](auto handler) { self->when_finished(std::move(handler)); };
        co_await net::async_initiate<net::use_awaitable_t<> const, void()>(initiation,
                                                                           net::use_awaitable);
    }

private:
    struct direction {
        direction(tcp::socket* from, tcp::socket* to, bool browser_side) noexcept
            : src(from), dst(to), to_browser(browser_side)
        {}
        tcp::socket* src;
        tcp::socket* dst;
        bool to_browser;
        frame_tracker frames; // of what was passed to dst
        pending_bytes pending;
        clock::time_point progress_at{}; // last write progress while bytes were pending
        ws::close_code inject = ws::close_code::none; // a close for dst at the next boundary
        std::string_view inject_reason;
        bool read_armed = false;
        bool small_read = false; // the armed read is an async_read_some into small_
        bool small_reads = true; // src's last read was small: read into small_ next
        bool write_armed = false;
        bool src_done = false;       // src ended: nothing more to read
        bool dst_done = false;       // nothing more will be written to dst (shut down or dead)
        bool shutdown_after = false; // shut dst down once pending is written
        bool discard = false;        // what src sends is dropped (dst has a close or is gone)
    };

    void start(http::upgraded_connection& conn)
    {
        browser_ = std::move(conn.socket());
        for (auto* s : {&browser_, &upstream_}) {
            error_code ignored;
            s->set_option(tcp::no_delay(true), ignored);
            s->non_blocking(true, ignored);
        }
        std::weak_ptr<relay> weak = shared_from_this();
        auto ex = browser_.get_executor();
        conn.on_stop([weak, ex] {
            auto stop = [weak] {
                if (auto self = weak.lock())
                    self->close_both(ws::close_code::going_away, "server shutting down");
            };
            net::post(ex, stop);
        });
        next_tick_ = clock::now() + tick();
        arm_timer(next_tick_);
        // What came before the relay: the browser's first bytes read with its request, chat's
        // with its 101.
        if (!conn.buffered().empty())
            deliver(to_chat_, conn.buffered().data(), conn.buffered().size());
        std::string().swap(conn.buffered());
        if (!early_.empty())
            deliver(to_browser_, early_.data(), early_.size());
        std::string().swap(early_);
        pump(to_browser_);
        pump(to_chat_);
    }

    void when_finished(net::any_completion_handler<void()> handler)
    {
        done_.swap(handler); // (Boost 1.81's move assignment recurses)
        if (finished_)
            complete();
    }

    void complete()
    {
        if (!done_)
            return;
        auto done = [h = std::move(done_)]() mutable { std::move(h)(); };
        net::post(browser_.get_executor(), std::move(done));
    }

    direction& other(direction& d) noexcept { return &d == &to_browser_ ? to_chat_ : to_browser_; }

    bool may_read(direction const& d) const noexcept
    {
        return !finished_ && !d.src_done && (d.pending.empty() || d.discard);
    }

    // Reads src while it has bytes and dst takes them (or they are dropped), then waits for
    // more. Never while a read into small_ is pending (two reads would race for the bytes).
    void pump(direction& d)
    {
        if (d.read_armed && d.small_read)
            return; // its completion continues
        auto* const buffer = thread_buffer();
        for (int reads = 0; may_read(d); ++reads) {
            if (reads == 16) { // a fast sender does not hold the thread: continue later
                auto later = [self = shared_from_this(), &d] { self->pump(d); };
                net::post(browser_.get_executor(), std::move(later));
                return;
            }
            error_code ec;
            auto const n = d.src->read_some(net::buffer(buffer, read_bytes), ec);
            if (ec == net::error::would_block)
                break;
            if (ec) {
                src_ended(d, ec);
                return;
            }
            active_ = true;
            deliver(d, buffer, n);
            if (n < read_bytes) { // drained
                d.small_reads = n <= small_read_bytes;
                break;
            }
        }
        if (may_read(d))
            arm_read(d);
    }

    // Readability is waited for in one of two ways. async_wait costs an epoll_ctl each time
    // (Asio re-arms the descriptor), which at moderate load, one chat write per wake-up, is a
    // good part of the relay's own cost; so while chat's writes are small (one message each),
    // the chat side reads into small_ instead: Asio reads when epoll reports the data, and no
    // system call arms the next read. Once writes are larger (chat coalescing under load),
    // async_wait and the thread's buffer take over again.
    void arm_read(direction& d)
    {
        if (d.read_armed)
            return;
        d.read_armed = true;
        d.small_read = d.to_browser && d.small_reads;
        if (d.small_read) {
            auto read = [self = shared_from_this(), &d](error_code ec, std::size_t n) {
                d.read_armed = false;
                self->small_read_done(d, ec, n);
            };
            d.src->async_read_some(net::buffer(small_, small_read_bytes), std::move(read));
            return;
        }
        auto readable = [self = shared_from_this(), &d](error_code ec) {
            d.read_armed = false;
            if (!ec)
                self->pump(d);
        };
        d.src->async_wait(tcp::socket::wait_read, std::move(readable));
    }

    void small_read_done(direction& d, error_code ec, std::size_t n)
    {
        if (ec == net::error::operation_aborted || finished_)
            return;
        if (ec) {
            src_ended(d, ec);
            return;
        }
        active_ = true;
        if (n < small_read_bytes) {
            deliver(d, small_, n);
            if (may_read(d))
                arm_read(d);
            return;
        }
        // small_ is full: the rest goes with it, in one write.
        d.small_reads = false;
        auto* const buffer = thread_buffer();
        std::memcpy(buffer, small_, n);
        error_code rec;
        auto more = d.src->read_some(net::buffer(buffer + n, read_bytes - n), rec);
        if (rec == net::error::would_block) {
            more = 0;
            rec = {};
        }
        deliver(d, buffer, n + more);
        if (rec) {
            src_ended(d, rec);
            return;
        }
        if (n + more == read_bytes)
            pump(d); // there may be more
        else if (may_read(d))
            arm_read(d);
    }

    // Bytes read from src, for dst.
    void deliver(direction& d, char const* p, std::size_t n)
    {
        if (d.discard || d.dst_done)
            return;
        if (d.inject != ws::close_code::none) {
            auto const upto = d.frames.advance(p, n, true);
            write(d, p, upto);
            if (d.frames.at_boundary())
                inject_close(d, d.inject, d.inject_reason);
            return; // after our close frame, nothing more goes to dst
        }
        d.frames.advance(p, n, false);
        write(d, p, n);
    }

    // One send of what came in one read; only the rest is kept.
    void write(direction& d, char const* p, std::size_t n)
    {
        if (n == 0 || d.dst_done)
            return;
        if (!d.pending.empty()) {
            d.pending.append(p, n);
            return;
        }
        error_code ec;
        auto sent = d.dst->send(net::buffer(p, n), 0, ec);
        if (ec == net::error::would_block) {
            sent = 0;
            ec = {};
        }
        if (ec) {
            dst_failed(d);
            return;
        }
        if (sent == n)
            return;
        d.pending.append(p + sent, n - sent);
        d.progress_at = clock::now();
        arm_timer(d.progress_at + timeouts_.stall);
        arm_write(d);
    }

    void arm_write(direction& d)
    {
        if (d.write_armed)
            return;
        d.write_armed = true;
        auto writable = [self = shared_from_this(), &d](error_code ec) {
            d.write_armed = false;
            if (!ec)
                self->flush(d);
        };
        d.dst->async_wait(tcp::socket::wait_write, std::move(writable));
    }

    // Sends what is pending; false when some is left (the write wait is armed then).
    bool send_pending(direction& d)
    {
        while (!d.pending.empty()) {
            error_code ec;
            auto const sent = d.dst->send(net::buffer(d.pending.data(), d.pending.size()), 0, ec);
            if (ec == net::error::would_block) {
                arm_write(d);
                return false;
            }
            if (ec) {
                dst_failed(d);
                return true;
            }
            d.pending.consume(sent);
            d.progress_at = clock::now();
        }
        d.pending.release();
        return true;
    }

    // dst became writable.
    void flush(direction& d)
    {
        if (finished_ || d.dst_done || d.pending.empty())
            return;
        if (!send_pending(d))
            return;
        if (d.shutdown_after)
            shut_down(d);
        else
            pump(d);
        check_finished();
    }

    void shut_down(direction& d)
    {
        if (d.dst_done)
            return;
        d.shutdown_after = true;
        if (!d.pending.empty())
            return; // after it is written
        error_code ignored;
        d.dst->shutdown(tcp::socket::shutdown_send, ignored);
        d.dst_done = true;
    }

    // Our close frame into dst, after which dst gets nothing more and is shut down.
    void inject_close(direction& d, ws::close_code code, std::string_view reason)
    {
        d.inject = ws::close_code::none;
        auto const frame = close_frame(code, reason, !d.to_browser);
        write(d, frame.data(), frame.size());
        d.discard = true;
        shut_down(d);
    }

    // A close for dst as soon as a frame boundary allows (unless one already went by).
    void request_close(direction& d, ws::close_code code, std::string_view reason)
    {
        if (d.dst_done || d.discard || d.frames.close_seen())
            return;
        if (d.frames.at_boundary()) {
            inject_close(d, code, reason);
        } else {
            d.inject = code;
            d.inject_reason = reason;
        }
    }

    // src ended: at its end of stream (eof) or broken (anything else).
    void src_ended(direction& d, error_code ec)
    {
        d.src_done = true;
        begin_closing();
        if (ec != net::error::eof) { // nothing can be written to it either
            auto& o = other(d);
            o.pending.release();
            o.dst_done = o.discard = true;
        }
        // Gone without a close frame: the other side hears it as going away, if the last frame
        // was complete; a frame cut in the middle cannot be finished, so dst just ends.
        if (!d.frames.close_seen() && !d.discard && !d.dst_done && d.frames.at_boundary())
            inject_close(d, ws::close_code::going_away,
                         d.to_browser ? "chat service went away" : "client went away");
        shut_down(d);
        check_finished();
    }

    // Writing to dst failed: dst is gone, and reading it ends too.
    void dst_failed(direction& d)
    {
        d.pending.release();
        d.dst_done = d.discard = true;
        auto& o = other(d);
        if (!o.src_done)
            src_ended(o, net::error::connection_reset);
        begin_closing();
        check_finished();
    }

    // The gateway ends the connection (stop, idle): 1001 to both sides at frame boundaries.
    void close_both(ws::close_code code, std::string_view reason)
    {
        if (finished_)
            return;
        begin_closing();
        request_close(to_browser_, code, reason);
        request_close(to_chat_, ws::close_code::going_away, reason);
        pump(to_browser_); // e.g. to reach a boundary, or drop what comes after our close
        pump(to_chat_);
        check_finished();
    }

    // d's destination took nothing for stall_timeout: it is cut off.
    void cut_off(direction& d)
    {
        cut_offs().inc();
        log::warn("websocket relay: a side stopped reading, cut off",
                  {{"side", d.to_browser ? "browser" : "chat"},
                   {"pending_bytes", static_cast<std::uint64_t>(d.pending.size())}});
        begin_closing();
        if (d.frames.at_boundary())
            request_close(d,
                          d.to_browser ? ws::close_code::slow_consumer : ws::close_code::going_away,
                          "too slow");
        else
            kill(d); // no frame boundary within reach
        request_close(other(d), ws::close_code::going_away, "other side too slow");
        pump(to_browser_);
        pump(to_chat_);
        check_finished();
    }

    void begin_closing()
    {
        if (closing_)
            return;
        closing_ = true;
        close_deadline_ = clock::now() + timeouts_.close;
        arm_timer(close_deadline_);
    }

    void check_finished()
    {
        if (!finished_ && to_browser_.src_done && to_browser_.dst_done && to_chat_.src_done &&
            to_chat_.dst_done)
            finish();
    }

    // d's destination is reset: nothing more is written to it or read from it.
    void kill(direction& d)
    {
        reset(*d.dst);
        d.pending.release();
        d.dst_done = d.discard = true;
        other(d).src_done = true;
    }

    static void reset(tcp::socket& s)
    {
        error_code ignored;
        s.set_option(net::socket_base::linger(true, 0), ignored);
        s.close(ignored);
    }

    void finish()
    {
        finished_ = true;
        error_code ignored;
        browser_.close(ignored);
        upstream_.close(ignored);
        timer_.cancel();
        to_browser_.pending.release();
        to_chat_.pending.release();
        complete();
    }

    // Past the close bound: reset both.
    void abort()
    {
        reset(browser_);
        reset(upstream_);
        finish();
    }

    // One timer: re-armed only when a deadline earlier than the armed one appears, and at each
    // expiry. Activity only sets a flag (no clock read per read): the timer ticks every quarter
    // of the idle limit, and four quiet ticks in a row end the connection (after 1 to 1.25 times
    // the limit of silence).
    std::chrono::milliseconds tick() const noexcept
    {
        return std::max(timeouts_.idle / 4, std::chrono::milliseconds(1));
    }

    void arm_timer(clock::time_point at)
    {
        if (finished_ || (timer_armed_ && at >= timer_at_))
            return;
        timer_armed_ = true;
        timer_at_ = at;
        timer_.expires_at(at);
        auto expired = [self = shared_from_this()](error_code ec) {
            if (ec != net::error::operation_aborted)
                self->on_timer();
        };
        timer_.async_wait(std::move(expired));
    }

    void on_timer()
    {
        auto const now = clock::now();
        if (finished_ || now < timer_at_)
            return; // stale: the wait armed since covers it
        timer_armed_ = false;
        if (closing_ && now >= close_deadline_) {
            abort();
            return;
        }
        for (auto* d : {&to_browser_, &to_chat_})
            if (!d->pending.empty() && !d->dst_done && !d->discard &&
                now >= d->progress_at + timeouts_.stall)
                cut_off(*d);
        if (!closing_ && now >= next_tick_) {
            next_tick_ = now + tick();
            quiet_ticks_ = active_ ? 0 : quiet_ticks_ + 1;
            active_ = false;
            if (quiet_ticks_ >= 4)
                close_both(ws::close_code::going_away, "idle timeout");
        }
        if (finished_)
            return;
        auto next = closing_ ? close_deadline_ : next_tick_;
        for (auto* d : {&to_browser_, &to_chat_})
            if (!d->pending.empty() && !d->dst_done && !d->discard)
                next = std::min(next, d->progress_at + timeouts_.stall);
        arm_timer(next);
    }

    tcp::socket upstream_;
    tcp::socket browser_;
    net::steady_timer timer_;
    std::string early_; // chat's bytes after its 101, until start()
    timeouts timeouts_;
    direction to_browser_{&upstream_, &browser_, true};
    direction to_chat_{&browser_, &upstream_, false};
    char small_[small_read_bytes]; // chat's small writes land here (see arm_read)
    net::any_completion_handler<void()> done_;
    clock::time_point next_tick_{};
    clock::time_point timer_at_{};
    clock::time_point close_deadline_{};
    std::uint8_t quiet_ticks_ = 0;
    bool active_ = false; // something was read since the last tick
    bool timer_armed_ = false;
    bool closing_ = false;
    bool finished_ = false;
};

// --- the upstream handshake -------------------------------------------------------------------

// The browser's upgrade request as chat should see it: the browser's key, version and offered
// protocols, and what every forwarded request carries (Origin, X-Forwarded-For, request id,
// trace context).
class upstream_request_head {
public:
    upstream_request_head(upstream const& chat, http::request_context const& ctx)
    {
        auto const& req = ctx.request();
        auto const fwd = upstream_request(chat, ctx, req.target);
        if (req.target.find_first_of(" \r\n") != std::string::npos)
            throw http::bad_request("invalid request target");
        request_line_ = "GET " + req.target + " HTTP/1.1\r\n";
        add("Upgrade", "websocket");
        add("Connection", "Upgrade");
        add("Sec-WebSocket-Version", "13");
        add("Sec-WebSocket-Key", req.headers.get("Sec-WebSocket-Key").value_or(""));
        std::string protocols;
        for (auto const& [name, value] : req.headers)
            if (http::iequals(name, "Sec-WebSocket-Protocol"))
                protocols += (protocols.empty() ? "" : ", ") + value;
        if (!protocols.empty())
            add("Sec-WebSocket-Protocol", protocols);
        for (auto const& [name, value] : fwd.headers)
            if (!http::iequals(name, "Content-Type"))
                add(name, value);
        head_ += "\r\n";
    }

    // The request line, Host for this address, then the rest.
    std::string for_host(http::service_address const& to) const
    {
        return request_line_ + "Host: " + to.host_header + "\r\n" + head_;
    }

private:
    void add(std::string_view name, std::string_view value)
    {
        // The request parser refuses these already; a header line must never be split here.
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
            throw http::bad_request("invalid header value");
        head_.append(name);
        head_ += ": ";
        head_.append(value);
        head_ += "\r\n";
    }

    std::string request_line_;
    std::string head_; // the header lines after Host, and the blank line
};

// Chat's answer to the upgrade.
struct upstream_reply {
    unsigned status = 0;
    std::string accept;   // Sec-WebSocket-Accept
    std::string protocol; // Sec-WebSocket-Protocol
    bool upgrade_websocket = false;
    std::string early; // bytes after the head: chat's first frames
};

// Parses a response head ending in CRLF CRLF; nothing when it is not HTTP/1.x.
std::optional<upstream_reply> parse_reply(std::string_view head)
{
    auto eol = head.find("\r\n");
    auto status_line = head.substr(0, eol);
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12)
        return std::nullopt;
    upstream_reply r;
    for (char c : status_line.substr(9, 3)) {
        if (c < '0' || c > '9')
            return std::nullopt;
        r.status = r.status * 10 + static_cast<unsigned>(c - '0');
    }
    auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
            v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
            v.remove_suffix(1);
        return v;
    };
    head.remove_prefix(eol + 2);
    while (!head.empty()) {
        eol = head.find("\r\n");
        auto const field = head.substr(0, eol);
        head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
        auto const colon = field.find(':');
        if (colon == std::string_view::npos)
            continue;
        auto const name = field.substr(0, colon);
        auto const value = trim(field.substr(colon + 1));
        if (http::iequals(name, "Sec-WebSocket-Accept"))
            r.accept = value;
        else if (http::iequals(name, "Sec-WebSocket-Protocol"))
            r.protocol = value;
        else if (http::iequals(name, "Upgrade"))
            r.upgrade_websocket = http::iequals(value, "websocket");
    }
    return r;
}

constexpr std::size_t max_reply_head_bytes = 8 * 1024;

// Connects to one chat address and sends the upgrade; chat's answer, or an error.
net::awaitable<std::optional<upstream_reply>>
handshake(tcp::socket& socket, http::service_address to, std::string request)
{
    auto ex = co_await net::this_coro::executor;
    error_code ec;
    auto address = net::ip::make_address(to.host, ec);
    if (!ec) {
        tcp::endpoint endpoint(address, static_cast<std::uint16_t>(std::stoul(to.port)));
        std::tie(ec) = co_await socket.async_connect(endpoint, use_tuple);
    } else {
        tcp::resolver resolver(ex);
        auto [rec, endpoints] = co_await resolver.async_resolve(to.host, to.port, use_tuple);
        if (rec)
            co_return std::nullopt;
        std::tie(ec, std::ignore) = co_await net::async_connect(socket, endpoints, use_tuple);
    }
    if (ec)
        co_return std::nullopt;
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto [wec, written] = co_await net::async_write(socket, net::buffer(request), use_tuple);
    if (wec)
        co_return std::nullopt;
    std::string in;
    std::size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
        if (in.size() >= max_reply_head_bytes)
            co_return std::nullopt;
        auto const have = in.size();
        in.resize(std::max<std::size_t>(have + 1024, 2 * have));
        auto [rec, n] = co_await socket.async_read_some(
            net::buffer(in.data() + have, in.size() - have), use_tuple);
        in.resize(have + n);
        if (rec)
            co_return std::nullopt;
        head_end = in.find("\r\n\r\n", have > 3 ? have - 3 : 0);
    }
    auto reply = parse_reply(std::string_view(in).substr(0, head_end + 2));
    if (reply)
        reply->early = in.substr(head_end + 4);
    co_return reply;
}

net::awaitable<void> expire(net::steady_timer& timer)
{
    co_await timer.async_wait(use_tuple);
}

// The handshake with one address, bounded in time.
net::awaitable<std::optional<upstream_reply>> try_upstream(tcp::socket& socket,
                                                           http::service_address to,
                                                           std::string request,
                                                           std::chrono::milliseconds timeout)
{
    using namespace net::experimental::awaitable_operators;
    net::steady_timer timer(socket.get_executor(), timeout);
    auto attempt = handshake(socket, std::move(to), std::move(request));
    auto deadline = expire(timer);
    auto race = std::move(attempt) || std::move(deadline);
    auto outcome = co_await std::move(race);
    if (outcome.index() == 0)
        co_return std::get<0>(std::move(outcome));
    co_return std::nullopt;
}

// --- answering the browser --------------------------------------------------------------------

struct endpoint_state {
    std::shared_ptr<gateway_state> gateway;
    relay_options options;
};

// Reads and drops until the peer closes.
net::awaitable<void> drain(tcp::socket& s)
{
    char sink[256];
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(net::buffer(sink), use_tuple);
        if (ec)
            co_return;
    }
}

// No chat instance answered: the browser still gets its upgrade, then 1013 (try again later),
// which a page can read where an HTTP status is invisible to it.
net::awaitable<void> close_unavailable(http::upgraded_connection conn,
                                       std::chrono::milliseconds close_timeout)
{
    using namespace net::experimental::awaitable_operators;
    auto& s = conn.socket();
    error_code ignored;
    s.set_option(tcp::no_delay(true), ignored);
    auto const frame = close_frame(ws::close_code::try_again_later, "Service unavailable", false);
    auto [ec, n] = co_await net::async_write(s, net::buffer(frame), use_tuple);
    if (ec)
        co_return;
    s.shutdown(tcp::socket::shutdown_send, ignored);
    // Until the browser closes too (its close reply is dropped), bounded.
    net::steady_timer timer(s.get_executor(), close_timeout);
    auto reading = drain(s);
    auto deadline = expire(timer);
    auto race = std::move(reading) || std::move(deadline);
    co_await std::move(race);
}

bool offered(http::request const& req, std::string_view protocol)
{
    for (auto const& [name, value] : req.headers) {
        if (!http::iequals(name, "Sec-WebSocket-Protocol"))
            continue;
        std::string_view list = value;
        while (!list.empty()) {
            auto comma = list.find(',');
            auto item = list.substr(0, comma);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
                item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
                item.remove_suffix(1);
            if (item == protocol)
                return true;
            list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
        }
    }
    return false;
}

net::awaitable<http::upgrade> answer(std::shared_ptr<endpoint_state const> e,
                                     http::request_context& ctx)
{
    auto const& req = ctx.request();
    auto const& o = e->options;
    http::upgrade out;
    out.res = ws::upgrade_response(req, o.handshake); // 400, 426, 403 (the gateway's origins)
    std::string const expected_accept(out.res.headers.get("Sec-WebSocket-Accept").value_or(""));
    auto& g = *e->gateway;
    upstream_request_head const head(g.chat, ctx);
    timeouts const t{o.idle_timeout, o.stall_timeout, o.close_timeout};

    auto ex = co_await net::this_coro::executor; // the browser connection's strand
    auto const& addresses = g.chat.addresses;
    auto const start = g.next_chat.fetch_add(1);
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        auto const& address = addresses[(start + i) % addresses.size()];
        http::service_address to;
        try {
            to = http::parse_service_address(address); // checked at start-up already
        } catch (std::invalid_argument const&) {
            continue;
        }
        tcp::socket socket(ex);
        auto request = head.for_host(to);
        auto attempt = try_upstream(socket, to, std::move(request), g.ws_connect_timeout);
        auto reply = co_await std::move(attempt);
        if (!reply) {
            log::warn("chat instance unavailable for a WebSocket",
                      {{"request_id", ctx.request_id()}, {"address", address}});
            continue;
        }
        if (reply->status == 401 || reply->status == 403)
            throw http::forbidden("refused by the chat service"); // e.g. chat's origins
        bool const valid = reply->status == 101 && reply->upgrade_websocket &&
                           reply->accept == expected_accept &&
                           (reply->protocol.empty() || offered(req, reply->protocol));
        if (!valid) {
            log::warn("chat instance refused a WebSocket upgrade",
                      {{"request_id", ctx.request_id()},
                       {"address", address},
                       {"status", reply->status}});
            continue;
        }
        if (!reply->protocol.empty())
            out.res.headers.set("Sec-WebSocket-Protocol", reply->protocol);
        else
            out.res.headers.erase("Sec-WebSocket-Protocol");
        auto r = std::make_shared<relay>(std::move(socket), std::move(reply->early), t);
        out.run = [r](http::upgraded_connection conn) { return relay::run(r, std::move(conn)); };
        co_return out;
    }
    log::warn("chat service unavailable for a WebSocket",
              {{"request_id", ctx.request_id()}, {"remote", req.remote_address}});
    out.res.headers.erase("Sec-WebSocket-Protocol");
    out.run = [close_timeout = o.close_timeout](http::upgraded_connection conn) {
        return close_unavailable(std::move(conn), close_timeout);
    };
    co_return out;
}

} // namespace

relay_options relay_options_from(config const& cfg, ws::session_options handshake)
{
    relay_options o;
    o.handshake = std::move(handshake);
    o.handshake.subprotocols.clear(); // chat chooses
    auto const chat_idle = cfg.duration({"PARLEY_WS_IDLE_TIMEOUT"}, std::chrono::seconds(60));
    o.idle_timeout =
        cfg.duration({"PARLEY_WS_RELAY_IDLE_TIMEOUT"}, chat_idle + std::chrono::seconds(15));
    o.stall_timeout = cfg.duration({"PARLEY_WS_RELAY_STALL_TIMEOUT"}, o.stall_timeout);
    o.close_timeout = cfg.duration({"PARLEY_WS_CLOSE_TIMEOUT"}, o.close_timeout);
    return o;
}

http::upgrade_handler ws_relay(std::shared_ptr<gateway_state> g, relay_options options)
{
    auto e =
        std::make_shared<endpoint_state const>(endpoint_state{std::move(g), std::move(options)});
    return [e](http::request_context& ctx) { return answer(e, ctx); };
}

relay_counts relay_totals() noexcept
{
    return {open_relays().value(), buffered_bytes().value()};
}

} // namespace parley::gateway_app
