#include "parley/http/server.hpp"
#include "support/http.hpp"
#include "support/run.hpp"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/describe/class.hpp>
#include <boost/test/unit_test.hpp>
#include <thread>

using namespace parley;
using namespace parley::http;
using parley::test::error_of;
using parley::test::http_call;
using parley::test::raw_exchange;
using parley::test::running_server;

namespace {

struct greeting_body {
    std::string name;
    std::optional<std::int64_t> times;
};
BOOST_DESCRIBE_STRUCT(greeting_body, (), (name, times))

net::awaitable<response> greet(request_context& ctx)
{
    auto body = ctx.json_body<greeting_body>();
    if (body.name.empty())
        throw bad_request("name must not be empty");
    co_return http::json(status::created,
                         {{"hello", body.name}, {"times", body.times.value_or(1)}});
}

net::awaitable<response> get_room(request_context& ctx)
{
    auto id = ctx.int_param("id");
    if (id == 404)
        throw not_found("Room not found");
    auto limit = ctx.query_int("limit", 50, 1, 100);
    co_return http::json({{"id", id}, {"limit", limit}});
}

net::awaitable<response> explode(request_context&)
{
    throw std::runtime_error("bug");
    co_return response{};
}

net::awaitable<response> whoami(request_context& ctx)
{
    auto const& user = ctx.user();
    co_return http::json({{"user_id", user.user_id}, {"username", user.username}});
}

net::awaitable<response> echo_trace(request_context& ctx)
{
    auto headers = ctx.propagation_headers();
    co_return http::json({{"request_id", ctx.request_id()},
                          {"traceparent", std::string(headers.get("traceparent").value_or(""))}});
}

net::awaitable<response> slow(request_context& ctx)
{
    net::steady_timer timer(ctx.executor(), std::chrono::milliseconds(400));
    co_await timer.async_wait(net::use_awaitable);
    co_return text(status::ok, "finished");
}

void routes(server& s)
{
    s.routes().post("/greet", greet);
    s.routes().post("/small", greet, {.max_body_bytes = 32});
    s.routes().get("/rooms/{id:int}", get_room);
    s.routes().get("/explode", explode);
    s.routes().get("/whoami", whoami);
    s.routes().get("/trace", echo_trace);
    s.routes().get("/slow", slow);
}

server_options options_with_auth()
{
    server_options o;
    o.name = "test-service";
    o.cors_origins = {"http://app.example"};
    o.authenticate = [](std::string_view token) -> std::optional<auth::identity> {
        if (token == "good")
            return auth::identity{7, "ann", false};
        return std::nullopt;
    };
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_server)

BOOST_AUTO_TEST_CASE(unknown_path_returns_404_json)
{
    running_server srv(routes);
    auto r = http_call(srv.port(), "GET", "/nowhere");
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(r.header("content-type") == "application/json");
    BOOST_TEST(error_of(r) == "Not found");
}

BOOST_AUTO_TEST_CASE(wrong_method_returns_405_with_allow)
{
    running_server srv(routes);
    auto r = http_call(srv.port(), "DELETE", "/greet");
    BOOST_TEST(r.status == 405u);
    BOOST_TEST(r.header("allow") == "POST");
    BOOST_TEST(error_of(r) == "Method not allowed");
}

BOOST_AUTO_TEST_CASE(handler_runs_with_typed_parameters)
{
    running_server srv(routes);
    auto r = http_call(srv.port(), "GET", "/rooms/12?limit=7");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("id").as_int64() == 12);
    BOOST_TEST(r.json().at("limit").as_int64() == 7);
    BOOST_TEST(http_call(srv.port(), "GET", "/rooms/abc").status == 404u);
}

BOOST_AUTO_TEST_CASE(bad_query_parameter_returns_400_naming_it)
{
    running_server srv(routes);
    auto r = http_call(srv.port(), "GET", "/rooms/1?limit=1000");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(error_of(r) == "query parameter 'limit' must be an integer from 1 to 100");
    BOOST_TEST(http_call(srv.port(), "GET", "/rooms/1?limit=x").status == 400u);
    BOOST_TEST(http_call(srv.port(), "GET", "/rooms/1?limit=%zz").status == 400u);
}

BOOST_AUTO_TEST_CASE(thrown_http_error_becomes_its_status_and_json)
{
    running_server srv(routes);
    auto r = http_call(srv.port(), "GET", "/rooms/404");
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(error_of(r) == "Room not found");
}

BOOST_AUTO_TEST_CASE(unexpected_exception_is_500_json_and_server_survives)
{
    running_server srv(routes);
    auto r = http_call(srv.port(), "GET", "/explode");
    BOOST_TEST(r.status == 500u);
    BOOST_TEST(error_of(r) == "Internal server error");
    BOOST_TEST(http_call(srv.port(), "GET", "/rooms/1").status == 200u);
}

BOOST_AUTO_TEST_CASE(json_body_errors_are_400_naming_the_field)
{
    running_server srv(routes);
    auto ok = http_call(srv.port(), "POST", "/greet", R"({"name":"ann","times":2})");
    BOOST_TEST(ok.status == 201u);
    BOOST_TEST(ok.json().at("hello").as_string() == "ann");

    auto r = http_call(srv.port(), "POST", "/greet", R"({"name":3})");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(error_of(r) == "field 'name' must be a string");
    BOOST_TEST(error_of(http_call(srv.port(), "POST", "/greet", "{not json")) ==
               "body is not valid JSON");
    BOOST_TEST(error_of(http_call(srv.port(), "POST", "/greet", "{}")) == "missing field 'name'");
    BOOST_TEST(http_call(srv.port(), "POST", "/greet", "\xff\xfe").status == 400u);
}

BOOST_AUTO_TEST_CASE(body_over_the_route_limit_returns_413)
{
    running_server srv(routes);
    auto r =
        http_call(srv.port(), "POST", "/small", R"({"name":")" + std::string(100, 'a') + R"("})");
    BOOST_TEST(r.status == 413u);
    BOOST_TEST(error_of(r) == "Request body too large");
    BOOST_TEST(http_call(srv.port(), "POST", "/small", R"({"name":"a"})").status == 201u);
}

BOOST_AUTO_TEST_CASE(body_over_the_server_limit_returns_413)
{
    server_options o;
    o.max_body_bytes = 1024;
    running_server srv(routes, o);
    auto r = http_call(srv.port(), "POST", "/greet", std::string(4096, ' '));
    BOOST_TEST(r.status == 413u);
}

BOOST_AUTO_TEST_CASE(oversized_headers_return_431)
{
    running_server srv(routes);
    auto r = http_call(srv.port(), "GET", "/rooms/1", {}, {{"X-Big", std::string(10000, 'x')}});
    BOOST_TEST(r.status == 431u);
    BOOST_TEST(error_of(r) == "Request headers too large");
}

BOOST_AUTO_TEST_CASE(headers_past_8_kib_get_431_however_many_lines_they_take)
{
    running_server srv(routes);
    test::header_list many;
    for (int i = 0; i < 100; ++i) // 100 lines of ~100 bytes: 10 KiB, well past the 8 KiB limit
        many.emplace_back("X-Pad-" + std::to_string(i), std::string(90, 'b'));
    auto r = http_call(srv.port(), "GET", "/rooms/1", {}, many);
    BOOST_TEST(r.status == 431u);
    test::header_list fits;
    for (int i = 0; i < 70; ++i) // ~7 KiB
        fits.emplace_back("X-Pad-" + std::to_string(i), std::string(90, 'b'));
    BOOST_TEST(http_call(srv.port(), "GET", "/rooms/1", {}, fits).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_silent_new_connection_is_closed_after_the_request_timeout_not_the_idle_one)
{
    server_options o;
    o.request_timeout = std::chrono::milliseconds(300);
    o.idle_timeout = std::chrono::seconds(30);
    running_server srv(routes, o);
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), srv.port()});
    auto const started = std::chrono::steady_clock::now();
    char byte;
    boost::system::error_code ec;
    socket.read_some(net::buffer(&byte, 1), ec); // blocks until the server closes
    BOOST_TEST((ec == net::error::eof || ec == net::error::connection_reset));
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(5)));
}

BOOST_AUTO_TEST_CASE(connections_past_the_limits_get_503_and_are_closed)
{
    server_options o;
    o.max_connections = 3;
    o.max_connections_per_address = 2;
    running_server srv(routes, o);
    net::io_context io;
    auto open = [&](char const* from) {
        auto s = std::make_unique<net::ip::tcp::socket>(io);
        s->open(net::ip::tcp::v4());
        s->bind({net::ip::make_address(from), 0});
        s->connect({net::ip::make_address("127.0.0.1"), srv.port()});
        return s;
    };
    auto answer_of = [](net::ip::tcp::socket& s) {
        std::string out(512, '\0');
        boost::system::error_code ec;
        auto n = s.read_some(net::buffer(out), ec);
        out.resize(ec ? 0 : n);
        return out;
    };
    auto a1 = open("127.0.0.2");
    auto a2 = open("127.0.0.2");
    auto a3 = open("127.0.0.2"); // a third from one address
    BOOST_TEST(answer_of(*a3).starts_with("HTTP/1.1 503"));
    auto b1 = open("127.0.0.3");
    auto b2 = open("127.0.0.3"); // the fourth in all
    BOOST_TEST(answer_of(*b2).find("Too many connections") != std::string::npos);
    // The admitted ones are served, and a closed one frees its place.
    net::write(*a1, net::buffer(std::string("GET /rooms/1 HTTP/1.1\r\nHost: x\r\n\r\n")));
    BOOST_TEST(answer_of(*a1).starts_with("HTTP/1.1 200"));
    a2.reset();
    for (int i = 0; i < 200 && srv.server().open_connections() > 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto a4 = open("127.0.0.2");
    net::write(*a4, net::buffer(std::string("GET /rooms/2 HTTP/1.1\r\nHost: x\r\n\r\n")));
    BOOST_TEST(answer_of(*a4).starts_with("HTTP/1.1 200"));
}

BOOST_AUTO_TEST_CASE(made_up_methods_do_not_grow_the_metrics)
{
    server_options o;
    o.name = "metrics-methods";
    running_server srv(routes, o);
    for (int i = 0; i < 50; ++i)
        raw_exchange(srv.port(), "BREW" + std::to_string(i) + " /nowhere-" + std::to_string(i) +
                                     " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto m = http_call(srv.port(), "GET", "/metrics").body;
    BOOST_TEST(m.find("BREW") == std::string::npos);
    BOOST_TEST(m.find("nowhere") == std::string::npos);
    BOOST_TEST(
        m.find(
            R"(parley_http_requests_total{method="other",route="unmatched",service="metrics-methods",status="404"} 50)") !=
            std::string::npos,
        m);
}

BOOST_AUTO_TEST_CASE(malformed_request_returns_400_json)
{
    running_server srv(routes);
    auto reply = raw_exchange(srv.port(), "GARBAGE\r\n\r\n");
    BOOST_TEST(reply.starts_with("HTTP/1.1 400"));
    BOOST_TEST(reply.find(R"({"error":"Malformed HTTP request"})") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_pipelined_requests_on_one_connection)
{
    running_server srv(routes);
    auto reply =
        raw_exchange(srv.port(), "GET /rooms/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /rooms/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(reply.find(R"("id":1)") != std::string::npos);
    BOOST_TEST(reply.find(R"("id":2)") != std::string::npos);
    // The server closes its side after the Connection: close request (asynchronously).
    for (int i = 0; i < 200 && srv.server().open_connections() != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BOOST_TEST(srv.server().open_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(head_returns_headers_without_body)
{
    running_server srv(routes);
    auto reply =
        raw_exchange(srv.port(), "HEAD /rooms/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(reply.starts_with("HTTP/1.1 200"));
    BOOST_TEST(reply.find("Content-Length: ") != std::string::npos);
    BOOST_TEST(reply.ends_with("\r\n\r\n"));
}

BOOST_AUTO_TEST_CASE(client_trickling_headers_is_cut_off)
{
    server_options o;
    o.request_timeout = std::chrono::milliseconds(800);
    running_server srv(routes, o);

    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), srv.port()});
    std::string const request = "GET /rooms/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: yes\r\n\r\n";
    std::size_t sent = 0;
    boost::system::error_code ec;
    for (; sent < request.size(); ++sent) {
        net::write(socket, net::buffer(&request[sent], 1), ec);
        if (ec)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        // Nonblocking peek: has the server closed on us?
        char byte;
        socket.non_blocking(true);
        auto n = socket.receive(net::buffer(&byte, 1), net::socket_base::message_peek, ec);
        socket.non_blocking(false);
        if (n == 0 && ec && ec != net::error::would_block)
            break;
        ec.clear();
    }
    BOOST_TEST(sent < request.size(), "the server waited for the whole trickled request");
}

BOOST_AUTO_TEST_CASE(request_id_is_kept_when_sane_and_made_otherwise)
{
    running_server srv(routes);
    auto r = http_call(srv.port(), "GET", "/trace", {}, {{"X-Request-ID", "abc-123"}});
    BOOST_TEST(r.header("x-request-id") == "abc-123");
    BOOST_TEST(r.json().at("request_id").as_string() == "abc-123");

    auto bad = http_call(srv.port(), "GET", "/trace", {}, {{"X-Request-ID", "<script>"}});
    BOOST_TEST(bad.header("x-request-id") != "<script>");
    BOOST_TEST(bad.header("x-request-id").size() == 32u);
}

BOOST_AUTO_TEST_CASE(traceparent_keeps_the_trace_id_with_a_new_span)
{
    running_server srv(routes);
    std::string const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    auto r = http_call(srv.port(), "GET", "/trace", {}, {{"traceparent", incoming}});
    std::string out(r.json().at("traceparent").as_string());
    BOOST_TEST(out.substr(0, 36) == incoming.substr(0, 36));
    BOOST_TEST(out.substr(36, 16) != incoming.substr(36, 16));
    BOOST_TEST(out.size() == incoming.size());
}

BOOST_AUTO_TEST_CASE(cors_headers_only_for_allowed_origins)
{
    running_server srv(routes, options_with_auth());
    auto ok = http_call(srv.port(), "GET", "/rooms/1", {}, {{"Origin", "http://app.example"}});
    BOOST_TEST(ok.header("access-control-allow-origin") == "http://app.example");
    auto other = http_call(srv.port(), "GET", "/rooms/1", {}, {{"Origin", "http://evil.example"}});
    BOOST_TEST(other.header("access-control-allow-origin").empty());

    auto pre =
        http_call(srv.port(), "OPTIONS", "/greet", {},
                  {{"Origin", "http://app.example"}, {"Access-Control-Request-Method", "POST"}});
    BOOST_TEST(pre.status == 204u);
    BOOST_TEST(pre.header("access-control-allow-methods").find("POST") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bearer_identity_or_401)
{
    running_server srv(routes, options_with_auth());
    auto missing = http_call(srv.port(), "GET", "/whoami");
    BOOST_TEST(missing.status == 401u);
    BOOST_TEST(error_of(missing) == "Token is missing");
    auto invalid = http_call(srv.port(), "GET", "/whoami", {}, {{"Authorization", "Bearer nope"}});
    BOOST_TEST(invalid.status == 401u);
    BOOST_TEST(error_of(invalid) == "Invalid token");
    auto good = http_call(srv.port(), "GET", "/whoami", {}, {{"Authorization", "bearer good"}});
    BOOST_TEST(good.status == 200u);
    BOOST_TEST(good.json().at("username").as_string() == "ann");
}

BOOST_AUTO_TEST_CASE(middleware_wraps_handlers_in_order_and_can_answer)
{
    auto setup = [](server& s) {
        routes(s);
        s.use([](request_context& ctx, next_handler const& next) -> net::awaitable<response> {
            ctx.response_headers().add("X-Order", "outer");
            co_return co_await next(ctx);
        });
        s.use([](request_context& ctx, next_handler const& next) -> net::awaitable<response> {
            if (ctx.request().headers.contains("X-Block"))
                throw forbidden("blocked");
            ctx.response_headers().add("X-Order", "inner");
            co_return co_await next(ctx);
        });
    };
    running_server srv(setup);
    auto r = http_call(srv.port(), "GET", "/rooms/1");
    BOOST_TEST(r.status == 200u);
    auto [first, last] = r.headers.equal_range("x-order");
    std::vector<std::string> order;
    for (auto it = first; it != last; ++it)
        order.push_back(it->second);
    BOOST_TEST((order == std::vector<std::string>{"outer", "inner"}));
    auto blocked = http_call(srv.port(), "GET", "/rooms/1", {}, {{"X-Block", "1"}});
    BOOST_TEST(blocked.status == 403u);
}

BOOST_AUTO_TEST_CASE(metrics_count_requests_by_route_and_status)
{
    server_options o;
    o.name = "metrics-test";
    running_server srv(routes, o);
    http_call(srv.port(), "GET", "/rooms/1");
    http_call(srv.port(), "GET", "/rooms/1");
    auto m = http_call(srv.port(), "GET", "/metrics");
    BOOST_TEST(m.status == 200u);
    BOOST_TEST(
        m.body.find(
            R"(parley_http_requests_total{method="GET",route="/rooms/{id:int}",service="metrics-test",status="200"} 2)") !=
            std::string::npos,
        m.body);
}

BOOST_AUTO_TEST_CASE(graceful_stop_finishes_in_flight_requests)
{
    running_server srv(routes);
    std::atomic<unsigned> status{0};
    std::thread caller([&] { status = http_call(srv.port(), "GET", "/slow").status; });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    BOOST_TEST(srv.stop() == 0);
    caller.join();
    BOOST_TEST(status.load() == 200u);
}

BOOST_AUTO_TEST_CASE(graceful_stop_closes_idle_keep_alive_connections)
{
    running_server srv(routes);
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), srv.port()});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto started = std::chrono::steady_clock::now();
    BOOST_TEST(srv.stop() == 0);
    // Well under the 60 s idle timeout and the 10 s deadline: the idle connection was closed.
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(5)));
}

BOOST_AUTO_TEST_SUITE_END()
