// http::client against small Beast servers on 127.0.0.1 that can be told to misbehave.
#include "parley/http/client.hpp"
#include "support/run.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace parley;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

enum class behaviour {
    normal,               // answer, keep the connection open
    close_after_response, // answer with Connection: close, then close
    close_silently,       // answer as keep-alive, then close anyway (the pooled copy goes stale)
    hang,                 // read the request, never answer
    garbage,              // answer bytes that are not HTTP
    partial,              // start a response, then close in the middle of the body
    oversize,             // answer a 64 KiB body
};

struct seen_request {
    std::string method;
    std::string target;
    http::fields headers;
    std::string body;
};

// An HTTP/1.1 server on its own thread and io_context, counting accepted connections.
class test_server {
public:
    explicit test_server(std::string name, behaviour b = behaviour::normal)
        : name_(std::move(name)), behaviour_(b)
    {
        acceptor_.open(tcp::v4());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        net::co_spawn(io_, accept_loop(), net::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~test_server()
    {
        io_.stop();
        thread_.join();
    }

    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    std::uint16_t port() const { return port_; }
    int accepted() const { return accepted_.load(); }
    void set_behaviour(behaviour b) { behaviour_.store(b); }
    std::vector<seen_request> requests() const
    {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    net::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec)
                co_return;
            ++accepted_;
            net::co_spawn(io_, serve(std::move(socket)), net::detached);
        }
    }

    net::awaitable<void> serve(tcp::socket socket)
    {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (;;) {
            bhttp::request<bhttp::string_body> req;
            auto [rec, n] = co_await bhttp::async_read(stream, buffer, req, use_tuple);
            if (rec)
                co_return;
            record(req);
            auto const b = behaviour_.load();
            if (b == behaviour::hang) {
                net::steady_timer forever(io_, std::chrono::hours(1));
                co_await forever.async_wait(use_tuple);
                co_return;
            }
            if (b == behaviour::garbage || b == behaviour::partial) {
                std::string const bytes = b == behaviour::garbage
                                              ? "SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n\r\n"
                                              : "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc";
                co_await net::async_write(stream, net::buffer(bytes), use_tuple);
                co_return;
            }
            if (req.method() == bhttp::verb::head) {
                // Announces the length of the body a GET would get, sends none.
                bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
                res.content_length(name_.size());
                auto [wec, written] = co_await bhttp::async_write(stream, res, use_tuple);
                if (wec)
                    co_return;
                continue;
            }
            bhttp::response<bhttp::string_body> res{
                req.target() == "/missing" ? bhttp::status::not_found : bhttp::status::ok, 11};
            res.set("X-Served-By", name_);
            res.body() = b == behaviour::oversize ? std::string(64 * 1024, 'x') : name_;
            res.keep_alive(b != behaviour::close_after_response);
            res.prepare_payload();
            auto [wec, written] = co_await bhttp::async_write(stream, res, use_tuple);
            if (wec || b == behaviour::close_after_response || b == behaviour::close_silently) {
                beast::error_code ignored;
                stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                co_return;
            }
        }
    }

    void record(bhttp::request<bhttp::string_body> const& req)
    {
        seen_request seen{
            std::string(req.method_string()), std::string(req.target()), {}, req.body()};
        for (auto const& field : req)
            seen.headers.add(field.name_string(), field.value());
        std::lock_guard lock(mutex_);
        requests_.push_back(std::move(seen));
    }

    net::io_context io_; // first: destroyed last, after everything bound to it
    tcp::acceptor acceptor_{io_};
    std::thread thread_;
    std::string name_;
    std::atomic<behaviour> behaviour_;
    std::atomic<int> accepted_{0};
    std::uint16_t port_ = 0;
    mutable std::mutex mutex_;
    std::vector<seen_request> requests_;
};

// An address where nothing listens: bind an ephemeral port, then let it go.
std::string closed_address()
{
    net::io_context io;
    tcp::acceptor a(io, {net::ip::make_address("127.0.0.1"), 0});
    auto const port = a.local_endpoint().port();
    a.close();
    return "127.0.0.1:" + std::to_string(port);
}

http::client_options options_for(std::vector<std::string> addresses)
{
    http::client_options o;
    o.addresses = std::move(addresses);
    o.connect_timeout = std::chrono::seconds(2);
    o.request_timeout = std::chrono::seconds(5);
    return o;
}

using send_result = boost::system::result<http::response>;

// Sends `count` GETs one after the other and returns the bodies (or the first error).
net::awaitable<std::vector<send_result>> get_sequentially(http::client& c, int count,
                                                          std::chrono::milliseconds pause = {})
{
    std::vector<send_result> results;
    for (int i = 0; i < count; ++i) {
        if (pause.count() > 0 && i > 0) {
            net::steady_timer t(co_await net::this_coro::executor, pause);
            co_await t.async_wait(use_tuple);
        }
        results.push_back(co_await c.get("/item/" + std::to_string(i)));
    }
    co_return results;
}

net::awaitable<send_result> get_once(http::client& c, std::string target)
{
    co_return co_await c.get(std::move(target));
}

net::awaitable<std::vector<send_result>> head_then_custom_method(http::client& c)
{
    std::vector<send_result> out;
    http::request head;
    head.method = http::method::head;
    head.target = "/h";
    out.push_back(co_await c.send(head));
    http::request custom;
    custom.method = http::method::unknown;
    custom.method_name = "PURGE";
    custom.target = "/cache";
    out.push_back(co_await c.send(custom));
    co_return out;
}

net::awaitable<send_result> send_request(http::client& c, http::request req)
{
    co_return co_await c.send(std::move(req));
}

net::awaitable<bool> fetch_ok(http::client& c, int i)
{
    auto r = co_await c.get("/concurrent/" + std::to_string(i));
    co_return r.has_value() && r->status == http::status::ok;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_client)

BOOST_AUTO_TEST_CASE(sequential_requests_reuse_one_pooled_connection)
{
    test_server server("a");
    net::io_context io;
    http::client c(io.get_executor(), options_for({server.address()}));
    auto results = parley::test::run_coro(io, [&] { return get_sequentially(c, 3); });
    BOOST_REQUIRE_EQUAL(results.size(), 3u);
    for (auto const& r : results) {
        BOOST_REQUIRE(r.has_value());
        BOOST_TEST(r->body == "a");
    }
    BOOST_TEST(server.accepted() == 1);
    BOOST_TEST(c.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(connection_close_from_server_is_not_reused)
{
    test_server server("a", behaviour::close_after_response);
    net::io_context io;
    http::client c(io.get_executor(), options_for({server.address()}));
    auto results = parley::test::run_coro(io, [&] { return get_sequentially(c, 2); });
    for (auto const& r : results)
        BOOST_REQUIRE(r.has_value());
    BOOST_TEST(server.accepted() == 2);
    BOOST_TEST(c.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(refused_address_fails_over_to_the_next)
{
    test_server server("b");
    net::io_context io;
    http::client c(io.get_executor(), options_for({closed_address(), server.address()}));
    auto r = parley::test::run_coro(io, [&] { return get_once(c, "/"); });
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->body == "b");
    BOOST_TEST(server.accepted() == 1);
}

BOOST_AUTO_TEST_CASE(requests_alternate_round_robin_over_live_addresses)
{
    test_server a("a");
    test_server b("b");
    net::io_context io;
    http::client c(io.get_executor(), options_for({a.address(), b.address()}));
    auto results = parley::test::run_coro(io, [&] { return get_sequentially(c, 4); });
    std::vector<std::string> bodies;
    for (auto const& r : results) {
        BOOST_REQUIRE(r.has_value());
        bodies.push_back(r->body);
    }
    BOOST_TEST(bodies == (std::vector<std::string>{"a", "b", "a", "b"}),
               boost::test_tools::per_element());
    // One pool per address: each server saw one connection, reused.
    BOOST_TEST(a.accepted() == 1);
    BOOST_TEST(b.accepted() == 1);
    BOOST_TEST(c.idle_connections() == 2u);
}

BOOST_AUTO_TEST_CASE(all_addresses_down_is_unavailable)
{
    net::io_context io;
    http::client c(io.get_executor(), options_for({closed_address(), closed_address()}));
    auto r = parley::test::run_coro(io, [&] { return get_once(c, "/"); });
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error() == make_error_code(http::client_error::unavailable));
}

BOOST_AUTO_TEST_CASE(server_that_never_answers_times_out)
{
    test_server server("a", behaviour::hang);
    net::io_context io;
    auto o = options_for({server.address()});
    o.request_timeout = std::chrono::milliseconds(300);
    http::client c(io.get_executor(), o);
    auto r = parley::test::run_coro(io, [&] { return get_once(c, "/"); });
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error() == make_error_code(http::client_error::timeout));
    BOOST_TEST(server.requests().size() == 1u); // not sent again
    BOOST_TEST(c.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(timeout_on_a_reused_connection_is_not_retried)
{
    test_server server("a");
    net::io_context io;
    auto o = options_for({server.address()});
    o.request_timeout = std::chrono::milliseconds(300);
    http::client c(io.get_executor(), o);
    auto first = parley::test::run_coro(io, [&] { return get_once(c, "/first"); });
    BOOST_REQUIRE(first.has_value());
    server.set_behaviour(behaviour::hang);
    auto second = parley::test::run_coro(io, [&] { return get_once(c, "/second"); });
    BOOST_REQUIRE(second.has_error());
    BOOST_TEST(second.error() == make_error_code(http::client_error::timeout));
    BOOST_TEST(server.requests().size() == 2u);
    BOOST_TEST(server.accepted() == 1);
}

BOOST_AUTO_TEST_CASE(stale_pooled_connection_is_retried_on_a_fresh_one)
{
    test_server server("a", behaviour::close_silently);
    net::io_context io;
    http::client c(io.get_executor(), options_for({server.address()}));
    // The pause lets the server's close reach us while the connection sits in the pool.
    auto results = parley::test::run_coro(
        io, [&] { return get_sequentially(c, 2, std::chrono::milliseconds(50)); });
    for (auto const& r : results) {
        BOOST_REQUIRE(r.has_value());
        BOOST_TEST(r->body == "a");
    }
    BOOST_TEST(server.accepted() == 2);
    // The request sent into the closed connection never reached a handler; the retry did.
    BOOST_TEST(server.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(connection_broken_mid_response_is_unavailable_and_not_retried)
{
    test_server server("a");
    net::io_context io;
    http::client c(io.get_executor(), options_for({server.address()}));
    auto first = parley::test::run_coro(io, [&] { return get_once(c, "/first"); });
    BOOST_REQUIRE(first.has_value());
    server.set_behaviour(behaviour::partial);
    auto second = parley::test::run_coro(io, [&] { return get_once(c, "/second"); });
    BOOST_REQUIRE(second.has_error());
    BOOST_TEST(second.error() == make_error_code(http::client_error::unavailable));
    BOOST_TEST(server.requests().size() == 2u);
    BOOST_TEST(server.accepted() == 1);
}

BOOST_AUTO_TEST_CASE(garbage_response_is_bad_response)
{
    test_server server("a", behaviour::garbage);
    net::io_context io;
    http::client c(io.get_executor(), options_for({server.address()}));
    auto r = parley::test::run_coro(io, [&] { return get_once(c, "/"); });
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error() == make_error_code(http::client_error::bad_response));
    BOOST_TEST(c.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(oversize_response_is_an_error_and_the_client_still_works)
{
    test_server server("a", behaviour::oversize);
    net::io_context io;
    auto o = options_for({server.address()});
    o.max_response_bytes = 1024;
    http::client c(io.get_executor(), o);
    auto big = parley::test::run_coro(io, [&] { return get_once(c, "/big"); });
    BOOST_REQUIRE(big.has_error());
    BOOST_TEST(big.error() == make_error_code(http::client_error::bad_response));
    BOOST_TEST(c.idle_connections() == 0u);
    server.set_behaviour(behaviour::normal);
    auto small = parley::test::run_coro(io, [&] { return get_once(c, "/small"); });
    BOOST_REQUIRE(small.has_value());
    BOOST_TEST(small->body == "a");
}

BOOST_AUTO_TEST_CASE(fifty_concurrent_requests_all_succeed)
{
    test_server server("a");
    net::io_context io;
    auto o = options_for({server.address()});
    o.max_idle_per_address = 8;
    http::client c(io.get_executor(), o);
    int succeeded = 0;
    int finished = 0;
    for (int i = 0; i < 50; ++i) {
        net::co_spawn(io, fetch_ok(c, i), [&](std::exception_ptr e, bool ok) {
            ++finished;
            succeeded += !e && ok;
        });
    }
    io.run_for(std::chrono::seconds(20));
    BOOST_TEST(finished == 50);
    BOOST_TEST(succeeded == 50);
    BOOST_TEST(server.requests().size() == 50u);
    BOOST_TEST(c.idle_connections() >= 1u);
    BOOST_TEST(c.idle_connections() <= 8u); // max_idle_per_address
}

BOOST_AUTO_TEST_CASE(concurrent_requests_from_a_multithreaded_io_context_all_succeed)
{
    test_server a("a");
    test_server b("b");
    net::io_context io;
    auto o = options_for({a.address(), b.address()});
    o.max_idle_per_address = 4;
    http::client c(io.get_executor(), o);
    std::atomic<int> succeeded{0};
    std::atomic<int> finished{0};
    for (int i = 0; i < 100; ++i) {
        net::co_spawn(net::make_strand(io), fetch_ok(c, i), [&](std::exception_ptr e, bool ok) {
            ++finished;
            if (!e && ok)
                ++succeeded;
        });
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&] { io.run_for(std::chrono::seconds(20)); });
    for (auto& t : threads)
        t.join();
    BOOST_TEST(finished.load() == 100);
    BOOST_TEST(succeeded.load() == 100);
    BOOST_TEST(c.idle_connections() <= 8u);
}

BOOST_AUTO_TEST_CASE(request_headers_and_body_arrive_intact)
{
    test_server server("a");
    net::io_context io;
    http::client c(io.get_executor(), options_for({server.address()}));
    auto post = [&]() -> net::awaitable<send_result> {
        http::fields h;
        h.set("X-Request-ID", "req-42");
        h.set("Authorization", "Bearer token.value");
        h.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        h.set("Content-Length", "999"); // wrong on purpose: the client computes its own
        return c.post_json("/api/rooms?limit=5", R"({"name":"général"})", h);
    };
    auto r = parley::test::run_coro(io, post);
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->status_code() == 200u);
    BOOST_TEST(r->headers.get("X-Served-By").value_or("") == "a");

    auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1u);
    auto const& req = seen.front();
    BOOST_TEST(req.method == "POST");
    BOOST_TEST(req.target == "/api/rooms?limit=5");
    BOOST_TEST(req.body == R"({"name":"général"})");
    BOOST_TEST(req.headers.get("Host").value_or("") == server.address());
    BOOST_TEST(req.headers.get("User-Agent").value_or("") == "parley");
    BOOST_TEST(req.headers.get("Content-Type").value_or("") == "application/json");
    BOOST_TEST(req.headers.get("Content-Length").value_or("") == std::to_string(req.body.size()));
    BOOST_TEST(req.headers.get("X-Request-ID").value_or("") == "req-42");
    BOOST_TEST(req.headers.get("Authorization").value_or("") == "Bearer token.value");
    BOOST_TEST(req.headers.get("traceparent").value_or("") ==
               "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

BOOST_AUTO_TEST_CASE(error_status_is_a_response_not_an_error)
{
    test_server server("a");
    net::io_context io;
    http::client c(io.get_executor(), options_for({"http://" + server.address() + "/ignored"}));
    auto r = parley::test::run_coro(io, [&] { return get_once(c, "/missing"); });
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->status_code() == 404u);
    BOOST_TEST(c.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(custom_method_and_head_requests)
{
    test_server server("a");
    net::io_context io;
    http::client c(io.get_executor(), options_for({server.address()}));
    auto results = parley::test::run_coro(io, [&] { return head_then_custom_method(c); });
    for (auto const& r : results)
        BOOST_REQUIRE(r.has_value());
    BOOST_TEST(results[0]->body.empty()); // HEAD: no body even though Content-Length says 1
    BOOST_TEST(results[1]->body == "a");
    auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 2u);
    BOOST_TEST(seen[0].method == "HEAD");
    BOOST_TEST(seen[1].method == "PURGE");
    BOOST_TEST(server.accepted() == 1); // the HEAD response did not desynchronise the pool
}

BOOST_AUTO_TEST_CASE(header_injection_is_refused_before_sending)
{
    test_server server("a");
    net::io_context io;
    http::client c(io.get_executor(), options_for({server.address()}));
    http::request bad_value;
    bad_value.headers.set("X-Request-ID", "abc\r\nX-Injected: 1");
    BOOST_CHECK_THROW(parley::test::run_coro(io, [&] { return send_request(c, bad_value); }),
                      std::invalid_argument);
    http::request bad_name;
    bad_name.headers.set("X-Bad Name", "1");
    BOOST_CHECK_THROW(parley::test::run_coro(io, [&] { return send_request(c, bad_name); }),
                      std::invalid_argument);
    http::request bad_target;
    bad_target.target = "/a HTTP/1.1\r\nHost: evil\r\n\r\nGET /b";
    BOOST_CHECK_THROW(parley::test::run_coro(io, [&] { return send_request(c, bad_target); }),
                      std::invalid_argument);
    http::request bad_method;
    bad_method.method = http::method::unknown;
    bad_method.method_name = "GET /x";
    BOOST_CHECK_THROW(parley::test::run_coro(io, [&] { return send_request(c, bad_method); }),
                      std::invalid_argument);
    BOOST_TEST(server.requests().empty());
    // The client is still usable.
    auto ok = parley::test::run_coro(io, [&] { return get_once(c, "/"); });
    BOOST_REQUIRE(ok.has_value());
    BOOST_TEST(server.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_addresses_throw_invalid_argument)
{
    net::io_context io;
    auto const make = [&](std::string address) {
        http::client c(io.get_executor(), options_for({std::move(address)}));
    };
    for (std::string bad : {"", "localhost", "localhost:", "localhost:0", "localhost:70000",
                            "localhost:http", "https://example.com:443", "ftp://host:21",
                            "user:pw@host:80", "host:80/path", "http://:80"})
        BOOST_CHECK_THROW(make(bad), std::invalid_argument);
    BOOST_CHECK_THROW(http::client(io.get_executor(), options_for({})), std::invalid_argument);
    for (std::string good : {"127.0.0.1:8080", "localhost:5001", "http://auth:5001", "http://auth",
                             "http://127.0.0.1:9/some/path", "[::1]:8080"})
        BOOST_CHECK_NO_THROW(make(good));
}

BOOST_AUTO_TEST_CASE(error_codes_have_a_named_category_and_messages)
{
    boost::system::error_code ec = http::client_error::timeout;
    BOOST_TEST(ec.category().name() == std::string("parley.http.client"));
    BOOST_TEST(ec == make_error_code(http::client_error::timeout));
    BOOST_TEST(ec != make_error_code(http::client_error::unavailable));
    for (auto e : {http::client_error::unavailable, http::client_error::timeout,
                   http::client_error::bad_response}) {
        auto const message = make_error_code(e).message();
        BOOST_TEST(!message.empty());
        BOOST_TEST(message.find("unknown") == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
