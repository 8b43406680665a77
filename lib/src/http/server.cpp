#include "parley/http/server.hpp"

#include "parley/log/log.hpp"
#include "parley/metrics/metrics.hpp"
#include "parley/runtime/runtime.hpp"
#include "parley/text/utf8.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <mutex>
#include <sys/socket.h>
#include <unordered_map>

namespace parley::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

struct server_metrics {
    metrics::gauge_series& open_connections;

    explicit server_metrics(std::string const& service)
        : open_connections(metrics::gauge("parley_http_open_connections", "Open HTTP connections",
                                          {{"service", service}}))
    {}
};

bool origin_allowed(std::vector<std::string> const& allowed, std::string_view origin)
{
    for (auto const& a : allowed)
        if (a == "*" || a == origin)
            return true;
    return false;
}

// One HTTP connection's phase, for the graceful stop: idle ones are closed at once, busy ones
// after their current response.
enum class phase { idle, busy };

} // namespace

struct server::impl : std::enable_shared_from_this<impl> {
    impl(parley::runtime& r, server_options o) : rt(r), options(std::move(o)), stats(options.name)
    {}

    parley::runtime& rt;
    server_options options;
    http::router routes;
    std::vector<middleware> middlewares;
    std::optional<tcp::acceptor> acceptor;
    std::uint16_t bound_port = 0;
    server_metrics stats;
    // Upgraded connections (WebSockets, served or relayed): told when a graceful stop begins.
    std::mutex upgrades_mutex;
    std::unordered_map<std::uint64_t, std::shared_ptr<upgraded_connection::stop_hook>> upgrades;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> connection_count{0};

    // Admission: open connections in all and per client address (max_connections...).
    std::mutex admission_mutex;
    std::size_t admitted = 0;
    std::unordered_map<std::string, std::size_t> per_address;
    bool admit(std::string const& address);
    void release(std::string const& address);

    // Live connections: how to close each if idle (posted to its own strand).
    struct connection_entry {
        net::any_io_executor executor;
        beast::tcp_stream* stream;
        phase* state;
    };
    std::mutex connections_mutex;
    std::unordered_map<std::uint64_t, connection_entry> connections;
    std::uint64_t next_connection_id = 0;

    struct admission;
    struct connection;
    struct incoming;
    struct outcome;

    net::awaitable<void> accept_loop();
    net::awaitable<void> serve_connection(tcp::socket socket, std::string address);
    net::awaitable<bool> read_request(connection& c, incoming& in);
    net::awaitable<void> refuse(boost::beast::tcp_stream& stream, boost::system::error_code ec);
    net::awaitable<outcome> respond(incoming& in);
    net::awaitable<bool> write_response(connection& c, incoming const& in, outcome& out,
                                        bool close_after);
    net::awaitable<outcome> run_upgrade(request_context& ctx, upgrade_handler const& h);
    using upgraded_run = std::function<net::awaitable<void>(upgraded_connection)>;
    struct upgraded_ticket;
    void hand_over(connection& c, outcome& out);
    void observe(incoming const& in, unsigned status_code, std::size_t bytes_written,
                 std::string_view request_id, std::string_view remote);
    net::awaitable<response> dispatch(request_context& ctx, router::match const& m);
    net::awaitable<response> run_chain(request_context& ctx, handler const& h, std::size_t index);
    response preflight(request const& req) const;
    void add_cors_headers(request const& req, response& res) const;
    net::awaitable<void> stop();
};

namespace {

// keep_alive: nothing leaves the Connection header to the response (the 101 upgrade).
bhttp::response<bhttp::string_body> to_beast(response&& res, unsigned version,
                                             std::optional<bool> keep_alive, bool head)
{
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status_code()), version};
    for (auto const& [name, value] : res.headers)
        out.insert(name, value);
    auto size = res.body.size();
    out.body() = std::move(res.body);
    if (keep_alive)
        out.keep_alive(*keep_alive);
    if (res.status_code() >= 200 && res.status_code() != 204 && res.status_code() != 304)
        out.content_length(size);
    if (head)
        out.body().clear(); // Content-Length still tells the GET body's size
    return out;
}

// An error answer that ends the connection (the rest of the request was not read).
net::awaitable<void> reply_and_close(beast::tcp_stream& stream, std::chrono::milliseconds timeout,
                                     response res)
{
    stream.expires_after(timeout);
    auto out = to_beast(std::move(res), 11, false, false);
    co_await bhttp::async_write(stream, out, use_tuple);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

request from_beast(bhttp::request<bhttp::string_body>&& in, std::string remote)
{
    request req;
    req.method_name = std::string(in.method_string());
    req.method = method_from_string(req.method_name);
    req.target = std::string(in.target());
    for (auto const& field : in)
        req.headers.add(field.name_string(), field.value());
    req.body = std::move(in.body());
    req.remote_address = std::move(remote);
    return req;
}

// Past the connection limits: one non-blocking write of a 503 (it fits any fresh socket's send
// buffer), then close.
template <class Socket> void refuse_connection(Socket& socket)
{
    static constexpr std::string_view answer =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: 32\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        "{\"error\":\"Too many connections\"}";
    ::send(socket.native_handle(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

std::string endpoint_string(tcp::socket const& socket)
{
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (ec)
        return {};
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

} // namespace

server::server(parley::runtime& rt, server_options options)
    : impl_(std::make_shared<impl>(rt, std::move(options)))
{}

server::~server()
{
    if (impl_->acceptor) {
        boost::system::error_code ignored;
        impl_->acceptor->close(ignored);
    }
}

http::router& server::routes() noexcept
{
    return impl_->routes;
}
void server::use(middleware m)
{
    impl_->middlewares.push_back(std::move(m));
}
void server::set_authenticator(authenticator a, unauthorized_texts texts)
{
    impl_->options.authenticate = std::move(a);
    impl_->options.unauthorized = std::move(texts);
}
std::uint16_t server::port() const noexcept
{
    return impl_->bound_port;
}
std::size_t server::open_connections() const noexcept
{
    return impl_->connection_count.load();
}
std::size_t server::open_websockets() const noexcept
{
    std::lock_guard lock(impl_->upgrades_mutex);
    return impl_->upgrades.size();
}

std::uint16_t server::listen()
{
    auto& self = *impl_;
    if (self.options.expose_metrics) {
        auto metrics_handler = [](request_context&) -> net::awaitable<response> {
            co_return text(status::ok, metrics::render(),
                           "text/plain; version=0.0.4; charset=utf-8");
        };
        self.routes.get("/metrics", metrics_handler);
    }
    tcp::endpoint endpoint(net::ip::make_address(self.options.address), self.options.port);
    self.acceptor.emplace(self.rt.io());
    self.acceptor->open(endpoint.protocol());
    self.acceptor->set_option(tcp::acceptor::reuse_address(true));
    self.acceptor->bind(endpoint);
    self.acceptor->listen(net::socket_base::max_listen_connections);
    self.bound_port = self.acceptor->local_endpoint().port();

    auto keep = impl_;
    self.rt.on_stop([keep]() { return keep->stop(); });
    net::co_spawn(self.acceptor->get_executor(), self.accept_loop(),
                  log::on_failure{"accept loop failed"});
    log::info("listening", {{"address", self.options.address}, {"port", self.bound_port}});
    return self.bound_port;
}

net::awaitable<void> server::impl::accept_loop()
{
    auto self = shared_from_this();
    while (!stopping) {
        auto [ec, socket] = co_await acceptor->async_accept(net::make_strand(rt.io()), use_tuple);
        if (ec) {
            if (stopping || ec == net::error::operation_aborted)
                break;
            // Out of file descriptors and the like: back off instead of spinning.
            log::warn("accept failed", {{"error", ec.message()}});
            net::steady_timer pause(co_await net::this_coro::executor,
                                    std::chrono::milliseconds(50));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        boost::system::error_code ep_ec;
        auto const address = socket.remote_endpoint(ep_ec).address().to_string();
        if (!admit(address)) {
            refuse_connection(socket);
            continue;
        }
        auto executor = socket.get_executor();
        net::co_spawn(executor, serve_connection(std::move(socket), address),
                      log::on_failure{"connection failed"});
    }
}

bool server::impl::admit(std::string const& address)
{
    std::lock_guard lock(admission_mutex);
    if (admitted >= options.max_connections)
        return false;
    if (options.max_connections_per_address > 0) {
        auto& n = per_address[address];
        if (n >= options.max_connections_per_address)
            return false;
        ++n;
    }
    ++admitted;
    return true;
}

void server::impl::release(std::string const& address)
{
    std::lock_guard lock(admission_mutex);
    --admitted;
    if (options.max_connections_per_address > 0)
        if (auto it = per_address.find(address); it != per_address.end() && --it->second == 0)
            per_address.erase(it);
}

// A connection as the server counts it (its limits, the open-connections gauge, the graceful
// stop's wait): from the accept until its HTTP exchange ends, or the upgraded session after it.
struct server::impl::admission {
    admission(impl& s, std::string client_address)
        : server(s.shared_from_this()), address(std::move(client_address))
    {
        ++server->connection_count;
        server->stats.open_connections.inc();
    }
    ~admission()
    {
        --server->connection_count;
        server->stats.open_connections.dec();
        server->release(address);
    }
    admission(admission const&) = delete;
    admission& operator=(admission const&) = delete;

    std::shared_ptr<impl> server;
    std::string address; // the client's IP address
};

// One HTTP connection's state: its stream, the bytes read ahead, and its registration for the
// graceful stop (removed when the connection ends or is upgraded).
struct server::impl::connection {
    connection(impl& server, tcp::socket socket, std::string address)
        : server(server), counted(std::make_unique<admission>(server, std::move(address))),
          remote(endpoint_string(socket)), stream(std::move(socket)),
          buffer(read_ahead_limit(server.options))
    {
        std::lock_guard lock(server.connections_mutex);
        id = server.next_connection_id++;
        server.connections.emplace(id, connection_entry{stream.get_executor(), &stream, &state});
    }
    ~connection()
    {
        std::lock_guard lock(server.connections_mutex);
        server.connections.erase(id);
    }
    connection(connection const&) = delete;
    connection& operator=(connection const&) = delete;

    // The read-ahead buffer never holds more than a header and some: a header that does not
    // fit is refused (431) instead of growing it.
    static std::size_t read_ahead_limit(server_options const& o)
    {
        return std::max<std::size_t>(2 * o.max_header_bytes, 16 * 1024);
    }

    impl& server;
    std::unique_ptr<admission> counted; // goes to the upgraded session, if any
    std::string remote;                 // address:port (logs)
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    phase state = phase::idle;
    bool first_request = true; // a silent new connection gets request_timeout, not idle_timeout
    std::uint64_t id = 0;
};

// A request read whole, with what the loop needs to answer it. Not moved once read: the
// route's parameters are views into `path`.
struct server::impl::incoming {
    request req;
    std::string path;
    router::match route;
    unsigned version = 11;
    bool keep_alive = true;
    bool head = false;
    clock::time_point started;
};

// What answering a request produced: the response, and for an accepted upgrade what runs on
// the connection afterwards.
struct server::impl::outcome {
    response res;
    upgraded_run upgraded;
};

namespace {

// The peer went away or was too slow: nothing to answer, the connection just ends.
bool is_quiet_disconnect(boost::system::error_code const& ec)
{
    return ec == beast::error::timeout || ec == net::error::eof ||
           ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe;
}

} // namespace

// Answers a request that cannot be served (431, 413, 400) and ends the connection; a peer that
// went away or was too slow just loses it.
net::awaitable<void> server::impl::refuse(beast::tcp_stream& stream, boost::system::error_code ec)
{
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
        co_await reply_and_close(
            stream, options.write_timeout,
            error(status::request_header_fields_too_large, "Request headers too large")
                .to_response());
    else if (ec == bhttp::error::body_limit)
        co_await reply_and_close(stream, options.write_timeout,
                                 payload_too_large("Request body too large").to_response());
    else if (!is_quiet_disconnect(ec))
        co_await reply_and_close(stream, options.write_timeout,
                                 bad_request("Malformed HTTP request").to_response());
}

// Reads one request into `in`: the first byte under the keep-alive idle timeout, then the whole
// request under request_timeout (a client trickling bytes is cut off). False when the connection
// ends instead (a request that cannot be served was answered first).
net::awaitable<bool> server::impl::read_request(connection& c, incoming& in)
{
    auto& stream = c.stream;
    auto& buffer = c.buffer;
    if (buffer.size() == 0) {
        stream.expires_after(c.first_request ? options.request_timeout : options.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
        if (ec)
            co_return false; // closed, idle timeout, or stopped while idle
        buffer.commit(n);
    }
    c.state = phase::busy;
    stream.expires_after(options.request_timeout);

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(boost::none); // the route's limit is known once the header is read

    auto [header_ec, header_bytes] =
        co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (!header_ec && header_bytes > options.max_header_bytes)
        header_ec = bhttp::error::header_limit; // Beast counts only the part it parsed last
    if (header_ec) {
        co_await refuse(stream, header_ec);
        co_return false;
    }
    c.first_request = false;
    in.started = clock::now();
    auto& header = parser.get();
    auto const verb = method_from_string(header.method_string());
    std::string_view const target = header.target();
    in.path = std::string(target.substr(0, target.find('?')));
    in.route = routes.find(verb, in.path); // its parameters are views into in.path

    // Refuse an oversized body before reading it; a chunked one is cut off at the limit.
    std::size_t body_limit = options.max_body_bytes;
    if (in.route.result == router::match::found &&
        router::options_of(*in.route.target).max_body_bytes)
        body_limit = router::options_of(*in.route.target).max_body_bytes;
    if (auto length = parser.content_length(); length && *length > body_limit) {
        co_await refuse(stream, bhttp::error::body_limit);
        co_return false;
    }
    parser.body_limit(body_limit);
    if (iequals(header[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
        co_await bhttp::async_write(stream, go_on, use_tuple);
    }
    auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    if (body_ec) {
        co_await refuse(stream, body_ec);
        co_return false;
    }
    in.version = parser.get().version();
    in.keep_alive = parser.get().keep_alive();
    in.head = verb == method::head;
    in.req = from_beast(parser.release(), c.remote);
    co_return true;
}

// The response to one request: the routed handler's answer, or an upgrade route's (a 101 with
// what runs next, or a refusal); then the headers every response carries.
net::awaitable<server::impl::outcome> server::impl::respond(incoming& in)
{
    request_context ctx(in.req, net::any_io_executor(co_await net::this_coro::executor),
                        &options.authenticate, &options.unauthorized);
    outcome out;
    auto const* upgrade =
        in.route.result == router::match::found ? router::upgrade_of(*in.route.target) : nullptr;
    if (upgrade) {
        ctx.set_route(router::pattern(*in.route.target), in.route.params);
        out = co_await run_upgrade(ctx, *upgrade);
    } else {
        out.res = co_await dispatch(ctx, in.route);
    }
    for (auto const& [name, value] : ctx.response_headers())
        out.res.headers.add(name, value);
    out.res.headers.set("X-Request-ID", ctx.request_id());
    add_cors_headers(in.req, out.res);
    co_return out;
}

net::awaitable<server::impl::outcome> server::impl::run_upgrade(request_context& ctx,
                                                                upgrade_handler const& h)
{
    outcome out;
    try {
        auto answer = co_await h(ctx);
        out.res = std::move(answer.res);
        if (out.res.status == status::switching_protocols)
            out.upgraded = std::move(answer.run);
    } catch (error const& e) {
        out.res = e.to_response();
    } catch (std::exception const& e) {
        log::error("upgrade handler failed",
                   {{"request_id", ctx.request_id()}, {"error", e.what()}});
        out.res = error(status::internal_server_error, "Internal server error").to_response();
    }
    if (out.res.status == status::switching_protocols && !out.upgraded)
        out.res = error(status::internal_server_error, "Internal server error").to_response();
    co_return out;
}

// Metrics and the access log line of one answered request.
void server::impl::observe(incoming const& in, unsigned status_code, std::size_t bytes_written,
                           std::string_view request_id, std::string_view remote)
{
    auto const elapsed = std::chrono::duration<double>(clock::now() - in.started).count();
    auto const route_label = in.route.result == router::match::found
                                 ? std::string(router::pattern(*in.route.target))
                                 : std::string("unmatched");
    metrics::counter(
        "parley_http_requests_total", "HTTP requests by route, method and status",
        {{"service", options.name},
         {"route", route_label},
         // Labels from a fixed set only: a client must not mint new series.
         {"method", in.req.method == method::unknown ? std::string("other")
                                                     : std::string(to_string(in.req.method))},
         {"status", std::to_string(status_code)}})
        .inc();
    metrics::histogram("parley_http_request_seconds", "HTTP request latency by route",
                       {{"service", options.name}, {"route", route_label}})
        .observe(elapsed);
    log::info("request", {{"request_id", request_id},
                          {"method", text::truncate_utf8(in.req.method_name, 32)},
                          {"path", std::string(in.req.path())},
                          {"status", status_code},
                          {"ms", elapsed * 1000.0},
                          {"bytes", bytes_written},
                          {"remote", remote}});
}

// Writes the response (no Connection header for an upgrade: the 101 carries its own) and
// observes the request; false when the connection broke.
net::awaitable<bool> server::impl::write_response(connection& c, incoming const& in, outcome& out,
                                                  bool close_after)
{
    auto const status_code = out.res.status_code();
    auto const request_id = std::string(out.res.headers.get("X-Request-ID").value_or(""));
    auto const keep_alive = out.upgraded ? std::nullopt : std::optional<bool>(!close_after);
    auto wire = to_beast(std::move(out.res), in.version, keep_alive, in.head);
    c.stream.expires_after(options.write_timeout);
    auto [ec, written] = co_await bhttp::async_write(c.stream, wire, use_tuple);
    observe(in, status_code, written, request_id, c.remote);
    co_return !ec;
}

// An upgraded connection's place in the server's counts, released when whoever serves the
// connection lets go of it (upgraded_connection::ticket).
struct server::impl::upgraded_ticket {
    upgraded_ticket(std::unique_ptr<admission> a, std::uint64_t connection_id)
        : counted(std::move(a)), id(connection_id)
    {}
    ~upgraded_ticket()
    {
        std::lock_guard lock(counted->server->upgrades_mutex);
        counted->server->upgrades.erase(id);
    }
    upgraded_ticket(upgraded_ticket const&) = delete;
    upgraded_ticket& operator=(upgraded_ticket const&) = delete;

    std::unique_ptr<admission> counted;
    std::uint64_t id;
};

// Hands the connection over, with the bytes the client sent after its request, and tells it
// when a graceful stop begins. The upgraded connection runs in a coroutine of its own, so the
// HTTP connection's state (stream, buffers, request, response) is freed now, not kept for the
// life of a WebSocket.
void server::impl::hand_over(connection& c, outcome& out)
{
    c.stream.expires_never();
    auto ticket = std::make_shared<upgraded_ticket>(std::move(c.counted), c.id);
    upgraded_connection conn(c.stream.release_socket(), beast::buffers_to_string(c.buffer.data()),
                             c.remote, std::move(ticket));
    {
        std::lock_guard lock(upgrades_mutex);
        upgrades.emplace(c.id, conn.stop());
    }
    if (stopping)
        conn.stop()->fire();
    auto executor = conn.socket().get_executor();
    log::on_failure const failed{"upgraded connection failed"};
    try {
        auto session = out.upgraded(std::move(conn));
        net::co_spawn(executor, std::move(session), failed);
    } catch (...) {
        failed(std::current_exception());
    }
}

// Beast's session loop: read a request, answer it; then the next one, the upgraded WebSocket,
// or the end of the connection.
net::awaitable<void> server::impl::serve_connection(tcp::socket socket, std::string address)
{
    auto self = shared_from_this();
    connection c(*this, std::move(socket), std::move(address));
    while (!stopping) {
        c.state = phase::idle;
        incoming in;
        if (!co_await read_request(c, in))
            co_return;
        auto out = co_await respond(in);
        bool const upgrading = static_cast<bool>(out.upgraded);
        bool const close_after = upgrading || !in.keep_alive || stopping.load();
        if (!co_await write_response(c, in, out, close_after))
            co_return;
        if (upgrading) {
            hand_over(c, out);
            co_return;
        }
        if (close_after) {
            boost::system::error_code ignored;
            c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
    }
}

net::awaitable<response> server::impl::dispatch(request_context& ctx, router::match const& m)
{
    auto const& req = ctx.request();
    try {
        if (req.method == method::options && req.headers.contains("Access-Control-Request-Method"))
            co_return preflight(req);
        if (m.result == router::match::not_found)
            throw not_found("Not found");
        if (m.result == router::match::method_not_allowed)
            throw error(status::method_not_allowed, "Method not allowed")
                .with_header("Allow", m.allow);
        ctx.set_route(router::pattern(*m.target), m.params);
        co_return co_await run_chain(ctx, router::handler_of(*m.target), 0);
    } catch (error const& e) {
        co_return e.to_response();
    } catch (std::exception const& e) {
        log::error("handler failed", {{"request_id", ctx.request_id()},
                                      {"error", e.what()},
                                      {"path", std::string(req.path())}});
    }
    co_return error(status::internal_server_error, "Internal server error").to_response();
}

net::awaitable<response> server::impl::run_chain(request_context& ctx, handler const& h,
                                                 std::size_t index)
{
    if (index == middlewares.size())
        co_return co_await h(ctx);
    next_handler next = [this, &h, index](request_context& c) {
        return run_chain(c, h, index + 1);
    };
    co_return co_await middlewares[index](ctx, next);
}

response server::impl::preflight(request const& req) const
{
    auto res = no_content();
    auto origin = req.headers.get("Origin");
    if (origin && origin_allowed(options.cors_origins, *origin)) {
        res.headers.set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
        res.headers.set("Access-Control-Allow-Headers",
                        req.headers.get("Access-Control-Request-Headers")
                            .value_or("Content-Type, Authorization"));
        res.headers.set("Access-Control-Max-Age", "600");
    }
    return res;
}

void server::impl::add_cors_headers(request const& req, response& res) const
{
    auto origin = req.headers.get("Origin");
    if (!origin || !origin_allowed(options.cors_origins, *origin))
        return;
    bool any = std::find(options.cors_origins.begin(), options.cors_origins.end(), "*") !=
               options.cors_origins.end();
    res.headers.set("Access-Control-Allow-Origin", any ? std::string_view("*") : *origin);
    if (!any)
        res.headers.add("Vary", "Origin");
    res.headers.set("Access-Control-Expose-Headers", "X-Request-ID, Retry-After");
}

net::awaitable<void> server::impl::stop()
{
    stopping = true;
    auto self = shared_from_this();
    auto close_acceptor = [self] {
        boost::system::error_code ignored;
        if (self->acceptor)
            self->acceptor->close(ignored);
    };
    net::post(acceptor->get_executor(), close_acceptor);
    {
        // Copied first: a hook may end its connection, which unregisters it.
        std::vector<std::shared_ptr<upgraded_connection::stop_hook>> live;
        {
            std::lock_guard lock(upgrades_mutex);
            for (auto const& [id, hook] : upgrades)
                live.push_back(hook);
        }
        for (auto const& hook : live)
            hook->fire(); // WebSockets close with 1001
    }
    {
        std::lock_guard lock(connections_mutex);
        for (auto& [id, entry] : connections) {
            // Runs on the connection's strand, where the entry is removed: found means alive.
            auto close_if_idle = [self, id = id] {
                std::lock_guard lock(self->connections_mutex);
                auto it = self->connections.find(id);
                if (it != self->connections.end() && *it->second.state == phase::idle)
                    it->second.stream->cancel();
            };
            net::post(entry.executor, close_if_idle);
        }
    }
    // Busy connections finish their current request and close; sessions finish their closing
    // handshake. The runtime's deadline bounds this wait.
    net::steady_timer poll(co_await net::this_coro::executor);
    while (connection_count.load() > 0) {
        poll.expires_after(std::chrono::milliseconds(10));
        co_await poll.async_wait(use_tuple);
    }
    log::info("stopped", {{"service", options.name}});
}

} // namespace parley::http
