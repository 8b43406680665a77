#include "support/postgres_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace parley::test {

namespace {

// The newest /usr/lib/postgresql/<version>/bin holding initdb, or $PARLEY_PG_BIN.
std::string find_bin()
{
    if (char const* e = std::getenv("PARLEY_PG_BIN"); e && *e) {
        if (!fs::exists(fs::path(e) / "initdb"))
            throw std::runtime_error(std::string("PARLEY_PG_BIN=") + e + " holds no initdb");
        return e;
    }
    int best = -1;
    std::error_code ec;
    for (auto const& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        auto const name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit))
            continue;
        if (fs::exists(entry.path() / "bin" / "initdb") && std::stoi(name) > best)
            best = std::stoi(name);
    }
    if (best < 0)
        throw std::runtime_error(
            "PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): the "
            "PostgreSQL tests cannot run. Install it with `scripts/setup.sh test` (Debian package "
            "postgresql)");
    return "/usr/lib/postgresql/" + std::to_string(best) + "/bin";
}

bool running_as_root()
{
    return ::geteuid() == 0;
}

passwd const& postgres_user()
{
    auto const* pw = ::getpwnam("postgres");
    if (!pw)
        throw std::runtime_error("no `postgres` user: PostgreSQL refuses to run as root, and the "
                                 "postgresql package creates that user (scripts/setup.sh test)");
    return *pw;
}

std::uint16_t free_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string tail_of(std::string const& file, std::size_t bytes = 2000)
{
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto s = ss.str();
    return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

std::string random_password()
{
    static char const alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s = "pw-";
    std::srand(static_cast<unsigned>(::getpid() ^ ::time(nullptr)));
    for (int i = 0; i < 20; ++i)
        s.push_back(alphabet[std::rand() % (sizeof alphabet - 1)]);
    return s;
}

} // namespace

postgres_server::postgres_server(std::map<std::string, std::string> settings)
    : bin_(find_bin()), password_(random_password()), settings_(std::move(settings))
{
    auto pattern = (fs::temp_directory_path() / "parley-pg-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    data_ = dir_ + "/data";
    try {
        if (running_as_root()) {
            auto const& pw = postgres_user();
            if (::chown(dir_.c_str(), pw.pw_uid, pw.pw_gid) != 0)
                throw std::runtime_error("cannot give " + dir_ + " to the postgres user");
        }
        auto const pwfile = dir_ + "/pwfile";
        std::ofstream(pwfile) << password_ << "\n";
        if (running_as_root()) {
            auto const& pw = postgres_user();
            if (::chown(pwfile.c_str(), pw.pw_uid, pw.pw_gid) != 0)
                throw std::runtime_error("cannot give the password file to the postgres user");
        }
        run_tool({bin_ + "/initdb", "-D", data_, "-U", "postgres", "--pwfile=" + pwfile,
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
                  "--locale=C", "--no-sync"});
        fs::remove(pwfile);
        port_ = free_port();
        std::ofstream conf(data_ + "/postgresql.conf", std::ios::app);
        conf << "\n# parley test server\n"
             << "port = " << port_ << "\n"
             << "listen_addresses = '127.0.0.1'\n"
             << "unix_socket_directories = '" << dir_ << "'\n"
             << "fsync = off\n"
             << "full_page_writes = off\n"
             << "shared_buffers = 32MB\n"
             << "max_connections = 200\n";
        for (auto const& [name, value] : settings_)
            conf << name << " = '" << value << "'\n";
        conf.close();
        start();

        // Stops the server if this process dies without running the destructor (a crash).
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        std::string script = "cat >/dev/null; ";
        if (running_as_root())
            script += "runuser -u postgres -- ";
        script +=
            bin_ + "/pg_ctl stop -D " + data_ + " -m immediate -w >/dev/null 2>&1; rm -rf " + dir_;
        watchdog_pid_ = ::fork();
        if (watchdog_pid_ == 0) {
            ::dup2(fds[0], STDIN_FILENO);
            ::setsid(); // not in the test's process group: a Ctrl-C still reaches the test
            char const* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
            ::execv("/bin/sh", const_cast<char* const*>(argv));
            std::_Exit(127);
        }
        ::close(fds[0]);
        watchdog_fd_ = fds[1];
    } catch (...) {
        if (running_)
            stop();
        std::error_code ec;
        fs::remove_all(dir_, ec);
        throw;
    }
}

postgres_server::~postgres_server()
{
    try {
        if (running_)
            stop();
    } catch (...) {
        if (int p = pid(); p > 0)
            ::kill(p, SIGQUIT);
    }
    if (watchdog_pid_ > 0) {
        ::kill(watchdog_pid_, SIGKILL);
        ::waitpid(watchdog_pid_, nullptr, 0);
    }
    if (watchdog_fd_ >= 0)
        ::close(watchdog_fd_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

postgres_server& postgres_server::shared()
{
    static postgres_server server;
    return server;
}

std::string postgres_server::url(std::string const& database) const
{
    return "postgres://postgres:" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" +
           database;
}

std::string postgres_server::create_database(std::string name)
{
    if (name.empty())
        name = "t_" + std::to_string(++next_database_);
    admin_sql("CREATE DATABASE " + name);
    return url(name);
}

void postgres_server::admin_sql(std::string const& sql) const
{
    auto const conninfo = "host=" + dir_ + " port=" + std::to_string(port_) +
                          " user=postgres dbname=postgres connect_timeout=10";
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        std::string message = PQerrorMessage(c);
        PQfinish(c);
        throw std::runtime_error("test postgres: cannot connect: " + message);
    }
    PGresult* r = PQexec(c, sql.c_str());
    auto const status = PQresultStatus(r);
    std::string message = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        throw std::runtime_error("test postgres: " + sql + ": " + message);
}

void postgres_server::start()
{
    run_tool(
        {bin_ + "/pg_ctl", "start", "-D", data_, "-l", dir_ + "/server.log", "-w", "-t", "60"});
    running_ = true;
}

void postgres_server::stop()
{
    run_tool({bin_ + "/pg_ctl", "stop", "-D", data_, "-m", "fast", "-w", "-t", "60"});
    running_ = false;
}

int postgres_server::pid() const
{
    std::ifstream in(data_ + "/postmaster.pid");
    int p = -1;
    if (in >> p)
        return p;
    return -1;
}

void postgres_server::run_tool(std::vector<std::string> args) const
{
    if (running_as_root())
        args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
    auto const log = dir_ + "/tools.log";
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    int const out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0)
        throw std::runtime_error("cannot open " + log);
    pid_t child = ::fork();
    if (child == 0) {
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
        int const null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, STDIN_FILENO);
        if (::chdir(dir_.c_str()) != 0)
            std::_Exit(126);
        ::execvp(argv[0], argv.data());
        std::_Exit(127);
    }
    ::close(out);
    if (child < 0)
        throw std::runtime_error("fork failed");
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string command;
        for (auto const& a : args)
            command += a + " ";
        throw std::runtime_error("test postgres: `" + command + "` failed:\n" + tail_of(log) +
                                 "\nserver log:\n" + tail_of(dir_ + "/server.log"));
    }
}

std::map<std::string, std::string> database_environment(std::string const& service)
{
    char const* backend = std::getenv("PARLEY_TEST_BACKEND");
    if (!backend || std::string_view(backend) == "sqlite" || !*backend)
        return {};
    if (std::string_view(backend) != "postgres")
        throw std::runtime_error("PARLEY_TEST_BACKEND must be sqlite or postgres");
    std::string upper = service;
    for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return {{"PARLEY_" + upper + "_DATABASE_URL", postgres_server::shared().create_database()}};
}

} // namespace parley::test
