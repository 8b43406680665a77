// http::detail::parse_request: one request from bytes with the server's limits (the entry point
// of test/fuzz/http_request.cpp).
#include "http/request_parse.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley;
using http::detail::parse_outcome;
using http::detail::parse_request;

namespace {

http::router routes()
{
    http::router r;
    auto ok = [](http::request_context&) -> net::awaitable<http::response> {
        co_return http::no_content();
    };
    r.get("/rooms/{id:int}", ok);
    r.post("/rooms", ok, {.max_body_bytes = 16});
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_parse)

BOOST_AUTO_TEST_CASE(pipelined_requests_are_read_one_at_a_time)
{
    auto const r = routes();
    std::string const first = "GET /rooms/7?x=1 HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n";
    std::string const second = "POST /rooms HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}";
    auto out = parse_request(first + second, r, {});
    BOOST_TEST_REQUIRE((out.result == parse_outcome::complete));
    BOOST_TEST(out.consumed == first.size());
    BOOST_TEST((out.request.method == http::method::get));
    BOOST_TEST(out.request.target == "/rooms/7?x=1");
    BOOST_TEST(out.request.headers.get("x-a").value_or("") == "1");
    BOOST_TEST(out.keep_alive);
    out = parse_request(std::string_view(second), r, {});
    BOOST_TEST_REQUIRE((out.result == parse_outcome::complete));
    BOOST_TEST(out.request.body == "{}");
    BOOST_TEST(out.consumed == second.size());
}

BOOST_AUTO_TEST_CASE(a_request_cut_short_is_incomplete)
{
    auto const r = routes();
    BOOST_TEST(
        (parse_request("GET /rooms/7 HTTP/1.1\r\nHo", r, {}).result == parse_outcome::incomplete));
    BOOST_TEST(
        (parse_request("POST /rooms HTTP/1.1\r\nContent-Length: 5\r\n\r\n{}", r, {}).result ==
         parse_outcome::incomplete));
}

BOOST_AUTO_TEST_CASE(refusals_are_what_the_server_answers)
{
    auto const r = routes();
    auto status_of = [&](std::string const& bytes) {
        auto out = parse_request(bytes, r, {.max_header_bytes = 256, .max_body_bytes = 64});
        BOOST_TEST_REQUIRE((out.result == parse_outcome::refused));
        return out.error.status_code();
    };
    BOOST_TEST(status_of("GET /rooms/7 HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n") ==
               431u);
    // The route's limit (16) before the server's (64), before the body is read.
    BOOST_TEST(status_of("POST /rooms HTTP/1.1\r\nContent-Length: 17\r\n\r\n") == 413u);
    BOOST_TEST(status_of("POST /other HTTP/1.1\r\nContent-Length: 65\r\n\r\n") == 413u);
    BOOST_TEST(status_of("POST /rooms HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "11\r\n" +
                         std::string(17, 'x') + "\r\n0\r\n\r\n") == 413u);
    BOOST_TEST(status_of("GET /rooms/7 HTTP/1.1\r\nHost a\r\n\r\n") == 400u);
    BOOST_TEST(status_of("GET /rooms/7 HTTP/1.1\r\nContent-Length: x\r\n\r\n") == 400u);
}

BOOST_AUTO_TEST_SUITE_END()
