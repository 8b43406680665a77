// The one reader of configuration: environment variables (PARLEY_*, plus the original system's
// names such as AUTH_SERVICE_URL where they exist), with defaults, types and bounds. A bad value
// throws config_error whose message names the variable; main prints it and exits 2.
//
//   config cfg;                                        // reads the process environment
//   auto port = cfg.port("PARLEY_PORT", 5003);
//   auto auth = cfg.string({"PARLEY_AUTH_URL", "AUTH_SERVICE_URL"}, "http://127.0.0.1:5001");
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class config {
public:
    // Reads the process environment.
    config();
    // Reads the given variables only (tests).
    explicit config(std::map<std::string, std::string> variables);

    // Each getter takes the variable name, or several names where the first one set wins
    // (the PARLEY_ name first, then the original's name).
    using names = std::initializer_list<std::string_view>;

    std::string string(names n, std::string_view fallback) const;
    std::optional<std::string> optional_string(names n) const;
    // The value must be set and non-empty.
    std::string required_string(names n) const;
    std::int64_t integer(names n, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
    std::uint16_t port(names n, std::uint16_t fallback) const;
    // "true/false/1/0/yes/no/on/off", any case.
    bool boolean(names n, bool fallback) const;
    // "250ms", "10s", "5m", "1h", or a bare number of seconds; at most max_duration, so that
    // now() + any configured duration cannot overflow the clock.
    std::chrono::milliseconds duration(names n, std::chrono::milliseconds fallback) const;
    // Comma-separated, items trimmed, empty items dropped.
    std::vector<std::string> list(names n, std::vector<std::string> fallback) const;
    // A size such as "1MiB", "64KiB", "512" (bytes); at most max_bytes, so that sums and
    // products of sizes cannot wrap.
    std::size_t bytes(names n, std::size_t fallback) const;

    static constexpr std::chrono::milliseconds max_duration{365LL * 24 * 60 * 60 * 1000};
    static constexpr std::uint64_t max_bytes = std::uint64_t{1} << 40; // 1 TiB

    // PARLEY_ENV: "development" (default) or "production".
    bool production() const;
    // PARLEY_DATA_DIR (default "var"): where a service keeps its SQLite database and, in
    // development, its generated keys.
    std::string data_dir() const;

private:
    std::optional<std::pair<std::string_view, std::string>> lookup(names n) const;
    std::function<std::optional<std::string>(std::string_view)> get_;
    std::map<std::string, std::string> fixed_;
};

} // namespace parley
