// The frontend binary serving a temporary assets directory: content types, ETag and 304, the
// CSP, SPA routes, /config.json, and paths that try to leave the directory.
#include "support/http.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

using namespace parley::test;

namespace {

void write(std::filesystem::path const& p, std::string const& content)
{
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
}

struct fixture {
    // Runs before the frontend starts (members initialise in order).
    static bool prepare(std::filesystem::path const& root)
    {
        write(root / "assets/index.html", "<!doctype html><title>app</title>");
        write(root / "assets/js/app.js", "export const x = 1;");
        write(root / "assets/css/app.css", "body{}");
        write(root / "secret.txt", "TOP SECRET");
        std::filesystem::create_symlink(root / "secret.txt", root / "assets/link.txt");
        return true;
    }
    temp_directory dir;
    std::filesystem::path root{dir.path()};
    bool prepared = prepare(root);
    service_process frontend{
        binary_path("frontend"),
        {{"PARLEY_DATA_DIR", dir.path()},
         {"PARLEY_BIND", "127.0.0.1"},
         {"PARLEY_ASSETS_DIR", (std::filesystem::path(dir.path()) / "assets").string()},
         {"PARLEY_GATEWAY_PUBLIC_URL", "http://gw.example:5000"}}};
};

} // namespace

BOOST_AUTO_TEST_SUITE(frontend_static)

BOOST_FIXTURE_TEST_CASE(files_have_content_types_etags_and_a_strict_csp, fixture)
{
    auto index = http_call(frontend.port(), "GET", "/");
    BOOST_TEST(index.status == 200u);
    BOOST_TEST(index.body == "<!doctype html><title>app</title>");
    BOOST_TEST(index.header("content-type") == "text/html; charset=utf-8");
    BOOST_TEST(index.header("cache-control") == "no-cache");
    auto csp = index.header("content-security-policy");
    BOOST_TEST(csp.find("default-src 'self'") != std::string::npos);
    BOOST_TEST(csp.find("script-src 'self';") != std::string::npos);
    BOOST_TEST(csp.find("unsafe-inline") == std::string::npos);
    BOOST_TEST(csp.find("connect-src 'self' http://gw.example:5000 ws://gw.example:5000") !=
               std::string::npos);
    BOOST_TEST(index.header("x-content-type-options") == "nosniff");

    BOOST_TEST(http_call(frontend.port(), "GET", "/js/app.js").header("content-type") ==
               "text/javascript; charset=utf-8");
    BOOST_TEST(http_call(frontend.port(), "GET", "/css/app.css").header("content-type") ==
               "text/css; charset=utf-8");

    auto etag = index.header("etag");
    BOOST_TEST(etag.size() > 2u);
    auto again = http_call(frontend.port(), "GET", "/index.html", {}, {{"If-None-Match", etag}});
    BOOST_TEST(again.status == 304u);
    BOOST_TEST(again.body.empty());
    BOOST_TEST(
        http_call(frontend.port(), "GET", "/", {}, {{"If-None-Match", "\"other\""}}).status ==
        200u);
}

BOOST_FIXTURE_TEST_CASE(app_routes_get_index_and_missing_files_404, fixture)
{
    auto route = http_call(frontend.port(), "GET", "/rooms/7");
    BOOST_TEST(route.status == 200u);
    BOOST_TEST(route.body == "<!doctype html><title>app</title>");
    auto missing = http_call(frontend.port(), "GET", "/js/missing.js");
    BOOST_TEST(missing.status == 404u);
    BOOST_TEST(missing.json().at("error").as_string() == "Not found");
}

BOOST_FIXTURE_TEST_CASE(paths_outside_the_assets_are_refused, fixture)
{
    for (std::string target :
         {"/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt",
          "/js/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2fetc%2fpasswd",
          "/js/..%5c..%5csecret.txt", "/index.html%00.js", "/link.txt", "/%zz"}) {
        BOOST_TEST_CONTEXT(target)
        {
            auto raw =
                raw_exchange(frontend.port(),
                             "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            BOOST_TEST(raw.find("TOP SECRET") == std::string::npos);
            BOOST_TEST((raw.rfind("HTTP/1.1 400", 0) == 0 || raw.rfind("HTTP/1.1 404", 0) == 0));
        }
    }
}

BOOST_FIXTURE_TEST_CASE(config_and_health, fixture)
{
    auto config = http_call(frontend.port(), "GET", "/config.json");
    BOOST_TEST(config.status == 200u);
    BOOST_TEST(config.json().at("api_base").as_string() == "http://gw.example:5000");
    BOOST_TEST(config.json().at("ws_url").as_string() == "ws://gw.example:5000/ws");
    BOOST_TEST(config.header("cache-control") == "no-store");
    auto health = http_call(frontend.port(), "GET", "/health");
    BOOST_TEST(health.json().at("status").as_string() == "healthy");
}

BOOST_AUTO_TEST_SUITE_END()
