#include "bus/redis/connection.hpp"

#include "parley/log/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <random>

// GCC 12 false positive on Asio coroutine frames (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace parley::bus::redis::detail {

namespace {

constexpr std::size_t read_buffer_bytes = 64 * 1024;
// A buffer that grew this large during a burst is given back once written.
constexpr std::size_t keep_write_buffer_bytes = 1024 * 1024;
// The same connection failure is logged again after this long.
constexpr auto repeat_failure_log = std::chrono::seconds(30);

std::string describe(error_code ec, std::string const& redis_said)
{
    std::string text = ec.message();
    if (!redis_said.empty())
        text.append(": ").append(redis_said);
    return text;
}

} // namespace

connection::connection(net::any_io_executor executor, endpoint where, client_options options,
                       bool share_message_payloads)
    : where_(std::move(where)), options_(std::move(options)),
      strand_(net::make_strand(std::move(executor))),
      reader_(options_.max_reply_bytes, share_message_payloads), socket_(strand_),
      resolver_(strand_), wake_(strand_), watchdog_timer_(strand_), deadline_(strand_),
      backoff_timer_(strand_), read_buffer_(read_buffer_bytes),
      jitter_state_((std::uint64_t{std::random_device{}()} << 32) | 1),
      connected_gauge_(metrics::gauge("parley_redis_connections",
                                      "Connections to Redis currently up",
                                      {{"connection", options_.name}})),
      reconnects_(metrics::counter("parley_redis_reconnects_total",
                                   "Connections to Redis lost and made again",
                                   {{"connection", options_.name}}))
{}

connection::~connection() = default;

void connection::start()
{
    auto run_it = [self = shared_from_this()] { return self->run(); };
    net::co_spawn(strand_, run_it, [name = options_.name](std::exception_ptr e) {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (std::exception const& ex) {
            log::error("redis connection stopped", {{"connection", name}, {"error", ex.what()}});
        }
    });
}

void connection::close()
{
    {
        std::lock_guard lock(mutex_);
        if (std::exchange(closed_, true))
            return;
    }
    net::post(strand_, [self = shared_from_this()] {
        self->closing_ = true;
        self->end_session(error::closed, "closed");
        // An attempt or a pause in progress.
        error_code ignored;
        self->resolver_.cancel();
        self->socket_.close(ignored);
        self->backoff_timer_.cancel();
    });
}

bool connection::connected() const
{
    std::lock_guard lock(mutex_);
    return connected_;
}

std::size_t connection::outbound_bytes() const
{
    std::lock_guard lock(mutex_);
    return outbox_.size() + writing_bytes_;
}

void connection::append_locked(std::span<std::string_view const> args, std::size_t replies)
{
    append_command(outbox_, args);
    unsent_replies_ += replies;
    wake_writer_locked();
}

void connection::append_encoded_locked(std::string_view bytes, std::size_t replies)
{
    outbox_.append(bytes);
    unsent_replies_ += replies;
    wake_writer_locked();
}

void connection::wake_writer_locked()
{
    // Only a writer that is waiting needs the strand; a busy one takes the outbox when done.
    if (std::exchange(writer_waiting_, false))
        net::post(strand_, [self = shared_from_this()] { self->wake_.cancel(); });
}

void connection::end_session(error_code ec, std::string_view why)
{
    if (session_over_)
        return;
    session_over_ = true;
    session_error_ = ec;
    session_why_ = why;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    wake_.cancel();
    watchdog_timer_.cancel();
}

void connection::end_session_soon_locked(error_code ec, std::string_view why)
{
    net::post(strand_, [self = shared_from_this(), session = session_, ec, why = std::string(why)] {
        if (self->session_ == session)
            self->end_session(ec, why);
    });
}

net::awaitable<void> connection::run()
{
    unsigned failures = 0;
    bool ever_connected = false;
    while (!closing_) {
        try {
            auto const ec = co_await connect_once();
            if (closing_)
                break;
            if (ec) {
                ++failures;
                {
                    std::lock_guard lock(mutex_);
                    last_failure_ = ec;
                    on_connect_failed_locked(ec);
                }
                log_failure(ec);
            } else {
                if (ever_connected || failures > 0)
                    log::info("redis connected",
                              {{"connection", options_.name},
                               {"address", where_.host + ":" + std::to_string(where_.port)}});
                ever_connected = true;
                failures = 0;
                last_logged_failure_.clear();
                session_over_ = false;
                session_error_ = {};
                awaiting_ = 0;
                last_read_ = last_activity_ = clock::now();
                {
                    std::lock_guard lock(mutex_);
                    ++session_;
                    connected_ = true;
                    last_failure_ = {};
                }
                connected_gauge_.inc();
                try {
                    on_connected();
                    using namespace net::experimental::awaitable_operators;
                    co_await (reader() && writer() && watchdog());
                } catch (std::exception const& e) {
                    end_session(error::protocol_error, e.what());
                }
                connected_gauge_.dec();
                {
                    std::lock_guard lock(mutex_);
                    connected_ = false;
                    writer_waiting_ = false;
                    writing_bytes_ = 0;
                    on_disconnected_locked();
                }
                writing_.clear();
                if (closing_)
                    break;
                reconnects_.inc();
                log::warn("redis connection lost",
                          {{"connection", options_.name},
                           {"address", where_.host + ":" + std::to_string(where_.port)},
                           {"error", session_why_}});
            }
        } catch (std::exception const& e) {
            // Out of memory or a bug in a hook: keep the connection's life going.
            log::error("redis connection failed",
                       {{"connection", options_.name}, {"error", e.what()}});
            ++failures;
        }
        if (closing_)
            break;
        backoff_timer_.expires_after(backoff(failures));
        co_await backoff_timer_.async_wait(use_tuple);
    }
    error_code ignored;
    socket_.close(ignored);
    std::lock_guard lock(mutex_);
    connected_ = false;
    on_closed_locked();
}

net::awaitable<error_code> connection::connect_once()
{
    error_code ignored;
    socket_.close(ignored);
    reader_.reset();
    handshake_error_.clear();
    auto const attempt = ++attempt_;
    attempt_timed_out_ = false;
    // One deadline for the whole attempt: it closes the socket, failing whatever waits on it.
    deadline_.expires_after(options_.connect_timeout);
    deadline_.async_wait([self = shared_from_this(), attempt](error_code ec) {
        if (ec || self->attempt_ != attempt)
            return;
        self->attempt_timed_out_ = true;
        self->resolver_.cancel();
        error_code ignored;
        self->socket_.close(ignored);
    });
    auto ec = co_await connect_and_handshake();
    ++attempt_; // a deadline firing from now on belongs to no attempt
    deadline_.cancel();
    if (attempt_timed_out_)
        ec = net::error::timed_out;
    co_return ec;
}

net::awaitable<error_code> connection::connect_and_handshake()
{
    error_code ec;
    std::vector<tcp::endpoint> targets;
    auto const ip = net::ip::make_address(where_.host, ec);
    if (!ec) {
        targets.emplace_back(ip, where_.port);
    } else {
        auto const service = std::to_string(where_.port);
        auto [rec, results] = co_await resolver_.async_resolve(where_.host, service, use_tuple);
        if (rec)
            co_return rec;
        for (auto const& r : results)
            targets.push_back(r.endpoint());
    }
    ec = net::error::host_not_found;
    for (auto const& target : targets) {
        if (attempt_timed_out_ || closing_)
            co_return net::error::operation_aborted;
        error_code ignored;
        socket_.close(ignored);
        auto [cec] = co_await socket_.async_connect(target, use_tuple);
        ec = cec;
        if (!ec)
            break;
    }
    if (ec)
        co_return ec;
    if (attempt_timed_out_ || closing_)
        co_return net::error::operation_aborted;
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);

    // AUTH, SELECT and PING in one write; PING also finds out that a password is needed.
    enum class step { auth, select, ping };
    std::vector<step> steps;
    std::string hello;
    if (!where_.password.empty()) {
        if (where_.user.empty()) {
            std::string_view const args[] = {"AUTH", where_.password};
            append_command(hello, args);
        } else {
            std::string_view const args[] = {"AUTH", where_.user, where_.password};
            append_command(hello, args);
        }
        steps.push_back(step::auth);
    }
    if (where_.db != 0) {
        auto const db = std::to_string(where_.db);
        std::string_view const args[] = {"SELECT", db};
        append_command(hello, args);
        steps.push_back(step::select);
    }
    std::string_view const ping[] = {"PING"};
    append_command(hello, ping);
    steps.push_back(step::ping);
    auto [wec, written] = co_await net::async_write(socket_, net::buffer(hello), use_tuple);
    if (wec)
        co_return wec;

    std::size_t answered = 0;
    error_code refused;
    auto check = [&](std::span<node const> nodes) {
        if (answered >= steps.size())
            return false; // Redis said more than it was asked
        auto const s = steps[answered++];
        auto const& r = nodes[0];
        if (r.type != reply::kind::error || refused)
            return true;
        handshake_error_ = r.text;
        bool const credentials =
            s == step::auth || r.text.starts_with("NOAUTH") || r.text.starts_with("WRONGPASS");
        refused = s == step::select ? error::select_failed
                  : credentials     ? error::auth_failed
                                    : error::protocol_error;
        return true;
    };
    while (answered < steps.size()) {
        auto [rec, n] = co_await socket_.async_read_some(net::buffer(read_buffer_), use_tuple);
        if (rec)
            co_return rec;
        if (!reader_.consume(std::string_view(read_buffer_.data(), n), check))
            co_return error::protocol_error;
    }
    co_return refused;
}

net::awaitable<void> connection::reader()
{
    for (;;) {
        auto [ec, n] = co_await socket_.async_read_some(net::buffer(read_buffer_), use_tuple);
        if (session_over_)
            co_return;
        if (ec) {
            end_session(ec, ec == net::error::eof ? "Redis closed the connection" : ec.message());
            co_return;
        }
        last_read_ = clock::now();
        if (!on_read(std::string_view(read_buffer_.data(), n))) {
            auto const& why = reader_.error_message();
            end_session(error::protocol_error, why.empty() ? "unexpected reply" : why);
            co_return;
        }
        if (session_over_)
            co_return;
    }
}

net::awaitable<void> connection::writer()
{
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (outbox_.empty()) {
                writer_waiting_ = true;
            } else {
                writing_.swap(outbox_);
                writing_bytes_ = writing_.size();
                if (awaiting_ == 0)
                    waiting_since_ = clock::now();
                awaiting_ += unsent_replies_;
                on_taken_locked(std::exchange(unsent_replies_, 0));
            }
        }
        if (writing_.empty()) {
            wake_.expires_at(clock::time_point::max());
            co_await wake_.async_wait(use_tuple);
            if (session_over_)
                co_return;
            continue;
        }
        auto [ec, n] = co_await net::async_write(socket_, net::buffer(writing_), use_tuple);
        {
            std::lock_guard lock(mutex_);
            writing_bytes_ = 0;
        }
        if (writing_.capacity() > keep_write_buffer_bytes)
            std::string().swap(writing_);
        else
            writing_.clear();
        if (session_over_)
            co_return;
        if (ec) {
            end_session(ec, ec.message());
            co_return;
        }
        last_activity_ = clock::now();
    }
}

net::awaitable<void> connection::watchdog()
{
    auto const health = options_.health_check_interval;
    auto const shortest =
        health.count() > 0 ? std::min(health, options_.command_timeout) : options_.command_timeout;
    auto const quantum = std::clamp<std::chrono::milliseconds>(shortest / 4, 10ms, 1000ms);
    for (;;) {
        watchdog_timer_.expires_after(quantum);
        co_await watchdog_timer_.async_wait(use_tuple);
        if (session_over_)
            co_return;
        auto const now = clock::now();
        if (awaiting_ > 0 &&
            now - std::max(waiting_since_, last_read_) > options_.command_timeout) {
            end_session(error::timeout, "no reply from Redis within command_timeout");
            co_return;
        }
        if (awaiting_ == 0 && health.count() > 0 &&
            now - std::max(last_read_, last_activity_) >= health) {
            last_activity_ = now;
            std::lock_guard lock(mutex_);
            if (outbox_.empty())
                queue_ping_locked();
        }
    }
}

std::chrono::milliseconds connection::backoff(unsigned failures)
{
    auto delay = options_.reconnect_min_delay;
    for (unsigned i = 1; i < failures && delay < options_.reconnect_max_delay; ++i)
        delay *= 2;
    delay = std::min(delay, options_.reconnect_max_delay);
    // 50-100% of it, so that many processes cut off together do not come back together.
    jitter_state_ ^= jitter_state_ << 13;
    jitter_state_ ^= jitter_state_ >> 7;
    jitter_state_ ^= jitter_state_ << 17;
    auto const fraction = 0.5 + 0.5 * double(jitter_state_ % 1024) / 1023.0;
    return std::chrono::milliseconds(static_cast<std::int64_t>(double(delay.count()) * fraction));
}

void connection::log_failure(error_code ec)
{
    auto const text = describe(ec, handshake_error_);
    auto const now = clock::now();
    if (text == last_logged_failure_ && now - last_failure_log_ < repeat_failure_log)
        return;
    last_logged_failure_ = text;
    last_failure_log_ = now;
    auto const level = ec == error::auth_failed || ec == error::select_failed ? log::level::error
                                                                              : log::level::warn;
    log::write(level, "redis connection attempt failed",
               {{"connection", options_.name},
                {"address", where_.host + ":" + std::to_string(where_.port)},
                {"error", text}});
}

} // namespace parley::bus::redis::detail
