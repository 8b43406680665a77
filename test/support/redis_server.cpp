#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace parley::test {

namespace {

std::string find_redis_server()
{
    if (auto const* path = std::getenv("PATH")) {
        std::stringstream dirs(path);
        std::string dir;
        while (std::getline(dirs, dir, ':')) {
            auto const candidate = std::filesystem::path(dir) / "redis-server";
            if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0)
                return candidate.string();
        }
    }
    if (::access("/usr/bin/redis-server", X_OK) == 0)
        return "/usr/bin/redis-server";
    throw std::runtime_error("redis-server is not installed: the Redis tests need it "
                             "(apt-get install redis-server; scripts/setup.sh test installs it)");
}

// A port the kernel just handed out on 127.0.0.1 (closed again: redis-server binds it next).
std::uint16_t free_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error("no free port on 127.0.0.1");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

// Blocking: does Redis answer PING on the port (after AUTH when there is a password)?
bool answers_ping(std::uint16_t port, std::string const& password)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        std::string request;
        if (!password.empty())
            request += "*2\r\n$4\r\nAUTH\r\n$" + std::to_string(password.size()) + "\r\n" +
                       password + "\r\n";
        request += "*1\r\n$4\r\nPING\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
            std::string got;
            auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            while (got.find("PONG") == std::string::npos &&
                   std::chrono::steady_clock::now() < deadline) {
                pollfd p{fd, POLLIN, 0};
                if (::poll(&p, 1, 100) <= 0)
                    continue;
                char buf[256];
                auto const n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0)
                    break;
                got.append(buf, static_cast<std::size_t>(n));
            }
            ok = got.find("+PONG") != std::string::npos;
        }
    }
    ::close(fd);
    return ok;
}

} // namespace

redis_server::redis_server() : redis_server(options{}) {}

redis_server::redis_server(options o) : options_(std::move(o)), executable_(find_redis_server())
{
    for (int tries = 0; tries < 5; ++tries) {
        port_ = free_port();
        if (launch())
            return;
    }
    throw std::runtime_error("redis-server did not start; its log:\n" + log());
}

redis_server::~redis_server()
{
    stop();
}

std::string redis_server::url(int db) const
{
    std::string u = "redis://";
    if (!options_.password.empty())
        u += ":" + options_.password + "@";
    u += "127.0.0.1:" + std::to_string(port_);
    if (db != 0)
        u += "/" + std::to_string(db);
    return u;
}

bus::redis::endpoint redis_server::endpoint(int db) const
{
    bus::redis::endpoint e;
    e.host = "127.0.0.1";
    e.port = port_;
    e.password = options_.password;
    e.db = db;
    return e;
}

bool redis_server::launch()
{
    auto const log_path = dir_.path() + "/redis.log";
    std::vector<std::string> args = {executable_, "--port",       std::to_string(port_),
                                     "--bind",    "127.0.0.1",    "--save",
                                     "",          "--appendonly", "no",
                                     "--dir",     dir_.path(),    "--daemonize",
                                     "no",        "--loglevel",   "notice"};
    if (!options_.password.empty()) {
        args.push_back("--requirepass");
        args.push_back(options_.password);
    }
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0)
        throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
            ::close(fd);
        }
        ::execv(argv[0], argv.data());
        std::_Exit(127);
    }
    paused_ = false;
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) {
            pid_ = -1;
            return false; // most likely the port was taken meanwhile
        }
        if (answers_ping(port_, options_.password))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    throw std::runtime_error("redis-server did not answer PING within 10 s; its log:\n" + log());
}

void redis_server::start()
{
    if (running())
        return;
    if (!launch())
        throw std::runtime_error("redis-server did not start again on port " +
                                 std::to_string(port_) + "; its log:\n" + log());
}

void redis_server::stop()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    paused_ = false;
}

void redis_server::pause()
{
    if (pid_ > 0 && ::kill(pid_, SIGSTOP) == 0)
        paused_ = true;
}

void redis_server::resume()
{
    if (pid_ > 0 && ::kill(pid_, SIGCONT) == 0)
        paused_ = false;
}

bool redis_server::running()
{
    if (pid_ <= 0)
        return false;
    int status = 0;
    auto const r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

std::string redis_server::log() const
{
    std::ifstream in(dir_.path() + "/redis.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace parley::test
