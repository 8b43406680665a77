#include "summary.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>

namespace parley::bench {

namespace {

namespace bj = boost::json;

double num(bj::value const* v)
{
    if (!v)
        return NAN;
    if (v->is_double())
        return v->as_double();
    if (v->is_int64())
        return static_cast<double>(v->as_int64());
    if (v->is_uint64())
        return static_cast<double>(v->as_uint64());
    return NAN;
}

double num(bj::object const& o, std::string_view path)
{
    bj::value const* v = nullptr;
    bj::object const* at = &o;
    std::size_t start = 0;
    for (;;) {
        auto const dot = path.find('.', start);
        auto const key =
            path.substr(start, dot == std::string_view::npos ? path.npos : dot - start);
        auto const it = at->find(key);
        if (it == at->end())
            return NAN;
        v = &it->value();
        if (dot == std::string_view::npos)
            break;
        if (!v->is_object())
            return NAN;
        at = &v->as_object();
        start = dot + 1;
    }
    return num(v);
}

std::string str(bj::object const& o, std::string_view section, std::string_view key,
                std::string fallback = "-")
{
    auto const s = o.find(section);
    if (s == o.end() || !s->value().is_object())
        return fallback;
    auto const v = s->value().as_object().find(key);
    if (v == s->value().as_object().end())
        return fallback;
    if (v->value().is_string())
        return std::string(v->value().as_string());
    return bj::serialize(v->value());
}

std::string fmt(double v, int decimals)
{
    if (std::isnan(v))
        return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string thousands(double v)
{
    if (std::isnan(v))
        return "-";
    auto n = static_cast<long long>(std::llround(v));
    std::string s = std::to_string(n < 0 ? -n : n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
        s.insert(static_cast<std::size_t>(i), ",");
    return n < 0 ? "-" + s : s;
}

std::string mode_of(bj::object const& r)
{
    return str(r, "config", "mode", "load");
}

// The load a run was under: runs with the same key are comparable.
std::string load_key(bj::object const& r)
{
    return str(r, "labels", "scenario") + "|" + mode_of(r) + "|" + str(r, "config", "rate") + "|" +
           str(r, "config", "clients") + "|" + str(r, "config", "rooms") + "|" +
           str(r, "config", "zipf") + "|" + str(r, "config", "publishers");
}

std::string server_of(bj::object const& r)
{
    return str(r, "labels", "server", str(r, "config", "protocol"));
}

// CPU per delivery of the run's main server process (chat, or the reference server).
double primary_us(bj::object const& r)
{
    auto const chat = num(r, "cpu.by_role_us_per_delivery.chat");
    return std::isnan(chat) ? num(r, "cpu.by_role_us_per_delivery.server") : chat;
}

bool cut_off(bj::object const& r)
{
    auto const w = r.find("window");
    if (w == r.end() || !w->value().is_object())
        return false;
    auto const c = w->value().as_object().find("drain_cut_off");
    return c != w->value().as_object().end() && c->value().is_bool() && c->value().as_bool();
}

std::string lost_cell(bj::object const& r)
{
    return thousands(num(r, "counts.lost")) + (cut_off(r) ? "*" : "");
}

struct column {
    std::string title;
    int width;
    bool left = false;
};

void print_row(std::ostream& out, std::vector<column> const& cols,
               std::vector<std::string> const& cells)
{
    std::string line;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        auto cell = i < cells.size() ? cells[i] : "";
        auto const pad = cols[i].width > static_cast<int>(cell.size())
                             ? static_cast<std::size_t>(cols[i].width) - cell.size()
                             : 0;
        if (cols[i].left)
            line += cell + std::string(pad, ' ');
        else
            line += std::string(pad, ' ') + cell;
        line += i + 1 < cols.size() ? "  " : "";
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    out << line << "\n";
}

void print_header(std::ostream& out, std::vector<column> const& cols)
{
    std::vector<std::string> titles;
    for (auto const& c : cols)
        titles.push_back(c.title);
    print_row(out, cols, titles);
}

} // namespace

void print_run(std::ostream& out, bj::object const& r)
{
    auto const mode = mode_of(r);
    out << "== " << str(r, "labels", "scenario", "run") << " " << server_of(r);
    if (auto const l = r.find("labels"); l != r.end() && l->value().is_object())
        for (auto const& [k, v] : l->value().as_object())
            if (k != "scenario" && k != "server")
                out << " " << std::string(k) << "="
                    << (v.is_string() ? std::string(v.as_string()) : bj::serialize(v));
    out << "\n";
    out << "   " << str(r, "config", "clients") << " clients, " << str(r, "config", "rooms")
        << " rooms of " << str(r, "config", "room_size_min") << ".."
        << str(r, "config", "room_size_max") << ", " << str(r, "config", "publishers")
        << " publishers, " << str(r, "config", "users") << " users; tokens "
        << str(r, "config", "tokens") << "\n";
    if (mode == "idle") {
        auto const idle = r.find("idle");
        if (idle == r.end() || !idle->value().is_object())
            return;
        auto const& steps = idle->value().as_object().at("steps").as_array();
        for (auto const& s : steps) {
            auto const& so = s.as_object();
            out << "   " << thousands(num(so, "clients")) << " clients (connected in "
                << fmt(num(so, "connect_s"), 2) << " s):";
            for (auto const& [role, m] : so.at("roles").as_object())
                out << "  " << std::string(role) << " RSS "
                    << fmt(num(m.as_object(), "rss_kb") / 1024, 1) << " MiB, peak "
                    << fmt(num(m.as_object(), "peak_rss_kb") / 1024, 1) << " MiB";
            out << "\n";
        }
        auto const& io = idle->value().as_object();
        if (io.contains("peak_rss_bytes_per_connection")) {
            out << "   peak RSS per connection (" << thousands(num(io, "from_clients")) << " -> "
                << thousands(num(io, "to_clients")) << " clients):";
            for (auto const& [role, v] : io.at("peak_rss_bytes_per_connection").as_object())
                out << "  " << std::string(role) << " " << thousands(num(&v)) << " B";
            out << "  | all " << thousands(num(io, "all_peak_rss_bytes_per_connection"))
                << " B (RSS: " << thousands(num(io, "all_rss_bytes_per_connection")) << " B)\n";
        }
    } else {
        out << "   rate " << thousands(num(r, "config.rate")) << " msg/s, window "
            << fmt(num(r, "config.seconds"), 1) << " s: sent " << thousands(num(r, "window.sent"))
            << ", delivered " << thousands(num(r, "window.delivered")) << " ("
            << thousands(num(r, "window.deliveries_per_s")) << "/s)\n";
        out << "   checked: expected " << thousands(num(r, "counts.expected")) << ", delivered "
            << thousands(num(r, "counts.delivered")) << ", lost "
            << thousands(num(r, "counts.lost")) << ", duplicated "
            << thousands(num(r, "counts.duplicated")) << ", out of order "
            << thousands(num(r, "counts.out_of_order")) << ", refused "
            << thousands(num(r, "counts.rejected")) << ", closed "
            << thousands(num(r, "counts.closed")) << "\n";
        out << "   latency from the scheduled send, ms: p50 " << fmt(num(r, "latency_ms.p50"), 2)
            << "  p90 " << fmt(num(r, "latency_ms.p90"), 2) << "  p99 "
            << fmt(num(r, "latency_ms.p99"), 2) << "  p99.9 " << fmt(num(r, "latency_ms.p999"), 2)
            << "  max " << fmt(num(r, "latency_ms.max"), 2) << "\n";
        if (auto const p = r.find("processes"); p != r.end() && p->value().is_array()) {
            for (auto const& proc : p->value().as_array()) {
                auto const& po = proc.as_object();
                out << "   " << std::string(po.at("role").as_string()) << " (pid "
                    << bj::serialize(po.at("pid")) << "): " << fmt(num(po, "cpu_s"), 2)
                    << " s CPU = " << fmt(num(po, "cpu_pct"), 0)
                    << "% of a core = " << fmt(num(po, "us_per_delivery"), 2)
                    << " µs per delivery; peak RSS " << fmt(num(po, "peak_rss_kb") / 1024, 1)
                    << " MiB\n";
            }
        }
        out << "   all servers: " << fmt(num(r, "cpu.all_us_per_delivery"), 2)
            << " µs per delivery; load tool: " << fmt(num(r, "load_tool.cpu_pct"), 0)
            << "% of a core (" << fmt(num(r, "load_tool.us_per_delivery"), 2)
            << " µs per delivery)\n";
        if (mode == "storm")
            out << "   storm: " << thousands(num(r, "storm.clients")) << " clients dropped at "
                << fmt(num(r, "storm.at_s"), 1) << " s; all back in "
                << fmt(num(r, "storm.back_s"), 2) << " s, caught up in "
                << fmt(num(r, "storm.caught_up_s"), 2) << " s; " << str(r, "storm", "resent")
                << " messages resent, " << str(r, "storm", "reconnect_failures")
                << " reconnects failed\n";
    }
    if (auto const p = r.find("problems"); p != r.end() && p->value().is_array())
        for (auto const& problem : p->value().as_array())
            out << "   PROBLEM: " << std::string(problem.as_string()) << "\n";
}

void print_table(std::ostream& out, std::vector<bj::object> const& results)
{
    // Ceiling figures per load, to divide by.
    std::map<std::string, std::pair<double, int>> ceiling_us, ceiling_bytes;
    for (auto const& r : results) {
        if (server_of(r) != "ceiling-epoll")
            continue;
        auto const key = load_key(r);
        auto const us = num(r, "cpu.all_us_per_delivery");
        if (!std::isnan(us)) {
            ceiling_us[key].first += us;
            ++ceiling_us[key].second;
        }
        auto const b = num(r, "idle.all_peak_rss_bytes_per_connection");
        if (!std::isnan(b)) {
            ceiling_bytes[key].first += b;
            ++ceiling_bytes[key].second;
        }
    }
    auto ratio = [](std::map<std::string, std::pair<double, int>> const& m, std::string const& key,
                    double v) {
        auto const it = m.find(key);
        if (it == m.end() || it->second.second == 0 || std::isnan(v))
            return std::string("-");
        return fmt(v / (it->second.first / it->second.second), 2);
    };

    // Keep the order runs were made in, grouped by load.
    std::vector<std::string> order;
    std::map<std::string, std::vector<bj::object const*>> groups;
    for (auto const& r : results) {
        auto const key = load_key(r);
        if (!groups.contains(key))
            order.push_back(key);
        groups[key].push_back(&r);
    }

    std::vector<column> const load_cols = {{"scenario", 10, true},
                                           {"server", 13, true},
                                           {"via", 7, true},
                                           {"K", 2},
                                           {"store", 8, true},
                                           {"clients", 7},
                                           {"rooms", 5},
                                           {"msg/s", 6},
                                           {"deliv/s", 9},
                                           {"µs/del", 6},
                                           {"chat µs", 7},
                                           {"×ceil", 5},
                                           {"p50 ms", 6},
                                           {"p99 ms", 7},
                                           {"p99.9", 7},
                                           {"max", 7},
                                           {"lost", 5},
                                           {"dup", 4},
                                           {"tool%", 5},
                                           {"ok", 3, true}};
    bool printed = false;
    for (auto const& key : order) {
        for (auto const* rp : groups[key]) {
            auto const& r = *rp;
            auto const mode = mode_of(r);
            if (mode == "idle")
                continue;
            if (!printed) {
                print_header(out, load_cols);
                printed = true;
            }
            auto const us = num(r, "cpu.all_us_per_delivery");
            print_row(
                out, load_cols,
                {str(r, "labels", "scenario"),
                 server_of(r),
                 str(r, "labels", "path"),
                 str(r, "labels", "replicas"),
                 str(r, "labels", "store"),
                 thousands(num(r, "config.clients")),
                 thousands(num(r, "config.rooms")),
                 thousands(num(r, "config.rate")),
                 thousands(num(r, "window.deliveries_per_s")),
                 fmt(us, 2),
                 fmt(primary_us(r), 2),
                 ratio(ceiling_us, key, us),
                 fmt(num(r, "latency_ms.p50"), 2),
                 fmt(num(r, "latency_ms.p99"), 2),
                 fmt(num(r, "latency_ms.p999"), 2),
                 fmt(num(r, "latency_ms.max"), 1),
                 lost_cell(r),
                 thousands(num(r, "counts.duplicated")),
                 fmt(num(r, "load_tool.cpu_pct"), 0),
                 r.contains("ok") && r.at("ok").is_bool() && r.at("ok").as_bool() ? "yes" : "NO"});
        }
    }
    bool any_cut = false;
    for (auto const& r : results)
        any_cut = any_cut || cut_off(r);
    if (any_cut)
        out << "* still owed when the drain gave up (--drain-max): the servers did not keep up "
               "(late or lost)\n";
    // Storms.
    std::vector<column> const storm_cols = {
        {"scenario", 10, true}, {"server", 13, true}, {"via", 7, true}, {"K", 2},
        {"store", 8, true},     {"clients", 7},       {"back s", 7},    {"caught up s", 11},
        {"resent", 6},          {"lost", 5},          {"dup", 4},       {"ok", 3, true}};
    bool storm_header = false;
    for (auto const& r : results) {
        if (mode_of(r) != "storm")
            continue;
        if (!storm_header) {
            out << "\nreconnect storms (every client drops and re-joins with its last seq)\n";
            print_header(out, storm_cols);
            storm_header = true;
        }
        print_row(
            out, storm_cols,
            {str(r, "labels", "scenario"), server_of(r), str(r, "labels", "path"),
             str(r, "labels", "replicas"), str(r, "labels", "store"),
             thousands(num(r, "config.clients")), fmt(num(r, "storm.back_s"), 2),
             fmt(num(r, "storm.caught_up_s"), 2), thousands(num(r, "storm.resent")), lost_cell(r),
             thousands(num(r, "counts.duplicated")),
             r.contains("ok") && r.at("ok").is_bool() && r.at("ok").as_bool() ? "yes" : "NO"});
    }
    // Memory per connection.
    std::vector<column> const idle_cols = {
        {"scenario", 10, true}, {"server", 13, true}, {"via", 7, true},   {"K", 2},
        {"clients", 13},        {"peak B/conn", 11},  {"RSS B/conn", 10}, {"×ceil", 5},
        {"ok", 3, true}};
    bool idle_header = false;
    for (auto const& key : order) {
        for (auto const* rp : groups[key]) {
            auto const& r = *rp;
            if (mode_of(r) != "idle")
                continue;
            if (!idle_header) {
                out << "\nmemory per connected, authenticated, joined client (all server "
                       "processes)\n";
                print_header(out, idle_cols);
                idle_header = true;
            }
            auto const b = num(r, "idle.all_peak_rss_bytes_per_connection");
            print_row(
                out, idle_cols,
                {str(r, "labels", "scenario"), server_of(r), str(r, "labels", "path"),
                 str(r, "labels", "replicas"),
                 thousands(num(r, "idle.from_clients")) + "->" +
                     thousands(num(r, "idle.to_clients")),
                 thousands(b), thousands(num(r, "idle.all_rss_bytes_per_connection")),
                 ratio(ceiling_bytes, key, b),
                 r.contains("ok") && r.at("ok").is_bool() && r.at("ok").as_bool() ? "yes" : "NO"});
        }
    }
}

} // namespace parley::bench
