#include "proc.hpp"

#include <charconv>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>
#include <unordered_map>

namespace parley::bench {

namespace {

struct process_stat {
    int ppid = 0;
    double cpu_seconds = 0;
};

bool read_file(std::string const& path, std::string& out)
{
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    out.clear();
    char buf[4096];
    for (;;) {
        auto const n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return !out.empty();
}

// /proc/<pid>/stat: "pid (comm) state ppid ... utime(14) stime(15) cutime(16) cstime(17)".
bool parse_stat(std::string_view stat, process_stat& out)
{
    auto const close = stat.rfind(')');
    if (close == std::string_view::npos || close + 2 >= stat.size())
        return false;
    std::string_view rest = stat.substr(close + 2);
    std::int64_t fields[16] = {};
    // rest starts at field 3 (state); we need fields 4 (ppid) and 14..17.
    int field = 3;
    std::size_t pos = 0;
    while (field <= 17 && pos < rest.size()) {
        auto const end = rest.find(' ', pos);
        auto const token = rest.substr(pos, end == std::string_view::npos ? rest.npos : end - pos);
        if (field >= 4) {
            std::int64_t v = 0;
            std::from_chars(token.data(), token.data() + token.size(), v);
            fields[field - 4 < 16 ? field - 4 : 15] = v;
        }
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
        ++field;
    }
    static double const ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    out.ppid = static_cast<int>(fields[0]);
    out.cpu_seconds =
        static_cast<double>(fields[14 - 4] + fields[15 - 4] + fields[16 - 4] + fields[17 - 4]) /
        ticks;
    return true;
}

std::int64_t status_kb(std::string_view status, std::string_view key)
{
    auto const at = status.find(key);
    if (at == std::string_view::npos)
        return 0;
    auto p = status.data() + at + key.size();
    auto const end = status.data() + status.size();
    while (p < end && (*p == ' ' || *p == '\t'))
        ++p;
    std::int64_t v = 0;
    std::from_chars(p, end, v);
    return v;
}

} // namespace

std::vector<tree_sample> sample(std::vector<watched> const& watch)
{
    std::vector<tree_sample> out(watch.size());
    if (watch.empty())
        return out;
    // One pass over /proc: every process's parent and CPU time.
    std::unordered_map<int, process_stat> all;
    std::string text;
    if (DIR* dir = ::opendir("/proc")) {
        while (auto* e = ::readdir(dir)) {
            int pid = 0;
            auto const name = std::string_view(e->d_name);
            if (std::from_chars(name.data(), name.data() + name.size(), pid).ec != std::errc() ||
                pid <= 0)
                continue;
            process_stat s;
            if (read_file("/proc/" + std::string(name) + "/stat", text) && parse_stat(text, s))
                all.emplace(pid, s);
        }
        ::closedir(dir);
    }
    std::unordered_map<int, std::vector<int>> children;
    for (auto const& [pid, s] : all)
        children[s.ppid].push_back(pid);
    for (std::size_t w = 0; w < watch.size(); ++w) {
        if (!all.contains(watch[w].pid))
            continue;
        std::vector<int> stack{watch[w].pid};
        while (!stack.empty()) {
            int const pid = stack.back();
            stack.pop_back();
            auto const it = all.find(pid);
            if (it == all.end())
                continue;
            auto& t = out[w];
            t.cpu_seconds += it->second.cpu_seconds;
            ++t.processes;
            if (read_file("/proc/" + std::to_string(pid) + "/status", text)) {
                t.rss_kb += status_kb(text, "VmRSS:");
                t.hwm_kb += status_kb(text, "VmHWM:");
            }
            if (auto const c = children.find(pid); c != children.end())
                stack.insert(stack.end(), c->second.begin(), c->second.end());
        }
    }
    return out;
}

double self_cpu_seconds()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::int64_t self_peak_rss_kb()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

} // namespace parley::bench
