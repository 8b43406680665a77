// Without PARLEY_GATEWAY_PUBLIC_URL the frontend derives the gateway's address from the page's
// host, but only from a host it was configured to be opened under (PARLEY_PUBLIC_HOSTS, default
// 127.0.0.1, localhost and [::1]): any other Host header gets the first configured host, never
// itself reflected into the CSP or /config.json (a cache-poisoning vector).
#include "integration/common/run_to_exit.hpp"
#include "support/http.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

using namespace parley::test;

namespace {

struct frontend_with {
    explicit frontend_with(std::map<std::string, std::string> extra)
        : prepared(prepare(dir.path())), frontend(binary_path("frontend"), [&] {
              std::map<std::string, std::string> env{{"PARLEY_DATA_DIR", dir.path()},
                                                     {"PARLEY_BIND", "127.0.0.1"},
                                                     {"PARLEY_ASSETS_DIR", dir.path() + "/assets"}};
              for (auto& [k, v] : extra)
                  env[k] = v;
              return env;
          }())
    {}
    static bool prepare(std::string const& root)
    {
        std::filesystem::create_directories(root + "/assets");
        std::ofstream(root + "/assets/index.html") << "<!doctype html><title>app</title>";
        return true;
    }

    // The gateway address the page gets for this Host: from /config.json, and the CSP's
    // connect-src of the page itself.
    std::pair<std::string, std::string> seen_for(std::string const& host) const
    {
        auto config = http_call(frontend.port(), "GET", "/config.json", {}, {{"Host", host}});
        BOOST_TEST(config.status == 200u);
        auto page = http_call(frontend.port(), "GET", "/", {}, {{"Host", host}});
        BOOST_TEST(page.status == 200u);
        return {std::string(config.json().at("api_base").as_string()),
                page.header("content-security-policy")};
    }

    temp_directory dir;
    bool prepared;
    service_process frontend;
};

bool csp_connects_to(std::string const& csp, std::string const& origin)
{
    auto ws = "ws://" + origin.substr(std::string("http://").size());
    return csp.find("connect-src 'self' " + origin + " " + ws + ";") != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(frontend_public_hosts)

BOOST_AUTO_TEST_CASE(unknown_host_headers_are_never_reflected)
{
    frontend_with f({});
    for (auto const* evil : {"evil.example", "evil.example:8080", "127.0.0.1.evil.example",
                             "localhost@evil.example", "[::1]x", ""}) {
        BOOST_TEST_CONTEXT("Host: " << evil)
        {
            auto [api, csp] = f.seen_for(evil);
            BOOST_TEST(api == "http://127.0.0.1:5000");
            BOOST_TEST(csp_connects_to(csp, "http://127.0.0.1:5000"), csp);
            BOOST_TEST(csp.find("evil") == std::string::npos, csp);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_default_loopback_names_work_as_opened)
{
    frontend_with f({});
    BOOST_TEST(f.seen_for("127.0.0.1:8080").first == "http://127.0.0.1:5000");
    BOOST_TEST(f.seen_for("localhost:8080").first == "http://localhost:5000");
    BOOST_TEST(f.seen_for("LocalHost:8080").first == "http://localhost:5000");
    BOOST_TEST(f.seen_for("localhost").first == "http://localhost:5000");
    BOOST_TEST(f.seen_for("[::1]:8080").first == "http://[::1]:5000");
    auto [api, csp] = f.seen_for("127.0.0.1:8080");
    BOOST_TEST(csp_connects_to(csp, "http://127.0.0.1:5000"), csp);
}

BOOST_AUTO_TEST_CASE(configured_hosts_and_gateway_port)
{
    frontend_with f({{"PARLEY_PUBLIC_HOSTS", "chat.example.org, 10.0.0.5"},
                     {"PARLEY_GATEWAY_PUBLIC_PORT", "30000"}});
    BOOST_TEST(f.seen_for("chat.example.org:8080").first == "http://chat.example.org:30000");
    BOOST_TEST(f.seen_for("10.0.0.5").first == "http://10.0.0.5:30000");
    BOOST_TEST(f.seen_for("evil.example").first == "http://chat.example.org:30000");
    BOOST_TEST(f.seen_for("localhost:8080").first == "http://chat.example.org:30000");
}

BOOST_AUTO_TEST_CASE(a_bad_public_host_is_a_config_error)
{
    temp_directory dir;
    frontend_with::prepare(dir.path());
    for (auto const* bad : {"evil.example/x", "a b", "http://chat.example.org", "host:80", " , "}) {
        auto r =
            run_to_exit(binary_path("frontend"), {{"PARLEY_DATA_DIR", dir.path()},
                                                  {"PARLEY_ASSETS_DIR", dir.path() + "/assets"},
                                                  {"PARLEY_PUBLIC_HOSTS", bad}});
        BOOST_TEST(r.code == 2, bad << ": " << r.output);
        BOOST_TEST(r.output.find("PARLEY_PUBLIC_HOSTS") != std::string::npos, r.output);
    }
}

BOOST_AUTO_TEST_SUITE_END()
