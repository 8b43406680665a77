#include "http/request_parse.hpp"

#include "parley/http/error.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>

namespace parley::http::detail {

namespace bhttp = boost::beast::http;

namespace {

parse_outcome refuse(error const& e)
{
    parse_outcome out;
    out.result = parse_outcome::refused;
    out.error = e.to_response();
    return out;
}

// What the server answers for a parser error (see server.cpp's connection loop).
parse_outcome refuse_for(boost::system::error_code ec)
{
    if (ec == bhttp::error::header_limit)
        return refuse(error(status::request_header_fields_too_large, "Request headers too large"));
    if (ec == bhttp::error::body_limit)
        return refuse(payload_too_large("Request body too large"));
    return refuse(bad_request("Malformed HTTP request"));
}

// Feeds the parser until `done(parser)` or an error; `at` advances over what it used.
template <class Parser, class Done>
boost::system::error_code feed(Parser& parser, std::string_view bytes, std::size_t& at, Done done)
{
    boost::system::error_code ec;
    while (!done(parser) && at < bytes.size()) {
        auto const used = parser.put(boost::asio::buffer(bytes.data() + at, bytes.size() - at), ec);
        at += used;
        if (ec == bhttp::error::need_more) {
            ec = {};
            if (used == 0)
                break; // the rest is an incomplete piece the parser wants whole
            continue;
        }
        if (ec)
            return ec;
    }
    return ec;
}

} // namespace

std::size_t body_limit_for(router const& routes, method m, std::string_view path,
                           std::size_t fallback)
{
    auto const match = routes.find(m, path);
    if (match.result == router::match::found && router::options_of(*match.target).max_body_bytes)
        return router::options_of(*match.target).max_body_bytes;
    return fallback;
}

parse_outcome parse_request(std::string_view bytes, router const& routes,
                            parse_limits const& limits)
{
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(boost::none); // depends on the route: set once the header is read
    parser.eager(false);            // stop after the header

    std::size_t at = 0;
    if (auto ec = feed(parser, bytes, at, [](auto const& p) { return p.is_header_done(); }))
        return refuse_for(ec);
    if (!parser.is_header_done())
        return {};

    auto const& header = parser.get();
    auto const verb = method_from_string(header.method_string());
    std::string_view const target = header.target();
    auto const limit =
        body_limit_for(routes, verb, target.substr(0, target.find('?')), limits.max_body_bytes);
    if (auto length = parser.content_length(); length && *length > limit)
        return refuse(payload_too_large("Request body too large"));
    parser.body_limit(limit);
    parser.eager(true);
    if (auto ec = feed(parser, bytes, at, [](auto const& p) { return p.is_done(); }))
        return refuse_for(ec);
    if (!parser.is_done())
        return {};

    parse_outcome out;
    out.result = parse_outcome::complete;
    out.consumed = at;
    out.version = parser.get().version();
    out.keep_alive = parser.get().keep_alive();
    auto in = parser.release();
    auto& req = out.request;
    req.method_name = std::string(in.method_string());
    req.method = method_from_string(req.method_name);
    req.target = std::string(in.target());
    for (auto const& field : in)
        req.headers.add(field.name_string(), field.value());
    req.body = std::move(in.body());
    return out;
}

} // namespace parley::http::detail
