#include "support/process.hpp"

#include <boost/json/parse.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace parley::test {

service_process::service_process(std::string executable, std::map<std::string, std::string> env,
                                 std::chrono::milliseconds start_timeout)
    : executable_(std::move(executable))
{
    if (!std::filesystem::exists(executable_))
        throw std::runtime_error("no such binary: " + executable_);
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos)
            merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    merged["PARLEY_PORT"] = "0";
    merged["PARLEY_BIND"] = "127.0.0.1";
    merged["PARLEY_LOG_LEVEL"] = "info";
    for (auto& [k, v] : env)
        merged[k] = v;
    std::vector<std::string> storage;
    for (auto& [k, v] : merged)
        storage.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : storage)
        envp.push_back(s.data());
    envp.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0)
        throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0)
        throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(pipe_fds[1], STDERR_FILENO);
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        char* argv[] = {executable_.data(), nullptr};
        ::execve(executable_.c_str(), argv, envp.data());
        std::_Exit(127);
    }
    ::close(pipe_fds[1]);
    reader_ = std::thread([this, fd = pipe_fds[0]] { read_output(fd); });

    auto deadline = std::chrono::steady_clock::now() + start_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lock(mutex_);
            std::size_t pos = 0;
            while ((pos = output_.find("\"message\":\"listening\"", pos)) != std::string::npos) {
                auto begin = output_.rfind('\n', pos);
                begin = begin == std::string::npos ? 0 : begin + 1;
                auto end = output_.find('\n', pos);
                if (end == std::string::npos)
                    break;
                auto line = boost::json::parse(output_.substr(begin, end - begin)).as_object();
                port_ = static_cast<std::uint16_t>(line.at("port").to_number<int>());
                return;
            }
        }
        if (!running())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto output = log();
    kill();
    throw std::runtime_error(executable_ + " did not start listening; its output:\n" + output);
}

service_process::~service_process()
{
    try {
        if (running())
            stop();
    } catch (...) {
        kill();
    }
    if (reader_.joinable())
        reader_.join();
}

void service_process::read_output(int fd)
{
    char buf[4096];
    for (;;) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        std::lock_guard lock(mutex_);
        output_.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
}

bool service_process::running()
{
    if (reaped_ || pid_ <= 0)
        return false;
    int status = 0;
    auto r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        return false;
    }
    return true;
}

int service_process::stop(std::chrono::milliseconds timeout)
{
    if (!running())
        return exit_status_;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running())
            return exit_status_;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill();
    throw std::runtime_error(executable_ + " did not stop within the timeout after SIGTERM");
}

void service_process::kill()
{
    if (!running())
        return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    exit_status_ = -SIGKILL;
}

std::string service_process::log() const
{
    std::lock_guard lock(mutex_);
    return output_;
}

std::string binary_path(std::string const& service)
{
    char const* dir = std::getenv("PARLEY_BUILD_DIR");
    std::string base = dir ? dir : PARLEY_BUILD_DIR;
    return base + "/apps/" + service + "/parley-" + service;
}

temp_directory::temp_directory()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

temp_directory::~temp_directory()
{
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

} // namespace parley::test
