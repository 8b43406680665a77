// Structured logging: one JSON object per line on stderr:
//   {"time":"2026-11-26T09:41:07.123Z","level":"info","service":"chat-service",
//    "message":"listening","request_id":"...", ...fields}
// Lines from many threads never interleave.
#pragma once

#include <boost/json/object.hpp>
#include <exception>
#include <string_view>

namespace parley::log {

enum class level { debug, info, warn, error };

// Set once at startup (PARLEY_LOG_LEVEL sets the minimum level, default info).
void init(std::string_view service, level minimum = level::info);
level parse_level(std::string_view name, level fallback);
bool enabled(level l) noexcept;

void write(level l, std::string_view message, boost::json::object fields = {});

inline void debug(std::string_view m, boost::json::object f = {})
{
    write(level::debug, m, std::move(f));
}
inline void info(std::string_view m, boost::json::object f = {})
{
    write(level::info, m, std::move(f));
}
inline void warn(std::string_view m, boost::json::object f = {})
{
    write(level::warn, m, std::move(f));
}
inline void error(std::string_view m, boost::json::object f = {})
{
    write(level::error, m, std::move(f));
}

// The completion of a spawned coroutine: logs its failure, if any, as an error line.
//   net::co_spawn(ex, accept_loop(), log::on_failure{"accept loop failed"});
struct on_failure {
    std::string_view what; // a string literal: it outlives the coroutine
    void operator()(std::exception_ptr e) const;
};

} // namespace parley::log
