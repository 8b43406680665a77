#include "load.hpp"

#include "histogram.hpp"
#include "parley/auth/token.hpp"
#include "parley/http/client.hpp"
#include "parley/ws/client.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <boost/system/system_error.hpp>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace parley::bench {

namespace {

namespace bj = boost::json;

std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch())
        .count();
}

clock::time_point at_ns(std::int64_t ns)
{
    return clock::time_point(
        std::chrono::duration_cast<clock::duration>(std::chrono::nanoseconds(ns)));
}

std::string iso_now()
{
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

// "host:port/prefix" -> address and prefix.
std::pair<std::string, std::string> split_url(std::string url)
{
    if (url.starts_with("http://"))
        url = url.substr(7);
    auto const slash = url.find('/');
    if (slash == std::string::npos)
        return {url, ""};
    auto prefix = url.substr(slash);
    while (prefix.ends_with('/'))
        prefix.pop_back();
    return {url.substr(0, slash), prefix};
}

std::string thousands(double v)
{
    auto n = static_cast<long long>(std::llround(v));
    std::string s = std::to_string(n < 0 ? -n : n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
        s.insert(static_cast<std::size_t>(i), ",");
    return n < 0 ? "-" + s : s;
}

struct message_state {
    std::int64_t scheduled_ns = 0;
    std::int32_t publisher = 0;
    std::int32_t delivered = 0; // distinct clients that received it
    std::int64_t seq = -1;      // from the ack
    enum : std::uint8_t { queued, sent, acked, rejected } state = queued;
};

struct client_state {
    std::unique_ptr<ws::client> ws;
    std::int64_t last_seq = 0;         // highest seq seen in its room
    std::vector<std::int64_t> missing; // seqs skipped over and not seen since
    std::int64_t target = 0;           // storm: the seq to reach to be caught up
    std::uint32_t generation = 0;      // connection number (a storm reconnects)
    bool joined = false;
    bool ever_joined = false;
    bool caught_up = true;
    int publisher = -1;
    net::steady_timer* waiter = nullptr; // set while a setup step waits for `joined`
};

struct publisher_state {
    int client = 0;
    std::deque<std::int64_t> queue;   // due, not yet written
    std::deque<std::int64_t> unacked; // written on the current connection, no ack yet (parley)
    bool writing = false;
};

struct counters {
    std::int64_t delivered = 0, delivered_in_window = 0, duplicated = 0, out_of_order = 0, gaps = 0,
                 missing_now = 0, wrong_room = 0, malformed = 0, unknown = 0, errors = 0,
                 rejected = 0, acks = 0, duplicate_acks = 0, closed = 0, truncated = 0, sent = 0,
                 resent = 0, reconnect_failures = 0;
};

void log_failure(std::exception_ptr e)
{
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (std::exception const& x) {
        std::cerr << "parley-bench: " << x.what() << "\n";
    }
}

class engine {
public:
    engine(options o, net::io_context& io) : o_(std::move(o)), io_(io)
    {
        plan_ = make_plan(o_.layout);
        clients_.resize(plan_.clients.size());
        pubs_.resize(plan_.publishers.size());
        for (std::size_t p = 0; p < pubs_.size(); ++p) {
            pubs_[p].client = plan_.publishers[p];
            clients_[static_cast<std::size_t>(plan_.publishers[p])].publisher = static_cast<int>(p);
        }
        tty_ = ::isatty(2) && !o_.quiet;
    }

    net::awaitable<void> run();
    bj::object result() const;

private:
    // Several coroutines taking items 0..total-1 in turn.
    struct shared_work {
        std::size_t next = 0;
        std::size_t total = 0;
        int running = 0;
        std::exception_ptr failure;
    };
    net::awaitable<void> prepare_tokens();
    net::awaitable<void> register_worker(http::client& api, std::string target, std::string tag,
                                         shared_work& work);
    net::awaitable<void> create_rooms();
    net::awaitable<void> room_worker(http::client& api, std::string where, std::string target,
                                     std::string tag, shared_work& work);
    net::awaitable<void> open_range(std::size_t from, std::size_t to);
    net::awaitable<void> open_worker(std::size_t* next, std::size_t to, clock::time_point deadline);
    net::awaitable<void> open_one(std::size_t i, clock::time_point deadline);
    net::awaitable<void> reader(std::size_t i, std::uint32_t generation, ws::client* w);
    net::awaitable<void> writer(std::size_t p);
    net::awaitable<void> schedule();
    net::awaitable<void> sampler();
    net::awaitable<void> progress();
    net::awaitable<void> storm();
    net::awaitable<void> reconnect(std::size_t i);
    net::awaitable<void> idle();
    net::awaitable<void> drain();
    net::awaitable<void> sleep_for(std::chrono::nanoseconds d);

    void on_frame(std::size_t i, std::string_view text);
    void on_delivery(std::size_t i, frame_info const& f);
    void on_ack(frame_info const& f);
    void on_joined(std::size_t i, frame_info const& f);
    void on_error(frame_info const& f, std::string_view text);
    void kick(std::size_t p);
    void check_caught_up(client_state& c);
    std::int64_t expected_now() const { return expected_; }
    std::int64_t room_id(std::size_t i) const
    {
        return room_ids_[static_cast<std::size_t>(plan_.clients[i].room)];
    }
    std::string const& token(std::size_t i) const
    {
        return tokens_[static_cast<std::size_t>(plan_.clients[i].user)];
    }
    bool in_window(std::int64_t t) const { return t >= warm_end_ && t < end_; }
    void print_progress(bool final_line);

    options o_;
    net::io_context& io_;
    plan plan_;
    std::vector<client_state> clients_;
    std::vector<std::unique_ptr<ws::client>> retired_; // dropped in a storm; readers may still run
    std::vector<publisher_state> pubs_;
    std::vector<message_state> msgs_;
    std::vector<std::int64_t> room_ids_;
    std::vector<std::int64_t> room_acked_seq_;
    std::vector<std::string> tokens_;
    std::string token_note_;
    counters n_;
    std::int64_t expected_ = 0; // deliveries owed by every message scheduled and not refused
    std::size_t joined_now_ = 0;
    bool tty_ = false;

    // Timeline (steady clock, ns).
    std::int64_t t0_ = 0, warm_end_ = 0, end_ = 0, done_ = 0;
    bool sending_ = false, finished_ = false;
    bool cut_off_ = false; // the drain hit --drain-max with deliveries still owed
    double setup_tokens_s_ = 0, setup_rooms_s_ = 0, setup_connect_s_ = 0, registered_per_s_ = 0;

    // Measurement.
    histogram latency_;  // deliveries of messages scheduled in the window
    histogram interval_; // since the last progress line
    std::vector<tree_sample> cpu_start_, cpu_end_;
    double tool_cpu_start_ = 0, tool_cpu_end_ = 0;
    std::vector<tree_sample> peak_;

    // Idle steps.
    struct idle_step {
        int clients = 0;
        double connect_s = 0;
        std::vector<tree_sample> memory;
    };
    std::vector<idle_step> steps_;

    // Storm.
    std::int64_t storm_ns_ = 0, back_ns_ = 0, caught_ns_ = 0;
    std::size_t back_ = 0, not_caught_ = 0;
    std::size_t storm_unacked_ = 0; // written, not acknowledged when the connections dropped
    bool storming_ = false;

    // Progress.
    std::int64_t last_progress_ns_ = 0, last_progress_delivered_ = 0;
    double last_progress_tool_cpu_ = 0;
    std::vector<tree_sample> last_progress_cpu_;
};

net::awaitable<void> engine::sleep_for(std::chrono::nanoseconds d)
{
    net::steady_timer t(io_);
    t.expires_after(d);
    co_await t.async_wait(use_tuple);
}

net::awaitable<void> engine::prepare_tokens()
{
    auto const started = now_ns();
    tokens_.resize(static_cast<std::size_t>(plan_.users) + 1); // + the room creator
    if (o_.proto == protocol::reference) {
        std::fill(tokens_.begin(), tokens_.end(), std::string("bench"));
        token_note_ = "none (the reference protocol accepts any token)";
        co_return;
    }
    if (o_.tokens == "sign") {
        auth::token_signer signer(auth::read_key_file(o_.key_file));
        for (std::size_t u = 0; u < tokens_.size(); ++u)
            tokens_[u] = signer.sign({.user_id = static_cast<std::int64_t>(100000 + u),
                                      .username = "bench" + std::to_string(u),
                                      .is_admin = false});
        token_note_ =
            "signed with " + o_.key_file + " (kid " + signer.kid() + "; no auth round trip)";
        setup_tokens_s_ = static_cast<double>(now_ns() - started) / 1e9;
        co_return;
    }
    // Through the auth service: one POST /register per user (argon2id each), a few at once.
    auto const url = split_url(o_.auth_url);
    http::client_options co;
    co.addresses = {url.first};
    co.request_timeout = std::chrono::seconds(60);
    http::client api(io_.get_executor(), co);
    auto const tag = std::to_string(::getpid()) + "x" + std::to_string(now_ns() % 100000);
    shared_work work;
    work.total = tokens_.size();
    // co_spawn from this thread may run a worker at once, up to its first wait: count first.
    int const workers = 16;
    work.running = workers;
    for (int w = 0; w < workers; ++w)
        net::co_spawn(io_, register_worker(api, url.second + "/register", tag, work), log_failure);
    while (work.running > 0)
        co_await sleep_for(std::chrono::milliseconds(20));
    if (work.failure)
        std::rethrow_exception(work.failure);
    setup_tokens_s_ = static_cast<double>(now_ns() - started) / 1e9;
    registered_per_s_ = static_cast<double>(tokens_.size()) / std::max(setup_tokens_s_, 1e-9);
    token_note_ = "registered " + std::to_string(tokens_.size()) + " users through " + o_.auth_url +
                  " (" + thousands(registered_per_s_) + "/s)";
}

net::awaitable<void> engine::register_worker(http::client& api, std::string target, std::string tag,
                                             shared_work& work)
{
    try {
        while (work.next < work.total && !work.failure) {
            auto const u = work.next++;
            auto const name = "b" + tag + "u" + std::to_string(u);
            bj::object body{{"username", name},
                            {"email", name + "@bench.example.com"},
                            {"password", "bench-password-" + std::to_string(u)}};
            auto text = bj::serialize(body);
            auto res = co_await api.post_json(target, std::move(text));
            if (!res || res->status != http::status::created)
                throw std::runtime_error(
                    "registering " + name + " through " + o_.auth_url + " failed: " +
                    (res ? std::to_string(static_cast<unsigned>(res->status)) + " " + res->body
                         : res.error().message()));
            tokens_[u] = std::string(bj::parse(res->body).at("token").as_string());
        }
    } catch (std::exception const&) {
        if (!work.failure)
            work.failure = std::current_exception();
    }
    --work.running;
}

net::awaitable<void> engine::create_rooms()
{
    auto const rooms = plan_.room_sizes.size();
    room_acked_seq_.assign(rooms, 0);
    if (o_.proto == protocol::reference) {
        for (std::size_t r = 0; r < rooms; ++r)
            room_ids_.push_back(static_cast<std::int64_t>(r + 1));
        co_return;
    }
    auto const started = now_ns();
    auto const url = split_url(o_.api.empty() ? o_.addresses[0].text() : o_.api);
    http::client_options co;
    co.addresses = {url.first};
    http::client api(io_.get_executor(), co);
    room_ids_.assign(rooms, 0);
    auto const tag = std::to_string(::getpid()) + "-" + std::to_string(now_ns() % 1000000);
    shared_work work;
    work.total = rooms;
    int const workers = 8;
    work.running = workers;
    for (int w = 0; w < workers; ++w)
        net::co_spawn(io_,
                      room_worker(api, url.first + url.second, url.second + "/rooms", tag, work),
                      log_failure);
    while (work.running > 0)
        co_await sleep_for(std::chrono::milliseconds(5));
    if (work.failure)
        std::rethrow_exception(work.failure);
    setup_rooms_s_ = static_cast<double>(now_ns() - started) / 1e9;
}

net::awaitable<void> engine::room_worker(http::client& api, std::string where, std::string target,
                                         std::string tag, shared_work& work)
{
    try {
        while (work.next < work.total && !work.failure) {
            auto const r = work.next++;
            http::fields headers;
            headers.set("Authorization", "Bearer " + tokens_.back());
            bj::object body{{"name", "bench-" + tag + "-" + std::to_string(r)}};
            auto text = bj::serialize(body);
            auto res = co_await api.post_json(target, std::move(text), std::move(headers));
            if (!res || res->status != http::status::created)
                throw std::runtime_error(
                    "creating a room at " + where + "/rooms failed: " +
                    (res ? std::to_string(static_cast<unsigned>(res->status)) + " " + res->body
                         : res.error().message()));
            room_ids_[r] = bj::parse(res->body).at("room").at("id").to_number<std::int64_t>();
        }
    } catch (std::exception const&) {
        if (!work.failure)
            work.failure = std::current_exception();
    }
    --work.running;
}

net::awaitable<void> engine::open_one(std::size_t i, clock::time_point deadline)
{
    auto& c = clients_[i];
    auto const& ep = o_.addresses[static_cast<std::size_t>(plan_.clients[i].address)];
    for (int attempt = 0;; ++attempt) {
        try {
            auto connected =
                co_await ws::client::connect(io_.get_executor(), ep.host, ep.port, o_.ws_path);
            c.ws = std::make_unique<ws::client>(std::move(connected));
            break;
        } catch (std::exception const& e) {
            if (attempt >= 4 || clock::now() > deadline)
                throw std::runtime_error("client " + std::to_string(i) + " could not connect to " +
                                         ep.text() + o_.ws_path + ": " + e.what());
        }
        co_await sleep_for(std::chrono::milliseconds(100 << attempt));
    }
    auto* w = c.ws.get();
    auto const generation = c.generation;
    auto const auth = auth_frame(token(i));
    auto const join = join_frame(room_id(i), c.ever_joined ? c.last_seq : -1);
    net::co_spawn(io_, reader(i, generation, w), log_failure);
    co_await w->send_text(auth);
    co_await w->send_text(join);
}

net::awaitable<void> engine::open_worker(std::size_t* next, std::size_t to,
                                         clock::time_point deadline)
{
    net::steady_timer waiter(io_);
    while (*next < to) {
        auto const i = (*next)++;
        co_await open_one(i, deadline);
        auto& c = clients_[i];
        if (!c.joined) {
            c.waiter = &waiter;
            waiter.expires_at(deadline);
            co_await waiter.async_wait(use_tuple);
            c.waiter = nullptr;
        }
        if (!c.joined)
            throw std::runtime_error(
                "client " + std::to_string(i) + " did not join room " + std::to_string(room_id(i)) +
                " in time" +
                (c.ws && c.ws->close_code() != ws::close_code::none
                     ? " (closed " + std::to_string(static_cast<int>(c.ws->close_code())) + " " +
                           c.ws->close_reason() + ")"
                     : ""));
    }
}

net::awaitable<void> engine::open_range(std::size_t from, std::size_t to)
{
    auto const deadline = clock::now() + std::chrono::duration_cast<clock::duration>(
                                             std::chrono::duration<double>(o_.connect_timeout));
    std::size_t next = from;
    std::exception_ptr failure;
    int running = 0;
    auto const workers = std::min<std::size_t>(static_cast<std::size_t>(o_.connect_concurrency),
                                               std::max<std::size_t>(to - from, 1));
    for (std::size_t w = 0; w < workers; ++w) {
        ++running;
        net::co_spawn(io_, open_worker(&next, to, deadline), [&](std::exception_ptr e) {
            if (e && !failure) {
                failure = e;
                next = to; // stop the others, and their waits for a join
                for (auto& c : clients_)
                    if (c.waiter)
                        c.waiter->cancel();
            }
            --running;
        });
    }
    auto last_print = now_ns();
    while (running > 0) {
        co_await sleep_for(std::chrono::milliseconds(10));
        if (tty_ && now_ns() - last_print > 500'000'000) {
            last_print = now_ns();
            std::fprintf(stderr, "\r  connecting: %zu of %zu joined", joined_now_, to);
            std::fflush(stderr);
        }
    }
    if (tty_)
        std::fprintf(stderr, "\r%60s\r", "");
    if (failure)
        std::rethrow_exception(failure);
}

net::awaitable<void> engine::reader(std::size_t i, std::uint32_t generation, ws::client* w)
{
    while (auto msg = co_await w->read())
        on_frame(i, *msg);
    auto& c = clients_[i];
    if (c.generation != generation)
        co_return; // dropped on purpose (storm)
    if (c.joined)
        --joined_now_;
    c.joined = false;
    if (!finished_) {
        ++n_.closed;
        if (n_.closed <= 5)
            std::cerr << "\nparley-bench: client " << i
                      << " closed by the server: " << static_cast<int>(w->close_code()) << " "
                      << w->close_reason() << "\n";
    }
    if (c.waiter)
        c.waiter->cancel();
}

void engine::on_frame(std::size_t i, std::string_view text)
{
    auto const f = read_frame(o_.proto, text);
    switch (f.kind) {
    case frame_kind::delivery:
        on_delivery(i, f);
        break;
    case frame_kind::ack:
        on_ack(f);
        break;
    case frame_kind::joined:
        on_joined(i, f);
        break;
    case frame_kind::error:
        on_error(f, text);
        break;
    case frame_kind::malformed:
        if (++n_.malformed <= 3)
            std::cerr << "\nparley-bench: a delivery without seq/room/content: "
                      << text.substr(0, 300) << "\n";
        break;
    case frame_kind::ready:
    case frame_kind::other:
        break;
    }
}

void engine::on_delivery(std::size_t i, frame_info const& f)
{
    auto& c = clients_[i];
    if (f.room != room_id(i)) {
        ++n_.wrong_room;
        return;
    }
    if (f.seq == c.last_seq + 1) {
        c.last_seq = f.seq;
    } else if (f.seq > c.last_seq + 1) {
        ++n_.gaps;
        auto const skipped = f.seq - c.last_seq - 1;
        n_.missing_now += skipped;
        if (c.missing.size() + static_cast<std::size_t>(skipped) < 100'000)
            for (auto s = c.last_seq + 1; s < f.seq; ++s)
                c.missing.push_back(s);
        c.last_seq = f.seq;
    } else {
        auto const it = std::find(c.missing.begin(), c.missing.end(), f.seq);
        if (it == c.missing.end()) {
            ++n_.duplicated;
            return;
        }
        c.missing.erase(it);
        --n_.missing_now;
        ++n_.out_of_order;
    }
    if (f.index < 0 || static_cast<std::size_t>(f.index) >= msgs_.size()) {
        ++n_.unknown;
        return;
    }
    auto& m = msgs_[static_cast<std::size_t>(f.index)];
    ++m.delivered;
    ++n_.delivered;
    auto const now = now_ns();
    if (in_window(now))
        ++n_.delivered_in_window;
    auto const latency = now - m.scheduled_ns;
    if (in_window(m.scheduled_ns))
        latency_.record(latency);
    interval_.record(latency);
    if (!c.caught_up)
        check_caught_up(c);
}

void engine::check_caught_up(client_state& c)
{
    if (c.joined && c.last_seq >= c.target && c.missing.empty()) {
        c.caught_up = true;
        if (--not_caught_ == 0)
            caught_ns_ = now_ns();
    }
}

void engine::on_ack(frame_info const& f)
{
    ++n_.acks;
    if (f.duplicate)
        ++n_.duplicate_acks;
    if (f.index < 0 || static_cast<std::size_t>(f.index) >= msgs_.size())
        return;
    auto& m = msgs_[static_cast<std::size_t>(f.index)];
    m.state = message_state::acked;
    m.seq = f.seq;
    auto const room = static_cast<std::size_t>(
        plan_.clients[static_cast<std::size_t>(pubs_[static_cast<std::size_t>(m.publisher)].client)]
            .room);
    room_acked_seq_[room] = std::max(room_acked_seq_[room], f.seq);
    auto& un = pubs_[static_cast<std::size_t>(m.publisher)].unacked;
    if (!un.empty() && un.front() == f.index)
        un.pop_front();
    else if (auto const it = std::find(un.begin(), un.end(), f.index); it != un.end())
        un.erase(it);
}

void engine::on_joined(std::size_t i, frame_info const& f)
{
    auto& c = clients_[i];
    if (f.room != room_id(i))
        return; // not this client's room (never asked)
    if (!c.ever_joined) {
        if (o_.proto == protocol::parley && f.seq > 0)
            c.last_seq = f.seq; // messages stored before this run's publishing are not ours
        c.ever_joined = true;
    } else if (f.truncated) {
        ++n_.truncated;
    }
    if (!c.joined) {
        c.joined = true;
        ++joined_now_;
    }
    if (c.waiter)
        c.waiter->cancel();
    if (storming_ && back_ < clients_.size()) {
        if (++back_ == clients_.size()) {
            back_ns_ = now_ns();
            // Caught up: every message acknowledged in the room by now has arrived.
            not_caught_ = 0;
            for (std::size_t k = 0; k < clients_.size(); ++k) {
                auto& ck = clients_[k];
                ck.target = room_acked_seq_[static_cast<std::size_t>(plan_.clients[k].room)];
                ck.caught_up = true;
                if (!(ck.last_seq >= ck.target && ck.missing.empty())) {
                    ck.caught_up = false;
                    ++not_caught_;
                }
            }
            if (not_caught_ == 0)
                caught_ns_ = back_ns_;
        }
    }
    if (c.publisher >= 0) {
        auto& pub = pubs_[static_cast<std::size_t>(c.publisher)];
        // What the previous connection wrote without an ack goes again, with the same client_id
        // (the server stores it once and acks it as a duplicate if it had it).
        n_.resent += static_cast<std::int64_t>(pub.unacked.size());
        pub.queue.insert(pub.queue.begin(), pub.unacked.begin(), pub.unacked.end());
        pub.unacked.clear();
        kick(static_cast<std::size_t>(c.publisher));
    }
}

void engine::on_error(frame_info const& f, std::string_view text)
{
    ++n_.errors;
    if (n_.errors <= 5)
        std::cerr << "\nparley-bench: error frame: " << text.substr(0, 300) << "\n";
    if (f.index < 0 || static_cast<std::size_t>(f.index) >= msgs_.size())
        return;
    auto& m = msgs_[static_cast<std::size_t>(f.index)];
    if (m.state == message_state::rejected || m.state == message_state::acked)
        return;
    m.state = message_state::rejected;
    ++n_.rejected;
    auto const p = static_cast<std::size_t>(m.publisher);
    expected_ -= plan_.fanout_of_publisher(p);
    auto& un = pubs_[p].unacked;
    if (auto const it = std::find(un.begin(), un.end(), f.index); it != un.end())
        un.erase(it);
}

void engine::kick(std::size_t p)
{
    auto& pub = pubs_[p];
    if (pub.writing || pub.queue.empty() || !clients_[static_cast<std::size_t>(pub.client)].joined)
        return;
    pub.writing = true;
    net::co_spawn(io_, writer(p), log_failure);
}

net::awaitable<void> engine::writer(std::size_t p)
{
    auto& pub = pubs_[p];
    auto const room = room_ids_[static_cast<std::size_t>(
        plan_.clients[static_cast<std::size_t>(pub.client)].room)];
    while (!pub.queue.empty()) {
        auto& c = clients_[static_cast<std::size_t>(pub.client)];
        if (!c.joined)
            break;
        auto const k = pub.queue.front();
        pub.queue.pop_front();
        auto& m = msgs_[static_cast<std::size_t>(k)];
        if (m.state == message_state::queued) {
            m.state = message_state::sent;
            ++n_.sent;
        }
        if (o_.proto == protocol::parley)
            pub.unacked.push_back(k);
        auto const frame = message_frame(o_.proto, room, k, o_.content_bytes);
        auto* w = c.ws.get();
        try {
            co_await w->send_text(frame);
        } catch (std::exception const&) {
            // The connection is gone: parley resends unacknowledged messages after the
            // reconnect (on_joined); the reference protocol has no acks, so it goes back here.
            if (o_.proto == protocol::reference)
                pub.queue.push_front(k);
            break;
        }
    }
    pub.writing = false;
    if (!pub.queue.empty() && clients_[static_cast<std::size_t>(pub.client)].joined)
        kick(p);
}

net::awaitable<void> engine::schedule()
{
    net::steady_timer timer(io_);
    double const interval_ns = 1e9 / o_.rate;
    std::int64_t k = 0;
    auto due_of = [&](std::int64_t n) {
        return t0_ + static_cast<std::int64_t>(std::llround(static_cast<double>(n) * interval_ns));
    };
    auto const total =
        static_cast<std::int64_t>(std::ceil(static_cast<double>(end_ - t0_) / interval_ns));
    msgs_.reserve(static_cast<std::size_t>(std::max<std::int64_t>(total, 0)) + 16);
    auto const publishers = static_cast<std::int64_t>(pubs_.size());
    for (;;) {
        auto due = due_of(k);
        if (due >= end_)
            break;
        auto now = now_ns();
        if (due > now) {
            timer.expires_at(at_ns(due));
            co_await timer.async_wait(use_tuple);
            now = now_ns();
        }
        while (due <= now && due < end_) {
            auto const p = static_cast<std::size_t>(k % publishers);
            message_state m;
            m.scheduled_ns = due; // latency counts from here, however late the send is
            m.publisher = static_cast<std::int32_t>(p);
            msgs_.push_back(m);
            expected_ += plan_.fanout_of_publisher(p);
            pubs_[p].queue.push_back(k);
            kick(p);
            due = due_of(++k);
        }
    }
    sending_ = false;
}

net::awaitable<void> engine::sampler()
{
    net::steady_timer timer(io_);
    timer.expires_at(at_ns(warm_end_));
    co_await timer.async_wait(use_tuple);
    cpu_start_ = sample(o_.watch);
    tool_cpu_start_ = self_cpu_seconds();
    timer.expires_at(at_ns(end_));
    co_await timer.async_wait(use_tuple);
    cpu_end_ = sample(o_.watch);
    tool_cpu_end_ = self_cpu_seconds();
}

void engine::print_progress(bool final_line)
{
    auto const now = now_ns();
    double const dt = static_cast<double>(now - last_progress_ns_) / 1e9;
    if (dt <= 0)
        return;
    double const rate = static_cast<double>(n_.delivered - last_progress_delivered_) / dt;
    double const tool_cpu = self_cpu_seconds();
    double const tool_pct = 100.0 * (tool_cpu - last_progress_tool_cpu_) / dt;
    std::string servers;
    if (!o_.watch.empty()) {
        auto const s = sample(o_.watch);
        double cpu = 0, before = 0;
        for (std::size_t w = 0; w < s.size(); ++w) {
            cpu += s[w].cpu_seconds;
            before += w < last_progress_cpu_.size() ? last_progress_cpu_[w].cpu_seconds : 0;
        }
        if (!last_progress_cpu_.empty())
            servers =
                "  servers " + std::to_string(static_cast<int>(100 * (cpu - before) / dt)) + "%";
        last_progress_cpu_ = s;
    }
    char const* phase = now < warm_end_ ? "warmup"
                        : now < end_    ? (storming_ && caught_ns_ == 0 ? "storm" : "measure")
                                        : "drain";
    char line[256];
    std::snprintf(line, sizeof line,
                  "%6.1f s %-7s sent %s  delivered %s/s  p99 %.2f ms  lost %s  in flight %s  "
                  "tool %d%%%s",
                  static_cast<double>(now - t0_) / 1e9, phase, thousands(n_.sent).c_str(),
                  thousands(rate).c_str(), static_cast<double>(interval_.quantile(0.99)) / 1e6,
                  thousands(static_cast<double>(n_.missing_now)).c_str(),
                  thousands(static_cast<double>(expected_ - n_.delivered)).c_str(),
                  static_cast<int>(tool_pct), servers.c_str());
    if (tty_)
        std::fprintf(stderr, "\r%-130s%s", line, final_line ? "\n" : "");
    else
        std::fprintf(stderr, "%s\n", line);
    std::fflush(stderr);
    interval_.reset();
    last_progress_ns_ = now;
    last_progress_delivered_ = n_.delivered;
    last_progress_tool_cpu_ = tool_cpu;
}

net::awaitable<void> engine::progress()
{
    last_progress_ns_ = now_ns();
    last_progress_tool_cpu_ = self_cpu_seconds();
    auto const every = tty_ ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(2000);
    while (!finished_) {
        co_await sleep_for(every);
        if (finished_ || o_.quiet)
            break;
        print_progress(false);
    }
}

net::awaitable<void> engine::reconnect(std::size_t i)
{
    auto& c = clients_[i];
    auto const& ep = o_.addresses[static_cast<std::size_t>(plan_.clients[i].address)];
    auto const deadline = clock::now() + std::chrono::seconds(60);
    for (int attempt = 0;; ++attempt) {
        try {
            auto connected =
                co_await ws::client::connect(io_.get_executor(), ep.host, ep.port, o_.ws_path);
            c.ws = std::make_unique<ws::client>(std::move(connected));
            break;
        } catch (std::exception const&) {
            if (clock::now() > deadline) {
                ++n_.reconnect_failures;
                co_return;
            }
        }
        co_await sleep_for(std::chrono::milliseconds(std::min(50 << std::min(attempt, 5), 1000)));
    }
    auto* w = c.ws.get();
    net::co_spawn(io_, reader(i, c.generation, w), log_failure);
    auto const auth = auth_frame(token(i));
    auto const join = join_frame(room_id(i), c.last_seq);
    try {
        co_await w->send_text(auth);
        co_await w->send_text(join);
    } catch (std::exception const&) {
        ++n_.reconnect_failures;
    }
}

net::awaitable<void> engine::storm()
{
    net::steady_timer timer(io_);
    storm_ns_ = warm_end_ + static_cast<std::int64_t>(o_.storm_at * 1e9);
    timer.expires_at(at_ns(storm_ns_));
    co_await timer.async_wait(use_tuple);
    storm_ns_ = now_ns();
    storming_ = true;
    back_ = 0;
    for (auto const& p : pubs_)
        storm_unacked_ += p.unacked.size();
    // Every connection drops at once (no close frame), then every client reconnects at once.
    for (auto& c : clients_) {
        ++c.generation;
        if (c.joined)
            --joined_now_;
        c.joined = false;
        if (c.ws) {
            c.ws->abort();
            retired_.push_back(std::move(c.ws));
        }
    }
    for (std::size_t i = 0; i < clients_.size(); ++i)
        net::co_spawn(io_, reconnect(i), log_failure);
}

net::awaitable<void> engine::drain()
{
    // Until every message is written, acknowledged (parley) and delivered, a storm is over, or
    // nothing moved for o_.drain seconds.
    auto last_delivered = n_.delivered;
    auto last_change = now_ns();
    auto const patience = static_cast<std::int64_t>(o_.drain * 1e9);
    auto const give_up = now_ns() + static_cast<std::int64_t>(o_.drain_max * 1e9);
    for (;;) {
        bool pending = n_.delivered < expected_;
        for (auto const& p : pubs_)
            pending = pending || !p.queue.empty() || !p.unacked.empty();
        if (storming_)
            pending = pending ||
                      back_ + static_cast<std::size_t>(n_.reconnect_failures) < clients_.size() ||
                      caught_ns_ == 0;
        if (!pending)
            break;
        if (n_.delivered != last_delivered) {
            last_delivered = n_.delivered;
            last_change = now_ns();
        } else if (now_ns() - last_change > patience) {
            break;
        }
        if (now_ns() > give_up) {
            cut_off_ = true;
            break;
        }
        co_await sleep_for(std::chrono::milliseconds(5));
    }
}

net::awaitable<void> engine::idle()
{
    std::size_t opened = 0;
    for (auto const step : o_.idle_steps) {
        auto const started = now_ns();
        co_await open_range(opened, static_cast<std::size_t>(step));
        opened = static_cast<std::size_t>(step);
        idle_step s;
        s.clients = step;
        s.connect_s = static_cast<double>(now_ns() - started) / 1e9;
        co_await sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(o_.hold)));
        s.memory = sample(o_.watch);
        std::fprintf(stderr, "  idle: %d clients connected, authenticated and joined in %.2f s",
                     step, s.connect_s);
        for (std::size_t w = 0; w < s.memory.size(); ++w)
            std::fprintf(stderr, "; %s RSS %.1f MiB (peak %.1f)", o_.watch[w].role.c_str(),
                         static_cast<double>(s.memory[w].rss_kb) / 1024.0,
                         static_cast<double>(s.memory[w].hwm_kb) / 1024.0);
        std::fprintf(stderr, "\n");
        steps_.push_back(std::move(s));
    }
}

net::awaitable<void> engine::run()
{
    co_await prepare_tokens();
    std::cerr << "parley-bench: tokens " << token_note_ << "\n";
    co_await create_rooms();
    auto const& sizes = plan_.room_sizes;
    std::cerr << "parley-bench: " << clients_.size() << " clients over " << o_.addresses.size()
              << " address(es), " << sizes.size() << " rooms of " << sizes.back() << ".."
              << sizes.front() << " members, " << pubs_.size() << " publishers, " << plan_.users
              << " users\n";
    if (o_.mode == run_mode::idle) {
        co_await idle();
        finished_ = true;
    } else {
        auto const started = now_ns();
        co_await open_range(0, clients_.size());
        setup_connect_s_ = static_cast<double>(now_ns() - started) / 1e9;
        std::cerr << "parley-bench: " << clients_.size() << " clients connected and joined in "
                  << setup_connect_s_ << " s\n";
        t0_ = now_ns();
        warm_end_ = t0_ + static_cast<std::int64_t>(o_.warmup * 1e9);
        end_ = warm_end_ + static_cast<std::int64_t>(o_.seconds * 1e9);
        sending_ = true;
        net::co_spawn(io_, sampler(), log_failure);
        net::co_spawn(io_, progress(), log_failure);
        if (o_.mode == run_mode::storm)
            net::co_spawn(io_, storm(), log_failure);
        co_await schedule();
        co_await sleep_for(std::chrono::nanoseconds(std::max<std::int64_t>(0, end_ - now_ns())));
        co_await drain();
        done_ = now_ns();
        if (!o_.quiet)
            print_progress(true);
        finished_ = true;
        if (cpu_end_.empty()) { // the window ended before the sampler ran (no time passed)
            cpu_end_ = sample(o_.watch);
            tool_cpu_end_ = self_cpu_seconds();
        }
    }
    peak_ = sample(o_.watch);
    for (auto& c : clients_)
        if (c.ws)
            c.ws->abort();
    co_await sleep_for(std::chrono::milliseconds(50)); // let the readers see the end
}

bj::object engine::result() const
{
    bj::object r;
    r["tool"] = "parley-bench";
    r["format"] = 1;
    r["finished_at"] = iso_now();
    bj::object labels;
    for (auto const& [k, v] : o_.labels)
        labels[k] = v;
    r["labels"] = std::move(labels);

    bj::object cfg;
    cfg["mode"] = o_.mode == run_mode::load ? "load" : o_.mode == run_mode::idle ? "idle" : "storm";
    cfg["protocol"] = o_.proto == protocol::parley ? "parley" : "reference";
    bj::array addresses;
    for (auto const& a : o_.addresses)
        addresses.push_back(bj::string(a.text()));
    cfg["addresses"] = std::move(addresses);
    cfg["ws_path"] = o_.ws_path;
    cfg["clients"] = clients_.size();
    cfg["rooms"] = plan_.room_sizes.size();
    cfg["room_size_max"] = plan_.room_sizes.front();
    cfg["room_size_min"] = plan_.room_sizes.back();
    cfg["zipf"] = o_.layout.zipf_exponent;
    cfg["publishers"] = pubs_.size();
    cfg["users"] = plan_.users;
    cfg["users_per_room"] = o_.layout.users_per_room;
    cfg["rate"] = o_.rate;
    cfg["warmup_s"] = o_.warmup;
    cfg["seconds"] = o_.seconds;
    cfg["content_bytes"] = o_.content_bytes;
    cfg["tokens"] = token_note_;
    cfg["tokens_mode"] = o_.proto == protocol::reference ? "none" : o_.tokens;
    if (o_.mode == run_mode::storm)
        cfg["storm_at_s"] = o_.storm_at;
    r["config"] = std::move(cfg);

    bj::object setup;
    setup["tokens_s"] = setup_tokens_s_;
    setup["rooms_s"] = setup_rooms_s_;
    setup["connect_s"] = setup_connect_s_;
    if (registered_per_s_ > 0)
        setup["registered_per_s"] = registered_per_s_;
    r["setup"] = std::move(setup);

    std::vector<std::string> problems;
    if (o_.mode == run_mode::idle) {
        bj::array steps;
        for (auto const& s : steps_) {
            bj::object so;
            so["clients"] = s.clients;
            so["connect_s"] = s.connect_s;
            bj::object roles;
            std::int64_t rss = 0, hwm = 0;
            for (std::size_t w = 0; w < s.memory.size(); ++w) {
                bj::object m{{"rss_kb", s.memory[w].rss_kb},
                             {"peak_rss_kb", s.memory[w].hwm_kb},
                             {"processes", s.memory[w].processes}};
                roles[o_.watch[w].role] = std::move(m);
                rss += s.memory[w].rss_kb;
                hwm += s.memory[w].hwm_kb;
            }
            so["roles"] = std::move(roles);
            so["rss_kb"] = rss;
            so["peak_rss_kb"] = hwm;
            steps.push_back(std::move(so));
        }
        bj::object idle;
        idle["steps"] = std::move(steps);
        if (steps_.size() >= 2) {
            auto const& a = steps_.front();
            auto const& b = steps_.back();
            double const added = b.clients - a.clients;
            bj::object per_role, peak_per_role;
            double all = 0, all_peak = 0;
            for (std::size_t w = 0; w < o_.watch.size(); ++w) {
                double const d = static_cast<double>(b.memory[w].rss_kb - a.memory[w].rss_kb);
                double const dp = static_cast<double>(b.memory[w].hwm_kb - a.memory[w].hwm_kb);
                auto& slot = per_role[o_.watch[w].role];
                auto& pslot = peak_per_role[o_.watch[w].role];
                double const prev = slot.is_double() ? slot.as_double() : 0;
                double const pprev = pslot.is_double() ? pslot.as_double() : 0;
                slot = prev + d * 1024 / added;
                pslot = pprev + dp * 1024 / added;
                all += d * 1024 / added;
                all_peak += dp * 1024 / added;
            }
            idle["from_clients"] = a.clients;
            idle["to_clients"] = b.clients;
            idle["rss_bytes_per_connection"] = std::move(per_role);
            idle["peak_rss_bytes_per_connection"] = std::move(peak_per_role);
            idle["all_rss_bytes_per_connection"] = all;
            idle["all_peak_rss_bytes_per_connection"] = all_peak;
        }
        r["idle"] = std::move(idle);
        if (n_.closed > 0)
            problems.push_back(std::to_string(n_.closed) + " connections closed by the server");
    } else {
        std::int64_t lost = 0, over = 0, unsent = 0, unacked = 0;
        for (auto const& m : msgs_) {
            if (m.state == message_state::rejected)
                continue;
            auto const want = plan_.fanout_of_publisher(static_cast<std::size_t>(m.publisher));
            if (m.delivered < want)
                lost += want - m.delivered;
            else
                over += m.delivered - want;
            if (m.state == message_state::queued)
                ++unsent;
            if (o_.proto == protocol::parley && m.state == message_state::sent)
                ++unacked;
        }
        std::int64_t sent_in_window = 0;
        for (auto const& m : msgs_)
            if (in_window(m.scheduled_ns))
                ++sent_in_window;
        bj::object counts;
        counts["scheduled"] = msgs_.size();
        counts["sent"] = n_.sent;
        counts["resent"] = n_.resent;
        counts["expected"] = expected_;
        counts["delivered"] = n_.delivered;
        counts["lost"] = lost;
        counts["duplicated"] = n_.duplicated + over;
        counts["out_of_order"] = n_.out_of_order;
        counts["gaps"] = n_.gaps;
        counts["wrong_room"] = n_.wrong_room;
        counts["malformed"] = n_.malformed;
        counts["unknown"] = n_.unknown;
        counts["error_frames"] = n_.errors;
        counts["rejected"] = n_.rejected;
        counts["acks"] = n_.acks;
        counts["duplicate_acks"] = n_.duplicate_acks;
        counts["closed"] = n_.closed;
        counts["unsent"] = unsent;
        counts["unacked"] = unacked;
        counts["truncated_replays"] = n_.truncated;
        r["counts"] = std::move(counts);
        if (lost > 0)
            problems.push_back(std::to_string(lost) + " deliveries lost" +
                               (cut_off_ ? " (or still queued when the drain gave up after " +
                                               std::to_string(static_cast<int>(o_.drain_max)) +
                                               " s: the servers did not keep up)"
                                         : ""));
        if (n_.duplicated + over > 0)
            problems.push_back(std::to_string(n_.duplicated + over) + " deliveries duplicated");
        if (n_.rejected > 0)
            problems.push_back(std::to_string(n_.rejected) + " messages refused (error frames)");
        if (n_.closed > 0)
            problems.push_back(std::to_string(n_.closed) + " connections closed by the server");
        if (n_.wrong_room + n_.malformed + n_.unknown > 0)
            problems.push_back("frames that are not this run's (wrong room, malformed, unknown)");

        double const window = o_.seconds;
        bj::object win;
        win["seconds"] = window;
        win["sent"] = sent_in_window;
        win["messages_per_s"] = static_cast<double>(sent_in_window) / window;
        win["delivered"] = n_.delivered_in_window;
        win["deliveries_per_s"] = static_cast<double>(n_.delivered_in_window) / window;
        win["drain_s"] = static_cast<double>(done_ - end_) / 1e9;
        win["drain_cut_off"] = cut_off_;
        r["window"] = std::move(win);

        auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
        bj::object lat;
        lat["count"] = latency_.count();
        lat["p50"] = ms(latency_.quantile(0.50));
        lat["p90"] = ms(latency_.quantile(0.90));
        lat["p99"] = ms(latency_.quantile(0.99));
        lat["p999"] = ms(latency_.quantile(0.999));
        lat["max"] = ms(latency_.max());
        lat["mean"] = latency_.mean() / 1e6;
        r["latency_ms"] = std::move(lat);
        bj::array hist;
        for (auto const& [upper, count] : latency_.buckets_used())
            hist.push_back(bj::array{upper, count});
        r["latency_histogram_ns"] = std::move(hist);

        // CPU over the window, per process tree and together.
        double const delivered =
            static_cast<double>(std::max<std::int64_t>(n_.delivered_in_window, 1));
        bj::array procs;
        bj::object by_role;
        double all = 0;
        for (std::size_t w = 0; w < o_.watch.size(); ++w) {
            double const cpu = w < cpu_end_.size() && w < cpu_start_.size()
                                   ? cpu_end_[w].cpu_seconds - cpu_start_[w].cpu_seconds
                                   : 0;
            all += cpu;
            bj::object p;
            p["role"] = o_.watch[w].role;
            p["pid"] = o_.watch[w].pid;
            p["cpu_s"] = cpu;
            p["cpu_pct"] = 100 * cpu / window;
            p["us_per_delivery"] = cpu * 1e6 / delivered;
            p["rss_kb"] = w < peak_.size() ? peak_[w].rss_kb : 0;
            p["peak_rss_kb"] = w < peak_.size() ? peak_[w].hwm_kb : 0;
            p["processes"] = w < peak_.size() ? peak_[w].processes : 0;
            procs.push_back(std::move(p));
            auto& slot = by_role[o_.watch[w].role];
            double const prev = slot.is_double() ? slot.as_double() : 0;
            slot = prev + cpu;
        }
        r["processes"] = std::move(procs);
        // Gross memory per client under load: peak RSS (with each process's baseline) / clients.
        // The idle mode's difference between two client counts is the net figure.
        double peak_all = 0, peak_front = 0;
        for (std::size_t w = 0; w < o_.watch.size() && w < peak_.size(); ++w) {
            peak_all += static_cast<double>(peak_.at(w).hwm_kb);
            auto const& role = o_.watch[w].role;
            if (role == "chat" || role == "gateway" || role == "server")
                peak_front += static_cast<double>(peak_.at(w).hwm_kb);
        }
        auto const clients = static_cast<double>(clients_.size());
        r["memory"] = bj::object{
            {"peak_rss_bytes_per_client_all", peak_all * 1024 / clients},
            {"peak_rss_bytes_per_client_websocket_servers", peak_front * 1024 / clients}};
        bj::object cpu;
        cpu["all_s"] = all;
        cpu["all_us_per_delivery"] = all * 1e6 / delivered;
        bj::object role_us;
        for (auto const& [role, v] : by_role)
            role_us[role] = v.as_double() * 1e6 / delivered;
        cpu["by_role_s"] = by_role;
        cpu["by_role_us_per_delivery"] = std::move(role_us);
        r["cpu"] = std::move(cpu);

        if (o_.mode == run_mode::storm) {
            bj::object s;
            s["clients"] = clients_.size();
            s["at_s"] = static_cast<double>(storm_ns_ - t0_) / 1e9;
            s["back"] = back_;
            s["back_s"] = back_ns_ ? static_cast<double>(back_ns_ - storm_ns_) / 1e9 : -1.0;
            s["caught_up_s"] =
                caught_ns_ ? static_cast<double>(caught_ns_ - storm_ns_) / 1e9 : -1.0;
            s["reconnect_failures"] = n_.reconnect_failures;
            s["unacked_at_drop"] = storm_unacked_;
            s["resent"] = n_.resent;
            s["duplicate_acks"] = n_.duplicate_acks;
            s["truncated_replays"] = n_.truncated;
            r["storm"] = std::move(s);
            if (!back_ns_)
                problems.push_back("not every client came back after the storm");
            else if (!caught_ns_)
                problems.push_back("not every client caught up after the storm");
        }
        bj::object tool;
        double const tool_cpu = tool_cpu_end_ - tool_cpu_start_;
        tool["cpu_s"] = tool_cpu;
        tool["cpu_pct"] = 100 * tool_cpu / window;
        tool["us_per_delivery"] = tool_cpu * 1e6 / delivered;
        tool["peak_rss_kb"] = self_peak_rss_kb();
        r["load_tool"] = std::move(tool);
    }
    bj::array pr;
    for (auto const& p : problems)
        pr.push_back(bj::string(p));
    r["ok"] = problems.empty();
    r["problems"] = std::move(pr);
    return r;
}

} // namespace

bj::object run_load(options const& o)
{
    net::io_context io(1);
    engine e(o, io);
    std::exception_ptr failure;
    bool done = false;
    net::co_spawn(io, e.run(), [&](std::exception_ptr x) {
        failure = x;
        done = true;
        io.stop();
    });
    io.run();
    if (failure)
        std::rethrow_exception(failure);
    if (!done)
        throw std::runtime_error("the run stopped before it finished");
    return e.result();
}

} // namespace parley::bench
