#include "ws/stats.hpp"

namespace parley::ws::detail {

stats_counters& stats() noexcept
{
    static stats_counters counters{
        metrics::counter("parley_ws_sessions_opened_total", "WebSocket sessions accepted"),
        metrics::gauge("parley_ws_sessions_open", "WebSocket sessions open now"),
        metrics::counter("parley_ws_messages_in_total", "WebSocket text messages received"),
        metrics::counter("parley_ws_messages_out_total", "WebSocket data frames sent"),
        metrics::counter("parley_ws_socket_writes_total",
                         "Socket writes by WebSocket writers (frames coalesce into fewer writes)"),
        metrics::counter("parley_ws_queue_drops_total",
                         "Queued outbound frames dropped (overflow or close)"),
        metrics::counter("parley_ws_slow_consumer_closes_total",
                         "Sessions closed with 4008 for an overflowing queue"),
        metrics::counter("parley_ws_protocol_errors_total",
                         "Sessions closed for a WebSocket protocol violation"),
    };
    return counters;
}

} // namespace parley::ws::detail
