// The Redis bus on this machine: two bus instances (two "processes") on one Redis. Phase 1
// publishes N messages as fast as one thread can and counts them in at the subscriber
// (throughput, and the CPU per message of this process and of redis-server). Phase 2 publishes
// at a fixed rate with a timestamp in each message (publish -> handler latency percentiles).
//
//   parley-bench-redis-bus [--url redis://...] [--messages N] [--size BYTES] [--rate PER_S]
//                          [--seconds S]
// Without --url it starts its own redis-server (--save "" --appendonly no) on a free port.
#include "parley/bus/bus.hpp"
#include "parley/bus/redis.hpp"
#include "parley/metrics/metrics.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <mutex>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace parley;
namespace redis = parley::bus::redis;
using namespace std::chrono_literals;

struct options {
    std::string url;
    long messages = 200'000;
    std::size_t size = 200;
    long rate = 20'000;
    double seconds = 3;
};

[[noreturn]] void usage(std::string const& problem)
{
    std::cerr << problem
              << "\nusage: parley-bench-redis-bus [--url redis://...] [--messages N] "
                 "[--size BYTES] [--rate PER_S] [--seconds S]\n";
    std::exit(2);
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string const a = argv[i];
        if (i + 1 >= argc)
            usage("missing value for " + a);
        std::string const v = argv[++i];
        try {
            if (a == "--url")
                o.url = v;
            else if (a == "--messages")
                o.messages = std::stol(v);
            else if (a == "--size")
                o.size = std::stoul(v);
            else if (a == "--rate")
                o.rate = std::stol(v);
            else if (a == "--seconds")
                o.seconds = std::stod(v);
            else
                usage("unknown option " + a);
        } catch (std::logic_error const&) {
            usage("bad value for " + a + ": " + v);
        }
    }
    if (o.messages < 1 || o.rate < 1 || o.seconds <= 0 || o.size < 16)
        usage("need messages >= 1, rate >= 1, seconds > 0, size >= 16");
    return o;
}

// redis-server on a free port of 127.0.0.1, killed at exit.
struct own_redis {
    int pid = -1;
    std::uint16_t port = 0;
    own_redis()
    {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        ::close(fd);
        port = ntohs(addr.sin_port);
        pid = ::fork();
        if (pid == 0) {
            int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, STDOUT_FILENO);
            auto const p = std::to_string(port);
            ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", static_cast<char*>(nullptr));
            std::_Exit(127);
        }
        std::this_thread::sleep_for(300ms);
        int status = 0;
        if (pid < 0 || ::waitpid(pid, &status, WNOHANG) == pid)
            throw std::runtime_error("redis-server did not start (is it installed?)");
    }
    ~own_redis()
    {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

double thread_cpu_seconds(clockid_t clock)
{
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double pid_cpu_seconds(int pid)
{
    if (pid <= 0)
        return 0;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string field;
    for (int i = 1; i <= 13 && stat >> field; ++i) {
    }
    long utime = 0, stime = 0;
    stat >> utime >> stime;
    return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

net::awaitable<std::int64_t> numsub(redis::client& c, std::string channel)
{
    auto const r = co_await c.command("PUBSUB", "NUMSUB", channel);
    co_return r && r->elements.size() == 2 ? r->elements[1].integer : -1;
}

std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

int main(int argc, char** argv)
{
    auto const o = parse(argc, argv);
    std::unique_ptr<own_redis> server;
    std::string url = o.url;
    if (url.empty()) {
        server = std::make_unique<own_redis>();
        url = "redis://127.0.0.1:" + std::to_string(server->port);
    }
    auto const where = redis::parse_url(url);
    if (!where)
        usage("--url: " + where.error());
    int const redis_pid = server ? server->pid : -1;

    // One I/O thread for both buses (as a chat process with PARLEY_IO_THREADS=1 would have).
    net::io_context io;
    auto work = net::make_work_guard(io);
    std::thread io_thread([&] { io.run(); });

    redis::client admin(io.get_executor(), *where);
    redis::client_options bench_options;
    bench_options.name = "bench";
    auto publisher = redis::make_redis_bus(io.get_executor(), *where, bench_options);
    auto subscriber = redis::make_redis_bus(io.get_executor(), *where, bench_options);

    std::atomic<long> received{0};
    std::atomic<std::chrono::steady_clock::time_point> last_received{};
    std::atomic<long> out_of_order{0};
    long last = -1; // the handler's own (handlers never overlap)
    std::vector<std::int64_t> latencies_ns;
    latencies_ns.reserve(std::size_t(o.rate * o.seconds) + 1024);
    std::mutex latency_mutex;
    auto sub_tp =
        subscriber->subscribe("bench:throughput", [&](std::string_view, bus::payload const& p) {
            long const i = std::strtol(p->c_str(), nullptr, 10);
            if (i <= last)
                out_of_order.fetch_add(1);
            last = i;
            last_received.store(std::chrono::steady_clock::now(), std::memory_order_relaxed);
            received.fetch_add(1, std::memory_order_relaxed);
        });
    auto sub_lat =
        subscriber->subscribe("bench:latency", [&](std::string_view, bus::payload const& p) {
            std::int64_t sent = 0;
            std::memcpy(&sent, p->data(), sizeof sent);
            std::lock_guard lock(latency_mutex);
            latencies_ns.push_back(now_ns() - sent);
        });
    for (auto const* channel : {"bench:throughput", "bench:latency"}) {
        for (int tries = 0;; ++tries) {
            auto n = net::co_spawn(io, numsub(admin, channel), net::use_future).get();
            if (n == 1)
                break;
            if (tries > 500) {
                std::cerr << "the subscriber did not subscribe (is Redis at " << url << "?)\n";
                return 1;
            }
            std::this_thread::sleep_for(10ms);
        }
    }

    // Phase 1: throughput. At most `window` messages in flight (published, not yet received), so
    // that the burst measures what Redis and the bus sustain rather than the outbound bound.
    constexpr long window = 20'000;
    std::vector<bus::payload> payloads;
    payloads.reserve(std::size_t(o.messages));
    for (long i = 0; i < o.messages; ++i) {
        auto text = std::to_string(i);
        text.resize(o.size, '.');
        payloads.push_back(bus::make_payload(std::move(text)));
    }
    auto& dropped = metrics::counter("parley_redis_publish_dropped_total", "",
                                     {{"connection", "bench-publisher"}});
    clockid_t io_clock{};
    pthread_getcpuclockid(io_thread.native_handle(), &io_clock);
    auto const io_cpu0 = thread_cpu_seconds(io_clock);
    auto const redis_cpu0 = pid_cpu_seconds(redis_pid);
    auto in_publish = std::chrono::steady_clock::duration::zero();
    auto const t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < o.messages; ++i) {
        while (i - received.load(std::memory_order_relaxed) >= window)
            std::this_thread::yield();
        auto const before = std::chrono::steady_clock::now();
        publisher->publish("bench:throughput", payloads[std::size_t(i)]);
        in_publish += std::chrono::steady_clock::now() - before;
    }
    auto last_progress = std::chrono::steady_clock::now();
    for (long seen = received.load(); seen < o.messages;) {
        std::this_thread::sleep_for(1ms);
        auto const now_seen = received.load();
        if (now_seen != seen)
            last_progress = std::chrono::steady_clock::now();
        else if (std::chrono::steady_clock::now() - last_progress > 2s)
            break; // the rest is lost
        seen = now_seen;
    }
    auto const io_cpu = thread_cpu_seconds(io_clock) - io_cpu0;
    auto const redis_cpu = pid_cpu_seconds(redis_pid) - redis_cpu0;
    double const secs = std::chrono::duration<double>(last_received.load() - t0).count();
    long const got = received.load();
    std::printf("throughput: %ld messages of %zu bytes, one publishing thread, one I/O thread for "
                "both buses, at most %ld in flight\n",
                o.messages, o.size, window);
    std::printf("  end to end  %10.0f msg/s (%ld received, %ld lost, %llu dropped at publish, %ld "
                "out of order)\n",
                double(got) / secs, got, o.messages - got,
                static_cast<unsigned long long>(dropped.value()), out_of_order.load());
    std::printf(
        "  CPU per message: publish() call %.2f us, I/O thread %.2f us (write, replies, read, "
        "deliver)",
        std::chrono::duration<double>(in_publish).count() * 1e6 / double(o.messages),
        io_cpu * 1e6 / double(got));
    if (redis_pid > 0)
        std::printf(", redis-server %.2f us", redis_cpu * 1e6 / double(got));
    std::printf("\n");
    payloads.clear();

    // Phase 2: latency at a fixed rate.
    long const total = long(double(o.rate) * o.seconds);
    auto const start = std::chrono::steady_clock::now();
    for (long i = 0; i < total; ++i) {
        auto const due = start + std::chrono::nanoseconds(i * 1'000'000'000LL / o.rate);
        if (due > std::chrono::steady_clock::now())
            std::this_thread::sleep_until(due);
        std::string text(o.size, '.');
        auto const ts = now_ns();
        std::memcpy(text.data(), &ts, sizeof ts);
        publisher->publish("bench:latency", bus::make_payload(std::move(text)));
    }
    auto const lat_deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        {
            std::lock_guard lock(latency_mutex);
            if (long(latencies_ns.size()) >= total)
                break;
        }
        if (std::chrono::steady_clock::now() > lat_deadline)
            break;
        std::this_thread::sleep_for(1ms);
    }
    std::vector<std::int64_t> l;
    {
        std::lock_guard lock(latency_mutex);
        l = latencies_ns;
    }
    std::sort(l.begin(), l.end());
    auto pct = [&](double q) {
        return l.empty()
                   ? 0.0
                   : double(l[std::min(l.size() - 1, std::size_t(q * double(l.size())))]) / 1e3;
    };
    std::printf("latency: %ld msg/s for %.1f s, publish() -> handler: %zu received, p50 %.0f us, "
                "p90 %.0f us, p99 %.0f us, max %.0f us\n",
                o.rate, o.seconds, l.size(), pct(0.50), pct(0.90), pct(0.99), pct(1.0));

    sub_tp.reset();
    sub_lat.reset();
    publisher.reset();
    subscriber.reset();
    work.reset();
    io.stop();
    io_thread.join();
    return got == o.messages ? 0 : 1;
}
