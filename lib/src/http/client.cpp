#include "parley/http/client.hpp"

#include "http/resolve.hpp"
#include "parley/http/address.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace parley::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

// ---------------------------------------------------------------------------------------------
// Errors

namespace {

class client_error_category final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "parley.http.client"; }
    std::string message(int ev) const override
    {
        switch (static_cast<client_error>(ev)) {
        case client_error::unavailable:
            return "upstream unavailable: no address accepted a connection, or the connection "
                   "broke";
        case client_error::timeout:
            return "upstream timed out: no complete response in time";
        case client_error::bad_response:
            return "upstream sent a response that is not valid HTTP";
        }
        return "unknown http client error";
    }
};

} // namespace

boost::system::error_code make_error_code(client_error e)
{
    static client_error_category const category;
    return {static_cast<int>(e), category};
}

// ---------------------------------------------------------------------------------------------
// Implementation

namespace {

using beast_request = bhttp::request<bhttp::string_body>;

// One TCP connection to an upstream, with the read buffer that belongs to it.
struct connection {
    explicit connection(net::any_io_executor const& ex) : stream(ex) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
};
using connection_ptr = std::unique_ptr<connection>;

struct upstream {
    service_address address;
    std::optional<tcp::endpoint> literal; // an IP address needs no trip to the resolver thread
    std::vector<connection_ptr> idle;     // guarded by client::impl::mutex_
};

// What one request/response exchange on one connection gave.
struct exchange_outcome {
    error_code ec;
    bool got_response_bytes = false; // a failure after this is never retried
    bool reusable = false;           // the connection may go back to the pool
    response res;
};

// The server closed an idle connection while it sat in our pool: the request never reached a
// handler, so sending it again on a fresh connection is safe even if it is not idempotent.
bool is_stale_connection_error(error_code const& ec)
{
    return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == net::error::connection_aborted || ec == net::error::not_connected;
}

client_error classify(error_code const& ec)
{
    if (ec == beast::error::timeout)
        return client_error::timeout;
    // The stream ended early: the connection broke rather than the peer speaking nonsense.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
        return client_error::unavailable;
    // Any other HTTP parse error, including a response over max_response_bytes.
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
        return client_error::bad_response;
    return client_error::unavailable;
}

// Beast writes fields verbatim: CR or LF from a caller would split the message (header
// injection), so such requests are refused before anything is sent.
bool is_token(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return c > 0x20 && c < 0x7f && !std::strchr("\"(),/:;<=>?@[\\]{}", c);
    });
}

bool is_field_value(std::string_view s)
{
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool is_target(std::string_view s)
{
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c != 0x7f; });
}

[[noreturn]] void refuse(std::string_view what)
{
    throw std::invalid_argument("http::client: cannot send request: " + std::string(what));
}

beast_request to_beast(request const& req, service_address const& address)
{
    beast_request out;
    out.version(11);
    if (req.method != method::unknown) {
        out.method_string(to_string(req.method));
    } else {
        if (!is_token(req.method_name))
            refuse("invalid method name");
        out.method_string(req.method_name);
    }
    if (!is_target(req.target))
        refuse("the target contains spaces or control characters");
    out.target(req.target.empty() ? std::string_view("/") : std::string_view(req.target));
    for (auto const& [name, value] : req.headers) {
        // The framing is ours: the body is a complete string, its length computed below.
        if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding"))
            continue;
        if (!is_token(name) || !is_field_value(value))
            refuse("invalid header field \"" + name + "\"");
        out.insert(name, value);
    }
    if (out.find(bhttp::field::host) == out.end())
        out.set(bhttp::field::host, address.host_header);
    if (out.find(bhttp::field::user_agent) == out.end())
        out.set(bhttp::field::user_agent, "parley");
    out.body() = req.body;
    out.prepare_payload();
    return out;
}

response from_beast(bhttp::response<bhttp::string_body>&& in)
{
    response out;
    out.status = static_cast<status>(in.result_int());
    for (auto const& field : in)
        out.headers.add(field.name_string(), field.value());
    out.body = std::move(in.body());
    return out;
}

} // namespace

struct client::impl {
    impl(net::any_io_executor ex, client_options opts)
        : executor_(std::move(ex)), options_(std::move(opts))
    {
        if (options_.addresses.empty())
            throw std::invalid_argument("http::client: no upstream addresses given");
        upstreams_.reserve(options_.addresses.size());
        for (auto const& text : options_.addresses) {
            upstream u{parse_service_address(text), std::nullopt, {}};
            error_code ec;
            auto const ip = net::ip::make_address(u.address.host, ec);
            if (!ec)
                u.literal.emplace(ip, static_cast<unsigned short>(std::stoul(u.address.port)));
            upstreams_.push_back(std::move(u));
        }
    }

    net::awaitable<boost::system::result<response>> send(request req);

    std::size_t idle_connections() const
    {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (auto const& u : upstreams_)
            n += u.idle.size();
        return n;
    }

private:
    connection_ptr take_idle(upstream& u)
    {
        std::lock_guard lock(mutex_);
        if (u.idle.empty())
            return nullptr;
        // Most recently used first: the least likely to have been closed by the server.
        auto c = std::move(u.idle.back());
        u.idle.pop_back();
        return c;
    }

    void give_back(upstream& u, connection_ptr c)
    {
        std::lock_guard lock(mutex_);
        if (u.idle.size() < options_.max_idle_per_address)
            u.idle.push_back(std::move(c));
        // else: the pool is full and c closes here
    }

    net::awaitable<std::pair<error_code, connection_ptr>> connect(upstream const& u);
    net::awaitable<exchange_outcome> exchange(connection& c, beast_request& req, bool head);

    net::any_io_executor executor_;
    client_options options_;
    std::vector<upstream> upstreams_; // fixed after construction; only `idle` changes
    mutable std::mutex mutex_;
    std::atomic<std::size_t> next_{0};
};

net::awaitable<std::pair<error_code, connection_ptr>> client::impl::connect(upstream const& u)
{
    auto c = std::make_unique<connection>(executor_);
    if (u.literal) {
        c->stream.expires_after(options_.connect_timeout);
        auto [cec] = co_await c->stream.async_connect(*u.literal, use_tuple);
        if (cec)
            co_return std::pair{cec, connection_ptr{}};
    } else {
        // connect_timeout covers the name lookup and the connect together.
        auto const deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
        auto lookup = detail::resolve(u.address.host, u.address.port, options_.connect_timeout);
        auto resolved = co_await std::move(lookup);
        if (resolved.ec)
            co_return std::pair{resolved.ec, connection_ptr{}};
        c->stream.expires_at(deadline);
        auto [cec, endpoint] = co_await c->stream.async_connect(resolved.endpoints, use_tuple);
        if (cec)
            co_return std::pair{cec, connection_ptr{}};
    }
    c->stream.expires_never();
    error_code ignored;
    c->stream.socket().set_option(tcp::no_delay(true), ignored);
    co_return std::pair{error_code{}, std::move(c)};
}

net::awaitable<exchange_outcome> client::impl::exchange(connection& c, beast_request& req,
                                                        bool head)
{
    exchange_outcome out;
    // One deadline for writing the request and reading the whole response.
    c.stream.expires_after(options_.request_timeout);
    auto [wec, written] = co_await bhttp::async_write(c.stream, req, use_tuple);
    if (wec) {
        out.ec = wec;
        co_return out;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    if (head)
        parser.skip(true); // a HEAD response announces a body it does not send
    auto [rec, read] = co_await bhttp::async_read(c.stream, c.buffer, parser, use_tuple);
    out.got_response_bytes = parser.got_some();
    if (rec) {
        out.ec = rec;
        co_return out;
    }
    c.stream.expires_never();
    auto message = parser.release();
    // Bytes beyond the response mean the peer is out of step with us: never reuse that.
    out.reusable = message.keep_alive() && req.keep_alive() && c.buffer.size() == 0;
    out.res = from_beast(std::move(message));
    co_return out;
}

net::awaitable<boost::system::result<response>> client::impl::send(request req)
{
    auto const n = upstreams_.size();
    auto const start = next_.fetch_add(1, std::memory_order_relaxed) % n;
    bool const head =
        req.method == method::head || (req.method == method::unknown && req.method_name == "HEAD");
    for (std::size_t i = 0; i < n; ++i) {
        auto& u = upstreams_[(start + i) % n];
        auto breq = to_beast(req, u.address);
        bool may_reuse = true;
        for (;;) {
            auto conn = may_reuse ? take_idle(u) : nullptr;
            bool const reused = conn != nullptr;
            if (!conn) {
                auto [cec, fresh] = co_await connect(u);
                if (cec)
                    break; // refused, unreachable or connect_timeout: the next address
                conn = std::move(fresh);
            }
            auto outcome = co_await exchange(*conn, breq, head);
            if (!outcome.ec) {
                if (outcome.reusable)
                    give_back(u, std::move(conn));
                co_return std::move(outcome.res);
            }
            if (reused && !outcome.got_response_bytes && is_stale_connection_error(outcome.ec)) {
                may_reuse = false; // once, on a fresh connection
                continue;
            }
            // The request may have reached the upstream: sending it again could repeat it.
            co_return make_error_code(classify(outcome.ec));
        }
    }
    co_return make_error_code(client_error::unavailable);
}

// ---------------------------------------------------------------------------------------------
// Public surface

client::client(net::any_io_executor executor, client_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options)))
{}

client::~client() = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

net::awaitable<boost::system::result<response>> client::send(request req)
{
    if (!impl_)
        throw std::logic_error("http::client: used after being moved from");
    // Our own reference: the client object may be moved or destroyed while this is in flight.
    auto self = impl_;
    co_return co_await self->send(std::move(req));
}

net::awaitable<boost::system::result<response>> client::get(std::string target, fields headers)
{
    request req;
    req.method = method::get;
    req.method_name = "GET";
    req.target = std::move(target);
    req.headers = std::move(headers);
    co_return co_await send(std::move(req));
}

net::awaitable<boost::system::result<response>> client::post_json(std::string target,
                                                                  std::string body, fields headers)
{
    request req;
    req.method = method::post;
    req.method_name = "POST";
    req.target = std::move(target);
    req.headers = std::move(headers);
    req.headers.set("Content-Type", "application/json");
    req.body = std::move(body);
    co_return co_await send(std::move(req));
}

std::size_t client::idle_connections() const
{
    return impl_ ? impl_->idle_connections() : 0;
}

} // namespace parley::http
