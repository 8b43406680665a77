// What the servers cost, read from /proc: CPU seconds (utime + stime) and resident memory of a
// process and all its descendants (PostgreSQL is a postmaster with a backend per connection;
// the time of children that exited and were reaped is in their parent's cutime + cstime, so a
// tree's total stays exact as backends come and go).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

struct tree_sample {
    double cpu_seconds = 0;  // utime + stime (+ cutime + cstime) over the tree
    std::int64_t rss_kb = 0; // VmRSS summed over the tree
    std::int64_t hwm_kb = 0; // VmHWM (peak RSS) summed over the tree
    int processes = 0;       // 0: the process is gone
};

// A process to watch, named by its role in the run ("chat", "redis", "postgres", "gateway", ...).
struct watched {
    std::string role;
    int pid = 0;
};

// Samples every watched tree with one pass over /proc.
std::vector<tree_sample> sample(std::vector<watched> const& watch);

// This process: CPU seconds (user + system) and peak RSS in KiB (getrusage).
double self_cpu_seconds();
std::int64_t self_peak_rss_kb();

} // namespace parley::bench
