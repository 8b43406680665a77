// A real redis-server started by a test: its own process on 127.0.0.1 and a free ephemeral port,
// no persistence (--save "" --appendonly no), an optional password (requirepass), its log kept in
// a temporary directory, stopped by PID. stop() + start() bring it back on the same port (fault
// tests); pause()/resume() send SIGSTOP/SIGCONT. Throws, failing the test, when redis-server is
// not installed (scripts/setup.sh test installs it).
#pragma once

#include "parley/bus/redis.hpp"
#include "support/process.hpp"

#include <cstdint>
#include <string>

namespace parley::test {

class redis_server {
public:
    struct options {
        std::string password; // empty: none
    };
    redis_server();
    explicit redis_server(options o);
    ~redis_server();
    redis_server(redis_server const&) = delete;
    redis_server& operator=(redis_server const&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    int pid() const noexcept { return pid_; }
    // redis://[:password@]127.0.0.1:<port>[/db]
    std::string url(int db = 0) const;
    bus::redis::endpoint endpoint(int db = 0) const;

    // SIGKILL and reap: a crash. No-op when not running.
    void stop();
    // Starts again on the same port and waits until it answers PING.
    void start();
    void pause();  // SIGSTOP
    void resume(); // SIGCONT
    bool running();
    // What redis-server logged.
    std::string log() const;

private:
    bool launch(); // false: the port was taken
    options options_;
    temp_directory dir_;
    std::string executable_;
    std::uint16_t port_ = 0;
    int pid_ = -1;
    bool paused_ = false;
};

} // namespace parley::test
