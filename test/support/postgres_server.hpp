// A throwaway PostgreSQL cluster for tests: initdb + pg_ctl (Debian's postgresql package,
// /usr/lib/postgresql/<version>/bin, or $PARLEY_PG_BIN) in a fresh temporary directory, owned and
// run by the `postgres` user when we are root (PostgreSQL refuses to run as root). It listens on
// 127.0.0.1 and a free ephemeral port, keeps its unix socket in the temporary directory, runs with
// fsync=off, and is stopped by its PID file (pg_ctl stop -m fast) when the object goes away; a
// watchdog child stops it too if the test process dies without cleaning up.
//
// When PostgreSQL is not installed the constructor throws: the test FAILS (scripts/setup.sh test
// installs it); it never skips.
//
//   auto& pg = test::postgres_server::shared();        // one per test process, started once
//   auto url = pg.create_database();                    // postgres://postgres:...@127.0.0.1:N/t_3
//   pg.restart();                                       // fault tests
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace parley::test {

class postgres_server {
public:
    // Extra server settings (`-c name=value`), e.g. {{"synchronous_commit", "off"}}.
    explicit postgres_server(std::map<std::string, std::string> settings = {});
    ~postgres_server();
    postgres_server(postgres_server const&) = delete;
    postgres_server& operator=(postgres_server const&) = delete;

    // The server of this test process, started on first use with fsync=off.
    static postgres_server& shared();

    std::uint16_t port() const noexcept { return port_; }
    std::string const& password() const noexcept { return password_; }
    // The URL of `database` over TCP with the superuser's password.
    std::string url(std::string const& database) const;
    // A new empty database (a unique name when none is given); returns its URL.
    std::string create_database(std::string name = {});
    // Runs SQL on the `postgres` database as the superuser, outside any transaction.
    void admin_sql(std::string const& sql) const;

    void stop();  // pg_ctl stop -m fast: sessions are terminated, the server exits
    void start(); // again, on the same port
    void restart() { stop(), start(); }
    bool running() const noexcept { return running_; }
    int pid() const; // the postmaster's PID (from postmaster.pid), -1 when stopped

private:
    void run_tool(std::vector<std::string> args) const;

    std::string bin_;
    std::string dir_;
    std::string data_;
    std::string password_;
    std::map<std::string, std::string> settings_;
    std::uint16_t port_ = 0;
    bool running_ = false;
    int watchdog_pid_ = -1;
    int watchdog_fd_ = -1;
    int next_database_ = 0;
};

// The integration suites run on SQLite by default; with PARLEY_TEST_BACKEND=postgres they run on
// PostgreSQL: this gives the service process a fresh database on the shared server
// ({"PARLEY_<SERVICE>_DATABASE_URL": url}), and nothing on SQLite.
std::map<std::string, std::string> database_environment(std::string const& service);

} // namespace parley::test
