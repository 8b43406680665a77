#include "ws/stats.hpp"

namespace parley::ws::detail {

stats_counters& stats() noexcept
{
    static stats_counters counters;
    return counters;
}

} // namespace parley::ws::detail
