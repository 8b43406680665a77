// Runs a service binary that is expected to exit on its own (e.g. refusing to start), and
// returns its exit code and stderr. Kills it (and fails) if it is still running after `limit`.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace parley::test {

struct exit_result {
    int code = -1;
    std::string output;
};

inline exit_result run_to_exit(std::string const& executable,
                               std::map<std::string, std::string> const& env,
                               std::chrono::milliseconds limit = std::chrono::seconds(20))
{
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        if (auto eq = kv.find('='); eq != std::string::npos)
            merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    merged["PARLEY_PORT"] = "0";
    merged["PARLEY_BIND"] = "127.0.0.1";
    for (auto const& [k, v] : env)
        merged[k] = v;
    std::vector<std::string> storage;
    for (auto const& [k, v] : merged)
        storage.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : storage)
        envp.push_back(s.data());
    envp.push_back(nullptr);

    int fds[2];
    if (::pipe(fds) != 0)
        throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(fds[1], STDERR_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        std::string exe = executable;
        char* argv[] = {exe.data(), nullptr};
        ::execve(exe.c_str(), argv, envp.data());
        std::_Exit(127);
    }
    ::close(fds[1]);
    exit_result result;
    std::thread reader([&] {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
            result.output.append(buf, static_cast<std::size_t>(n));
        ::close(fds[0]);
    });
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exited) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    reader.join();
    if (!exited)
        throw std::runtime_error(executable + " kept running; expected it to exit. Output:\n" +
                                 result.output);
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return result;
}

} // namespace parley::test
