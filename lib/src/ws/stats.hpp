// Process-wide WebSocket counters, exported at /metrics (updates are relaxed atomics).
#pragma once

#include "parley/metrics/metrics.hpp"

namespace parley::ws::detail {

struct stats_counters {
    metrics::counter_series& sessions_opened;
    metrics::gauge_series& sessions_open;
    metrics::counter_series& messages_in;    // text messages delivered to handlers
    metrics::counter_series& messages_out;   // data frames written to sockets
    metrics::counter_series& writes;         // socket writes (messages_out / writes = coalescing)
    metrics::counter_series& frames_dropped; // queued frames discarded (overflow or close)
    metrics::counter_series& slow_consumer_closes;
    metrics::counter_series& protocol_errors;
};

stats_counters& stats() noexcept;

} // namespace parley::ws::detail
