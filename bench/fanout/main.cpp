// Load for the chat fan-out path: N WebSocket clients (parley::ws::client) in R rooms, messages
// sent at a fixed total rate, every delivery checked (loss, duplicates, seq order) and timed
// (send to receive), and the servers' CPU time per delivery read from /proc.
//
//   parley-bench-fanout --port 5003 --key var/keys/jwt-ed25519.pem --server-pid PID
//                       --clients 1000 --rooms 10 --rate 500 --seconds 20
//
// Through the gateway: --port <gateway> --api-prefix /api/chat --server-pid CHAT_PID,GATEWAY_PID
// (the CPU time of every listed process is summed).
//
// It runs on one thread: the machine's other core is the server's.
#include "parley/auth/token.hpp"
#include "parley/http/client.hpp"
#include "parley/json/json.hpp"
#include "parley/ws/client.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace parley;
using namespace std::chrono_literals;

namespace {

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5003;
    std::string key_file = "var/keys/jwt-ed25519.pem";
    std::vector<int> server_pids; // CPU time summed over these
    std::string api_prefix;       // "/api/chat" through the gateway
    int clients = 1000;
    int rooms = 10;
    double rate = 500;   // messages per second, all rooms together
    double seconds = 20; // measured sending time
    double warmup = 2;   // sending before the measurement starts
    double drain = 10;   // waiting for the last deliveries after sending stopped
};

[[noreturn]] void usage(std::string const& problem)
{
    std::cerr
        << "parley-bench-fanout: " << problem << "\n"
        << "usage: parley-bench-fanout [--host H] [--port P] [--key PRIVATE_PEM] [--server-pid "
           "PID[,PID...]]\n"
        << "       [--api-prefix /api/chat]\n"
        << "       [--clients N] [--rooms R] [--rate MSGS_PER_S] [--seconds S] [--warmup S] "
           "[--drain S]\n";
    std::exit(2);
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc)
            usage("missing value for " + a);
        std::string v = argv[++i];
        try {
            if (a == "--host")
                o.host = v;
            else if (a == "--port")
                o.port = static_cast<std::uint16_t>(std::stoi(v));
            else if (a == "--key")
                o.key_file = v;
            else if (a == "--server-pid") {
                std::istringstream list(v);
                for (std::string pid; std::getline(list, pid, ',');)
                    o.server_pids.push_back(std::stoi(pid));
            } else if (a == "--api-prefix")
                o.api_prefix = v;
            else if (a == "--clients")
                o.clients = std::stoi(v);
            else if (a == "--rooms")
                o.rooms = std::stoi(v);
            else if (a == "--rate")
                o.rate = std::stod(v);
            else if (a == "--seconds")
                o.seconds = std::stod(v);
            else if (a == "--warmup")
                o.warmup = std::stod(v);
            else if (a == "--drain")
                o.drain = std::stod(v);
            else
                usage("unknown option " + a);
        } catch (std::logic_error const&) {
            usage("bad value for " + a + ": " + v);
        }
    }
    if (o.clients < 1 || o.rooms < 1 || o.clients < o.rooms || o.rate <= 0 || o.seconds <= 0)
        usage("need clients >= rooms >= 1, rate > 0, seconds > 0");
    return o;
}

// utime + stime of a process, in seconds.
double process_cpu_seconds(int pid);
double processes_cpu_seconds(std::vector<int> const& pids)
{
    double sum = 0;
    for (int pid : pids)
        sum += process_cpu_seconds(pid);
    return sum;
}

double process_cpu_seconds(int pid)
{
    if (pid <= 0)
        return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto close = stat.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string skip;
    for (int i = 0; i < 11; ++i) // fields 3..13
        fields >> skip;
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Finds "key":<integer> in a JSON text without parsing all of it (the bench must keep up).
std::optional<std::int64_t> scan_int(std::string_view text, std::string_view key)
{
    auto at = text.find(key);
    if (at == std::string_view::npos)
        return std::nullopt;
    auto p = text.data() + at + key.size();
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(p, text.data() + text.size(), v);
    if (ec != std::errc())
        return std::nullopt;
    return v;
}

struct client_state {
    std::optional<ws::client> ws;
    std::int64_t room_id = 0;
    std::int64_t last_seq = 0; // newest seq seen in its room
    bool joined = false;
    bool sending = false;
};

struct bench {
    bench(options o, net::io_context& context) : opt(std::move(o)), io(context) {}
    options opt;
    net::io_context& io;
    std::vector<client_state> clients;
    std::vector<std::int64_t> room_ids;
    std::map<std::int64_t, int> members; // room id -> clients in it
    bool measuring = false;
    std::int64_t sent = 0, sent_measured = 0, acks = 0;
    std::int64_t delivered = 0, delivered_measured = 0, out_of_order = 0, gaps = 0, errors = 0,
                 closed = 0;
    std::int64_t expected_measured = 0;
    std::vector<std::uint32_t> latency_us;
    int joined = 0;

    net::awaitable<void> reader(std::size_t i)
    {
        auto& c = clients[i];
        while (auto msg = co_await c.ws->read()) {
            std::string_view text = *msg;
            if (text.find(R"("type":"new_message")") != std::string_view::npos) {
                auto seq = scan_int(text, R"("seq":)");
                auto sent_at = scan_int(text, R"("content":"t=)");
                if (seq) {
                    if (*seq <= c.last_seq)
                        ++out_of_order;
                    else if (c.last_seq != 0 && *seq != c.last_seq + 1)
                        ++gaps;
                    c.last_seq = std::max(c.last_seq, *seq);
                }
                ++delivered;
                if (sent_at && *sent_at >= 0 && measuring_sample(*sent_at)) {
                    ++delivered_measured;
                    latency_us.push_back(static_cast<std::uint32_t>((now_ns() - *sent_at) / 1000));
                }
            } else if (text.find(R"("type":"ack")") != std::string_view::npos) {
                ++acks;
            } else if (text.find(R"("type":"joined")") != std::string_view::npos) {
                if (auto seq = scan_int(text, R"("last_seq":)"))
                    c.last_seq = *seq;
                c.joined = true;
                ++joined;
            } else if (text.find(R"("type":"error")") != std::string_view::npos) {
                if (++errors <= 5)
                    std::cerr << "server error frame: " << text << "\n";
            }
        }
        ++closed;
        if (closed <= 5)
            std::cerr << "client " << i << " closed: " << static_cast<int>(c.ws->close_code())
                      << " " << c.ws->close_reason() << "\n";
    }

    // Messages are stamped with their send time; those sent during the measured window count.
    std::int64_t window_start = 0, window_end = 0;
    bool measuring_sample(std::int64_t stamp) const
    {
        return stamp >= window_start && stamp < window_end;
    }

    // Marked sending and numbered when scheduled, not when the coroutine starts: a saturated
    // tool starts it late, and a client scheduled twice meanwhile sent two writes at once with
    // one client_id (chat acks the second as a duplicate and does not broadcast it).
    net::awaitable<void> send_one(std::size_t i, std::int64_t stamp, std::int64_t number)
    {
        auto& c = clients[i];
        std::string frame = R"({"type":"message","room_id":)" + std::to_string(c.room_id) +
                            R"(,"client_id":"b)" + std::to_string(number) + R"(","content":"t=)" +
                            std::to_string(stamp) + R"("})";
        co_await c.ws->send_text(frame);
        c.sending = false;
    }
};

net::awaitable<std::vector<std::int64_t>> create_rooms(options const& o, std::string const& token)
{
    auto ex = co_await net::this_coro::executor;
    http::client_options client_options;
    client_options.addresses = {o.host + ":" + std::to_string(o.port)};
    http::client api(ex, client_options);
    std::vector<std::int64_t> ids;
    for (int r = 0; r < o.rooms; ++r) {
        http::fields headers;
        headers.set("Authorization", "Bearer " + token);
        auto name = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(r);
        std::string body = R"({"name":")" + name + R"("})";
        auto const target = o.api_prefix + "/rooms";
        auto res = co_await api.post_json(target, std::move(body), std::move(headers));
        if (!res || res->status != http::status::created)
            throw std::runtime_error("creating a room failed: " +
                                     (res ? res->body : res.error().message()));
        ids.push_back(boost::json::parse(res->body).at("room").at("id").as_int64());
    }
    co_return ids;
}

net::awaitable<void> run(bench& b, auth::token_signer const& signer)
{
    auto& o = b.opt;
    auto ex = co_await net::this_coro::executor;
    auto admin_token =
        signer.sign({.user_id = 900000, .username = "bench-admin", .is_admin = true});
    b.room_ids = co_await create_rooms(o, admin_token);

    b.clients.resize(static_cast<std::size_t>(o.clients));
    for (std::size_t i = 0; i < b.clients.size(); ++i) {
        auto& c = b.clients[i];
        c.room_id = b.room_ids[i % b.room_ids.size()];
        ++b.members[c.room_id];
        c.ws.emplace(co_await ws::client::connect(ex, o.host, o.port, "/ws"));
        auto token = signer.sign({.user_id = static_cast<std::int64_t>(100000 + i),
                                  .username = "bench" + std::to_string(i),
                                  .is_admin = false});
        std::string auth_frame = R"({"type":"auth","token":")" + token + R"("})";
        std::string join_frame = R"({"type":"join","room_id":)" + std::to_string(c.room_id) + "}";
        co_await c.ws->send_text(auth_frame);
        co_await c.ws->send_text(join_frame);
        net::co_spawn(ex, b.reader(i), net::detached);
    }
    net::steady_timer timer(ex);
    auto wait_until = clock::now() + 30s;
    while (b.joined < o.clients && clock::now() < wait_until) {
        timer.expires_after(20ms);
        co_await timer.async_wait(net::use_awaitable);
    }
    if (b.joined < o.clients)
        throw std::runtime_error("only " + std::to_string(b.joined) + " of " +
                                 std::to_string(o.clients) + " clients joined");
    std::cerr << "connected and joined: " << o.clients << " clients in " << o.rooms << " rooms\n";

    // Send at a fixed rate: each tick sends what the schedule says is due, from the next client.
    auto const start = clock::now();
    auto const warm_end = start + std::chrono::duration_cast<clock::duration>(
                                      std::chrono::duration<double>(o.warmup));
    auto const send_end = warm_end + std::chrono::duration_cast<clock::duration>(
                                         std::chrono::duration<double>(o.seconds));
    b.window_start =
        std::chrono::duration_cast<std::chrono::nanoseconds>(warm_end.time_since_epoch()).count();
    b.window_end =
        std::chrono::duration_cast<std::chrono::nanoseconds>(send_end.time_since_epoch()).count();
    double cpu_start = 0;
    std::vector<double> cpu_starts(o.server_pids.size());
    bool started = false;
    std::size_t next = 0;
    for (;;) {
        auto now = clock::now();
        if (now >= send_end)
            break;
        if (!started && now >= warm_end) {
            cpu_start = processes_cpu_seconds(o.server_pids);
            for (std::size_t i = 0; i < o.server_pids.size(); ++i)
                cpu_starts[i] = process_cpu_seconds(o.server_pids[i]);
            started = true;
        }
        auto due =
            static_cast<std::int64_t>(std::chrono::duration<double>(now - start).count() * o.rate);
        while (b.sent < due) {
            // Skip a client still writing its previous message.
            std::size_t tries = 0;
            while (b.clients[next].sending && tries++ < b.clients.size())
                next = (next + 1) % b.clients.size();
            if (b.clients[next].sending)
                break; // every client is still writing: never two writes on one (next tick)
            auto stamp = now_ns();
            if (b.measuring_sample(stamp)) {
                ++b.sent_measured;
                b.expected_measured += b.members[b.clients[next].room_id];
            }
            b.clients[next].sending = true;
            net::co_spawn(ex, b.send_one(next, stamp, b.sent), net::detached);
            ++b.sent;
            next = (next + 1) % b.clients.size();
        }
        timer.expires_after(1ms);
        co_await timer.async_wait(net::use_awaitable);
    }
    // Let the last deliveries arrive (bounded), then read the server's CPU time.
    auto drain_until = clock::now() + std::chrono::duration_cast<clock::duration>(
                                          std::chrono::duration<double>(o.drain));
    while (b.delivered_measured < b.expected_measured && clock::now() < drain_until) {
        timer.expires_after(10ms);
        co_await timer.async_wait(net::use_awaitable);
    }
    double cpu_end = processes_cpu_seconds(o.server_pids);
    std::vector<double> cpu_each(o.server_pids.size());
    for (std::size_t i = 0; i < o.server_pids.size(); ++i)
        cpu_each[i] = process_cpu_seconds(o.server_pids[i]) - cpu_starts[i];

    auto& lat = b.latency_us;
    auto pct = [&](double p) -> double {
        if (lat.empty())
            return 0;
        auto k = static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1));
        std::nth_element(lat.begin(), lat.begin() + static_cast<std::ptrdiff_t>(k), lat.end());
        return lat[k] / 1000.0;
    };
    double p50 = pct(0.50), p99 = pct(0.99),
           max = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end()) / 1000.0;
    double const window = o.seconds;
    double cpu = cpu_end - cpu_start;
    std::printf("clients %d rooms %d rate %.0f msg/s for %.0f s\n", o.clients, o.rooms, o.rate,
                window);
    std::printf("messages sent (measured)   %lld\n", static_cast<long long>(b.sent_measured));
    std::printf("deliveries expected        %lld\n", static_cast<long long>(b.expected_measured));
    std::printf("deliveries received        %lld  (%.0f /s)\n",
                static_cast<long long>(b.delivered_measured),
                static_cast<double>(b.delivered_measured) / window);
    std::printf("lost                       %lld\n",
                static_cast<long long>(b.expected_measured - b.delivered_measured));
    std::printf("gaps / out of order        %lld / %lld\n", static_cast<long long>(b.gaps),
                static_cast<long long>(b.out_of_order));
    std::printf("error frames / closed      %lld / %lld\n", static_cast<long long>(b.errors),
                static_cast<long long>(b.closed));
    std::printf("latency ms p50 / p99 / max %.2f / %.2f / %.2f\n", p50, p99, max);
    if (!o.server_pids.empty() && b.delivered_measured > 0)
        std::printf(
            "server cpu                 %.2f s = %.2f us per delivery (%.0f%% of one core)\n", cpu,
            cpu * 1e6 / static_cast<double>(b.delivered_measured), 100.0 * cpu / window);
    if (o.server_pids.size() > 1 && b.delivered_measured > 0)
        for (std::size_t i = 0; i < o.server_pids.size(); ++i)
            std::printf("  pid %-22d %.2f s = %.2f us per delivery\n", o.server_pids[i],
                        cpu_each[i], cpu_each[i] * 1e6 / static_cast<double>(b.delivered_measured));
    std::fflush(stdout);
    for (auto& c : b.clients)
        if (c.ws)
            co_await c.ws->close();
}

} // namespace

int main(int argc, char** argv)
{
    auto o = parse(argc, argv);
    try {
        auth::token_signer signer(auth::read_key_file(o.key_file));
        net::io_context io(1);
        bench b(o, io);
        std::exception_ptr failure;
        net::co_spawn(io, run(b, signer), [&](std::exception_ptr e) {
            failure = e;
            io.stop();
        });
        io.run();
        if (failure)
            std::rethrow_exception(failure);
        return b.expected_measured == b.delivered_measured ? 0 : 1;
    } catch (std::exception const& e) {
        std::cerr << "parley-bench-fanout: " << e.what() << "\n";
        return 1;
    }
}
