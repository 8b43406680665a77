// Process-wide WebSocket counters (relaxed atomics), until the metrics module picks them up.
#pragma once

#include <atomic>
#include <cstdint>

namespace parley::ws::detail {

struct stats_counters {
    std::atomic<std::uint64_t> sessions_opened{0};
    std::atomic<std::int64_t> sessions_open{0};
    std::atomic<std::uint64_t> messages_in{0};  // text messages delivered to handlers
    std::atomic<std::uint64_t> messages_out{0}; // data frames written to sockets
    std::atomic<std::uint64_t> writes{0}; // socket writes (messages_out / writes = coalescing)
    std::atomic<std::uint64_t> frames_dropped{0}; // queued frames discarded (overflow or close)
    std::atomic<std::uint64_t> slow_consumer_closes{0};
    std::atomic<std::uint64_t> protocol_errors{0};
};

stats_counters& stats() noexcept;

} // namespace parley::ws::detail
