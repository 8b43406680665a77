#include "parley/time/utc.hpp"

#include <cstdio>
#include <ctime>

namespace parley {

namespace {

std::string format(std::chrono::system_clock::time_point t, bool with_ms)
{
    auto const seconds = std::chrono::floor<std::chrono::seconds>(t);
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - seconds).count();
    std::time_t const tt = std::chrono::system_clock::to_time_t(seconds);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[40];
    auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (with_ms)
        std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    else
        std::snprintf(buf + n, sizeof buf - n, "Z");
    return buf;
}

} // namespace

std::string utc_timestamp(std::chrono::system_clock::time_point t)
{
    return format(t, false);
}
std::string utc_timestamp_ms(std::chrono::system_clock::time_point t)
{
    return format(t, true);
}

} // namespace parley
