// parley-bench's command line.
#pragma once

#include "plan.hpp"
#include "proc.hpp"
#include "protocol.hpp"

#include <string>
#include <utility>
#include <vector>

namespace parley::bench {

enum class run_mode { load, idle, storm };

struct endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::string text() const { return host + ":" + std::to_string(port); }
};

struct options {
    protocol proto = protocol::parley;
    run_mode mode = run_mode::load;
    std::vector<endpoint> addresses; // where clients connect (M chat replicas, or the gateway)
    std::string ws_path = "/ws";
    std::string api; // host:port[/prefix] for POST /rooms (parley; default addresses[0])
    std::string tokens = "sign"; // sign (with key_file) | register (through auth_url)
    std::string key_file;
    std::string auth_url; // host:port[/prefix] for POST /register
    plan_options layout;
    double rate = 500; // messages per second, all publishers together
    double warmup = 2;
    double seconds = 10;
    double drain = 10;     // after sending: wait this long at most without progress
    double drain_max = -1; // and this long at most in all (default: 30 s or 3 windows)
    std::size_t content_bytes = 0;
    std::vector<int> idle_steps; // idle: client counts to hold and measure (default 100, N)
    double hold = 2;             // idle: seconds held at each step before sampling memory
    double storm_at = -1;        // storm: seconds into the measured window (default: a third)
    int connect_concurrency = 64;
    double connect_timeout = 120; // the whole connect + join phase
    std::vector<watched> watch;
    std::string json_file;
    std::vector<std::pair<std::string, std::string>> labels;
    bool quiet = false; // no live progress line
};

// Parses argv (after the subcommand); prints usage and exits 2 on a bad command line.
options parse_options(int argc, char** argv);
void print_usage();

} // namespace parley::bench
