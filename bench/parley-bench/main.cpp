// parley-bench: load for the chat fan-out path, on parley's own ws::client, one thread.
//
//   parley-bench --connect 127.0.0.1:5003 --key var/keys/jwt-ed25519.pem --watch chat:PID
//                --clients 1000 --rooms 10 --rate 500 --seconds 10 --json result.json
//   parley-bench summary results/*.json
//
// See bench/README.md: what it measures, how, and the JSON it writes. bench/run starts the servers
// and runs it for each scenario.
#include "load.hpp"
#include "options.hpp"
#include "parley/auth/token.hpp"
#include "parley/net.hpp"
#include "summary.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/resource.h>

using namespace parley;

namespace {

namespace bj = boost::json;

int summary(int argc, char** argv)
{
    std::vector<bj::object> results;
    for (int i = 0; i < argc; ++i) {
        std::ifstream in(argv[i]);
        std::stringstream text;
        text << in.rdbuf();
        boost::system::error_code ec;
        auto v = bj::parse(text.str(), ec);
        if (ec || !v.is_object()) {
            std::cerr << "parley-bench summary: " << argv[i] << " is not a result (" << ec.message()
                      << ")\n";
            continue;
        }
        if (auto const t = v.as_object().find("tool");
            t == v.as_object().end() || t->value() != "parley-bench")
            continue; // machine.json and other files beside the results
        results.push_back(std::move(v.as_object()));
    }
    if (results.empty()) {
        std::cerr << "parley-bench summary: no results\n";
        return 1;
    }
    bench::print_table(std::cout, results);
    return 0;
}

int keygen(char const* dir)
{
    auto const keys = auth::generate_ed25519();
    std::filesystem::create_directories(dir);
    auto const priv = std::filesystem::path(dir) / "jwt-ed25519.pem";
    auto const pub = std::filesystem::path(dir) / "jwt-ed25519.pub.pem";
    std::ofstream(priv) << keys.private_pem;
    std::filesystem::permissions(priv, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write);
    std::ofstream(pub) << keys.public_pem;
    std::cout << priv.string() << "\n" << pub.string() << "\n";
    return 0;
}

int free_port()
{
    net::io_context io;
    net::ip::tcp::acceptor a(io, {net::ip::make_address("127.0.0.1"), 0});
    std::cout << a.local_endpoint().port() << "\n";
    return 0;
}

// As many descriptors as the hard limit allows (10,000 clients need 10,000).
void raise_fd_limit()
{
    rlimit l{};
    if (::getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
        l.rlim_cur = l.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &l);
    }
}

} // namespace

int main(int argc, char** argv)
{
    try {
        if (argc >= 2 && std::strcmp(argv[1], "summary") == 0)
            return summary(argc - 2, argv + 2);
        if (argc == 3 && std::strcmp(argv[1], "keygen") == 0)
            return keygen(argv[2]);
        if (argc == 2 && std::strcmp(argv[1], "free-port") == 0)
            return free_port();
        int skip = argc >= 2 && std::strcmp(argv[1], "run") == 0 ? 2 : 1;
        auto const o = bench::parse_options(argc - skip, argv + skip);
        raise_fd_limit();
        auto result = bench::run_load(o);
        bench::print_run(std::cout, result);
        std::cout.flush();
        if (!o.json_file.empty()) {
            std::ofstream out(o.json_file);
            out << bj::serialize(result) << "\n";
            if (!out)
                throw std::runtime_error("cannot write " + o.json_file);
        }
        return result.at("ok").as_bool() ? 0 : 1;
    } catch (std::exception const& e) {
        std::cerr << "parley-bench: " << e.what() << "\n";
        return 3;
    }
}
