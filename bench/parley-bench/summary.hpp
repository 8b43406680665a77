// Results as people read them: one run in detail, or a table of many with ratios to the
// reference servers measured in the same batch.
#pragma once

#include <boost/json/object.hpp>
#include <iosfwd>
#include <vector>

namespace parley::bench {

void print_run(std::ostream& out, boost::json::object const& result);

// Groups runs by load (scenario, rate, clients, rooms); a run's CPU per delivery is also shown
// as a ratio to ceiling-epoll's (the mean of its runs) under the same load.
void print_table(std::ostream& out, std::vector<boost::json::object> const& results);

} // namespace parley::bench
