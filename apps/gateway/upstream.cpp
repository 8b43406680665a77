#include "gateway/upstream.hpp"

#include "parley/json/json.hpp"
#include "parley/log/log.hpp"

#include <array>
#include <string_view>

namespace parley::gateway_app {

namespace {

constexpr std::array forwarded_request_headers = {
    std::string_view("Authorization"), std::string_view("Content-Type"), std::string_view("Accept"),
    std::string_view("Origin")};

// Hop-by-hop and per-connection fields, and those the gateway sets itself (request id, CORS).
bool is_own_response_header(std::string_view name)
{
    constexpr std::array own = {std::string_view("Connection"),
                                std::string_view("Keep-Alive"),
                                std::string_view("Transfer-Encoding"),
                                std::string_view("Content-Length"),
                                std::string_view("Upgrade"),
                                std::string_view("TE"),
                                std::string_view("Trailer"),
                                std::string_view("X-Request-ID"),
                                std::string_view("Server"),
                                std::string_view("Date"),
                                std::string_view("Vary")};
    for (auto o : own)
        if (http::iequals(name, o))
            return true;
    return name.size() > 12 && http::iequals(name.substr(0, 12), "Access-Contr");
}

} // namespace

upstream::upstream(net::any_io_executor ex, std::string n, std::vector<std::string> a,
                   http::client_options forward_options, http::client_options probe_options)
    : name(std::move(n)), addresses(std::move(a)), client(ex, [&] {
          forward_options.addresses = addresses;
          return forward_options;
      }())
{
    for (auto const& address : addresses) {
        probe_options.addresses = {address};
        probes.push_back(std::make_unique<http::client>(ex, probe_options));
    }
}

http::request upstream_request(upstream const& to, http::request_context const& ctx,
                               std::string target)
{
    auto const& in = ctx.request();
    http::request out;
    out.method = in.method;
    out.method_name = in.method_name;
    out.target = std::move(target);
    out.body = in.body;
    for (auto name : forwarded_request_headers)
        if (auto value = in.headers.get(name))
            out.headers.set(name, *value);
    for (auto const& [name, value] : ctx.propagation_headers())
        out.headers.set(name, value);
    // The upstream sees who the caller is (auth throttles logins per address): one entry, the
    // address the gateway saw (or its trusted proxy's entry), never the client's own entries.
    out.headers.set("X-Forwarded-For", client_address(in, *to.proxies));
    if (!to.vouch_token.empty())
        out.headers.set("X-Parley-Service-Token", to.vouch_token);
    return out;
}

http::response client_response(boost::system::result<http::response> r)
{
    if (!r) {
        if (r.error() == http::client_error::timeout)
            return http::json(http::status::gateway_timeout,
                              http::error_body("Service timeout", "timeout"));
        if (r.error() == http::client_error::bad_response)
            return http::json(http::status::bad_gateway,
                              http::error_body("Bad response from service", "bad_gateway"));
        return http::json(http::status::service_unavailable,
                          http::error_body("Service unavailable", "unavailable"));
    }
    http::response out;
    out.status = r->status;
    out.body = std::move(r->body);
    for (auto const& [name, value] : r->headers)
        if (!is_own_response_header(name))
            out.headers.add(name, value);
    return out;
}

net::awaitable<http::response> forward(upstream& to, http::request_context& ctx, std::string target)
{
    auto request = upstream_request(to, ctx, std::move(target));
    auto result = co_await to.client.send(std::move(request));
    if (!result)
        log::warn("upstream failed", {{"request_id", ctx.request_id()},
                                      {"service", to.name},
                                      {"error", result.error().message()}});
    co_return client_response(std::move(result));
}

net::awaitable<boost::json::value> probe_json(http::client& c, std::string target,
                                              http::fields headers)
{
    http::request req;
    req.target = std::move(target);
    req.headers = std::move(headers);
    auto result = co_await c.send(std::move(req));
    if (!result || result->status != http::status::ok)
        co_return nullptr;
    auto parsed = json::parse(result->body);
    if (!parsed)
        co_return nullptr;
    co_return std::move(*parsed);
}

} // namespace parley::gateway_app
