#include "parley/log/log.hpp"

#include "log/sink.hpp"
#include "parley/text/utf8.hpp"
#include "parley/time/utc.hpp"

#include <atomic>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <unistd.h>

namespace parley::log {

namespace {

std::atomic<int> minimum_level{static_cast<int>(level::info)};
// Read by every write() while init() may replace it: an atomic shared_ptr keeps that race-free.
std::atomic<std::shared_ptr<std::string const>> service_name{
    std::make_shared<std::string const>("parley")};

// Guards the output (one line per write(2), never interleaved) and the sink.
std::mutex& output_mutex()
{
    static std::mutex m;
    return m;
}
std::function<void(std::string_view)>& sink()
{
    static std::function<void(std::string_view)> s;
    return s;
}

std::string_view level_name(level l)
{
    switch (l) {
    case level::debug:
        return "debug";
    case level::info:
        return "info";
    case level::warn:
        return "warn";
    case level::error:
        return "error";
    }
    return "unknown";
}

// Boost.JSON copies string bytes verbatim, so a message carrying invalid UTF-8 (a raw request
// path, say) would make the line unparseable. Every byte that can be invalid is >= 0x80 and so
// lies inside a JSON string: replacing it with U+FFFD keeps the structure intact.
void make_valid_utf8(std::string& line)
{
    std::size_t i = 0;
    while (i < line.size() && static_cast<unsigned char>(line[i]) < 0x80)
        ++i;
    if (i == line.size())
        return;
    std::string out(line, 0, i);
    while (i < line.size()) {
        if (auto const n = text::utf8_sequence_length(line, i)) {
            out.append(line, i, n);
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    line = std::move(out);
}

void write_stderr(std::string_view line)
{
    while (!line.empty()) {
        auto const n = ::write(STDERR_FILENO, line.data(), line.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; // stderr is gone: nowhere left to report it
        }
        line.remove_prefix(static_cast<std::size_t>(n));
    }
}

} // namespace

void init(std::string_view service, level minimum)
{
    service_name.store(std::make_shared<std::string const>(service));
    minimum_level.store(static_cast<int>(minimum), std::memory_order_relaxed);
}

level parse_level(std::string_view name, level fallback)
{
    std::string lower;
    for (char c : name)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "debug")
        return level::debug;
    if (lower == "info")
        return level::info;
    if (lower == "warn" || lower == "warning")
        return level::warn;
    if (lower == "error")
        return level::error;
    return fallback;
}

bool enabled(level l) noexcept
{
    return static_cast<int>(l) >= minimum_level.load(std::memory_order_relaxed);
}

void write(level l, std::string_view message, boost::json::object fields)
{
    if (!enabled(l))
        return;
    // Logging must never take the process down: a failure here (out of memory) drops the line.
    try {
        boost::json::object line(fields.storage());
        line.reserve(4 + fields.size());
        line.emplace("time", utc_timestamp_ms());
        line.emplace("level", level_name(l));
        line.emplace("service", *service_name.load());
        line.emplace("message", message);
        for (auto& field : fields) {
            // The core keys are what log tooling filters on: a field never replaces them.
            std::string key(field.key());
            while (line.contains(key))
                key.insert(0, "field_");
            line.emplace(key, std::move(field.value()));
        }
        // serialize() escapes control characters, so the only newline is the one we append.
        std::string text = boost::json::serialize(line);
        make_valid_utf8(text);
        text += '\n';

        std::lock_guard lock(output_mutex());
        if (auto& s = sink())
            s(std::string_view(text).substr(0, text.size() - 1));
        else
            write_stderr(text);
    } catch (...) {
    }
}

namespace detail {

void set_sink(std::function<void(std::string_view line)> s)
{
    std::lock_guard lock(output_mutex());
    sink() = std::move(s);
}

} // namespace detail

void on_failure::operator()(std::exception_ptr e) const
{
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (std::exception const& ex) {
        error(what, {{"error", ex.what()}});
    } catch (...) {
        error(what, {{"error", "unknown exception"}});
    }
}

} // namespace parley::log
