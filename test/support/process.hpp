// A real service binary started for an integration test: its own process on 127.0.0.1 and an
// ephemeral port (PARLEY_PORT=0; the port is read from its "listening" log line), its stderr
// collected for diagnosis, stopped by PID (SIGTERM, then SIGKILL) when the fixture ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::test {

class service_process {
public:
    // `executable` is a path; `env` adds to (and overrides) the test's own environment.
    service_process(std::string executable, std::map<std::string, std::string> env,
                    std::chrono::milliseconds start_timeout = std::chrono::seconds(20));
    ~service_process();
    service_process(service_process const&) = delete;
    service_process& operator=(service_process const&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    int pid() const noexcept { return pid_; }

    // SIGTERM and wait; returns the exit status (or -signal), or throws on timeout.
    int stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));
    // SIGKILL and reap, for crash tests.
    void kill();
    bool running();

    // Everything the process wrote to stderr so far (its JSON log lines).
    std::string log() const;

private:
    void read_output(int fd);
    std::string executable_;
    int pid_ = -1;
    std::uint16_t port_ = 0;
    int exit_status_ = 0;
    bool reaped_ = false;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::string output_;
};

// The directory of built binaries: $PARLEY_BUILD_DIR or the value baked in at configure time.
std::string binary_path(std::string const& service);

// A fresh, empty temporary directory removed at the end of the test.
class temp_directory {
public:
    temp_directory();
    ~temp_directory();
    std::string const& path() const noexcept { return path_; }

private:
    std::string path_;
};

} // namespace parley::test
