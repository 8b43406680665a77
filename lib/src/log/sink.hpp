// Lib-internal: redirect finished log lines away from stderr (tests capture them here).
#pragma once

#include <functional>
#include <string_view>

namespace parley::log::detail {

// Receives each line without its trailing newline, called under the log mutex (so a sink needs
// no locking of its own and sees lines in write order). An empty function restores stderr.
void set_sink(std::function<void(std::string_view line)> sink);

} // namespace parley::log::detail
