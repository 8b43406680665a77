// Timestamps as Parley's APIs and logs write them: ISO 8601 / RFC 3339 in UTC.
#pragma once

#include <chrono>
#include <string>

namespace parley {

// "2026-11-26T09:41:07Z"
std::string
utc_timestamp(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());
// "2026-11-26T09:41:07.123Z"
std::string
utc_timestamp_ms(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

} // namespace parley
