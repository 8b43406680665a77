#include "options.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace parley::bench {

void print_usage()
{
    std::cerr << R"(usage: parley-bench [run] OPTIONS          one load run (below)
       parley-bench summary FILE.json...      the table of several results, with ratios
       parley-bench keygen DIR                 an Ed25519 key pair: DIR/jwt-ed25519.pem, .pub.pem
       parley-bench free-port                  prints a free TCP port on 127.0.0.1

where clients go
  --connect H:P[,H:P...]   chat replicas (clients spread over them) or the gateway   [127.0.0.1:5003]
  --path /ws               WebSocket path
  --protocol parley|reference   reference = the servers of shared/references (auth/ready, message/id)
  --api H:P[/PREFIX]       parley: where POST PREFIX/rooms goes [first --connect; /api/chat via gateway]
  --tokens sign|register   sign with --key (no auth round trip), or register every user through
                           --auth H:P[/PREFIX] (POST PREFIX/register: argon2id per user)
  --key FILE               Ed25519 private key PEM the chat service trusts

load
  --clients N  --rooms R   N connections in R rooms                                  [1000, 10]
  --zipf S                 room sizes ∝ 1/k^S (a few big rooms, many small); 0 = uniform   [0]
  --publishers P           senders, the first members of the rooms (0: one per room)       [0]
  --users-per-room U       distinct identities per room at most (0: every client its own)  [0]
  --rate MSG_PER_S         total, open loop: message k is scheduled at k/rate and its latency
                           is measured from that time (no coordinated omission)             [500]
  --warmup S --seconds S   sending before the measured window, and the window              [2, 10]
  --drain S                after sending, give up after S without progress                  [10]
  --drain-max S            ... or after S in all (what is missing then counts as lost) [60 or 6 windows]
  --content-bytes B        message content size (at least the message number)               [0]
  --connect-concurrency C  connections opened at once while setting up                      [64]

modes
  --mode load|idle|storm
     idle:  --steps 100,10000 (default 100,N): connect, authenticate, join and hold each count
            --hold S seconds, then sample memory; reports bytes per connection between steps
     storm: at --storm-at S into the window every client drops its connection (no close frame)
            and reconnects at once, re-joining with its last seq; publishers resend what was not
            acknowledged with the same client_id. Reports time until all are back and caught up.

measuring
  --watch ROLE:PID         a server process (and its children) to sample from /proc: CPU seconds
                           in the window and peak RSS; repeat (roles: chat, gateway, redis,
                           postgres, auth, server ...)
  --json FILE              write the result as JSON
  --label KEY=VALUE        copied into the JSON (scenario, server, replicas ...); repeat
  --quiet                  no live progress line
)";
}

namespace {

[[noreturn]] void fail(std::string const& problem)
{
    std::cerr << "parley-bench: " << problem << "\n";
    print_usage();
    std::exit(2);
}

endpoint parse_endpoint(std::string const& text)
{
    auto t = text;
    if (t.starts_with("ws://"))
        t = t.substr(5);
    else if (t.starts_with("http://"))
        t = t.substr(7);
    if (auto const slash = t.find('/'); slash != std::string::npos)
        t = t.substr(0, slash);
    auto const colon = t.rfind(':');
    if (colon == std::string::npos)
        throw std::invalid_argument(text);
    endpoint e{t.substr(0, colon), static_cast<std::uint16_t>(std::stoi(t.substr(colon + 1)))};
    if (e.host.empty() || e.port == 0)
        throw std::invalid_argument(text);
    return e;
}

std::vector<std::string> split(std::string const& v, char sep)
{
    std::vector<std::string> out;
    std::istringstream in(v);
    for (std::string part; std::getline(in, part, sep);)
        if (!part.empty())
            out.push_back(part);
    return out;
}

} // namespace

options parse_options(int argc, char** argv)
{
    options o;
    for (int i = 0; i < argc; ++i) {
        std::string const a = argv[i];
        if (a == "--quiet") {
            o.quiet = true;
            continue;
        }
        if (a == "-h" || a == "--help") {
            print_usage();
            std::exit(0);
        }
        if (i + 1 >= argc)
            fail("missing value for " + a);
        std::string const v = argv[++i];
        try {
            if (a == "--connect") {
                for (auto const& part : split(v, ','))
                    o.addresses.push_back(parse_endpoint(part));
            } else if (a == "--path")
                o.ws_path = v;
            else if (a == "--protocol") {
                if (v == "parley")
                    o.proto = protocol::parley;
                else if (v == "reference")
                    o.proto = protocol::reference;
                else
                    fail("--protocol is parley or reference");
            } else if (a == "--api")
                o.api = v;
            else if (a == "--tokens") {
                if (v != "sign" && v != "register")
                    fail("--tokens is sign or register");
                o.tokens = v;
            } else if (a == "--key")
                o.key_file = v;
            else if (a == "--auth")
                o.auth_url = v;
            else if (a == "--clients")
                o.layout.clients = std::stoi(v);
            else if (a == "--rooms")
                o.layout.rooms = std::stoi(v);
            else if (a == "--zipf")
                o.layout.zipf_exponent = std::stod(v);
            else if (a == "--publishers")
                o.layout.publishers = std::stoi(v);
            else if (a == "--users-per-room")
                o.layout.users_per_room = std::stoi(v);
            else if (a == "--rate")
                o.rate = std::stod(v);
            else if (a == "--warmup")
                o.warmup = std::stod(v);
            else if (a == "--seconds")
                o.seconds = std::stod(v);
            else if (a == "--drain")
                o.drain = std::stod(v);
            else if (a == "--drain-max")
                o.drain_max = std::stod(v);
            else if (a == "--content-bytes")
                o.content_bytes = static_cast<std::size_t>(std::stoul(v));
            else if (a == "--connect-concurrency")
                o.connect_concurrency = std::stoi(v);
            else if (a == "--connect-timeout")
                o.connect_timeout = std::stod(v);
            else if (a == "--mode") {
                if (v == "load")
                    o.mode = run_mode::load;
                else if (v == "idle")
                    o.mode = run_mode::idle;
                else if (v == "storm")
                    o.mode = run_mode::storm;
                else
                    fail("--mode is load, idle or storm");
            } else if (a == "--steps") {
                for (auto const& part : split(v, ','))
                    o.idle_steps.push_back(std::stoi(part));
            } else if (a == "--hold")
                o.hold = std::stod(v);
            else if (a == "--storm-at")
                o.storm_at = std::stod(v);
            else if (a == "--watch") {
                auto const colon = v.rfind(':');
                if (colon == std::string::npos || colon == 0)
                    fail("--watch takes ROLE:PID");
                o.watch.push_back({v.substr(0, colon), std::stoi(v.substr(colon + 1))});
            } else if (a == "--json")
                o.json_file = v;
            else if (a == "--label") {
                auto const eq = v.find('=');
                if (eq == std::string::npos || eq == 0)
                    fail("--label takes KEY=VALUE");
                o.labels.emplace_back(v.substr(0, eq), v.substr(eq + 1));
            } else
                fail("unknown option " + a);
        } catch (std::logic_error const&) {
            fail("bad value for " + a + ": " + v);
        }
    }
    if (o.addresses.empty())
        o.addresses.push_back({"127.0.0.1", 5003});
    o.layout.addresses = static_cast<int>(o.addresses.size());
    auto const& l = o.layout;
    if (l.clients < 1 || l.rooms < 1 || l.clients < l.rooms)
        fail("need clients >= rooms >= 1");
    if (o.mode != run_mode::idle && (o.rate <= 0 || o.seconds <= 0 || o.warmup < 0))
        fail("need rate > 0, seconds > 0, warmup >= 0");
    if (o.proto == protocol::parley && o.tokens == "sign" && o.key_file.empty())
        fail("--tokens sign needs --key (the private key the chat service trusts)");
    if (o.proto == protocol::parley && o.tokens == "register" && o.auth_url.empty())
        fail("--tokens register needs --auth H:P");
    if (o.proto == protocol::reference && o.mode == run_mode::storm)
        fail("the reference protocol has no replay (join with last_seq): no storm mode");
    if (o.mode == run_mode::idle) {
        if (o.idle_steps.empty()) {
            if (l.clients > 100)
                o.idle_steps.push_back(100);
            o.idle_steps.push_back(l.clients);
        }
        for (std::size_t s = 0; s < o.idle_steps.size(); ++s)
            if (o.idle_steps[s] < 1 || o.idle_steps[s] > l.clients ||
                (s > 0 && o.idle_steps[s] <= o.idle_steps[s - 1]))
                fail("--steps must increase, within 1..clients");
        if (o.idle_steps.back() != l.clients)
            o.idle_steps.push_back(l.clients);
    }
    if (o.drain_max < 0)
        o.drain_max = std::max(60.0, 6 * o.seconds);
    if (o.storm_at < 0)
        o.storm_at = o.seconds / 3;
    if (o.connect_concurrency < 1)
        o.connect_concurrency = 1;
    return o;
}

} // namespace parley::bench
