#include "support/http.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <sys/socket.h>

namespace parley::test {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

tcp::socket connect(net::io_context& io, std::uint16_t port, std::chrono::milliseconds timeout,
                    std::string const& source = {})
{
    tcp::socket socket(io);
    if (!source.empty()) {
        socket.open(tcp::v4());
        socket.bind(tcp::endpoint(net::ip::make_address(source), 0));
    }
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return socket;
}

} // namespace

std::string http_reply::header(std::string const& lower_name) const
{
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

boost::json::value http_reply::json() const
{
    return boost::json::parse(body);
}

std::string error_of(http_reply const& r)
{
    return std::string(r.json().at("error").as_string());
}

http_reply http_call(std::uint16_t port, std::string const& method, std::string const& target,
                     std::string const& body, header_list const& headers)
{
    return http_call_from({}, port, method, target, body, headers);
}

http_reply http_call_from(std::string const& source_address, std::uint16_t port,
                          std::string const& method, std::string const& target,
                          std::string const& body, header_list const& headers)
{
    net::io_context io;
    auto socket = connect(io, port, std::chrono::seconds(10), source_address);
    bhttp::request<bhttp::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::connection, "close");
    for (auto const& [name, value] : headers)
        req.set(name, value);
    req.body() = body;
    if (!body.empty() || method == "POST" || method == "PUT")
        req.prepare_payload();
    bhttp::write(socket, req);

    boost::beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (method == "HEAD")
        parser.skip(true);
    bhttp::read(socket, buffer, parser);
    auto res = parser.release();
    http_reply reply;
    reply.status = res.result_int();
    for (auto const& field : res) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        reply.headers.emplace(name, std::string(field.value()));
    }
    reply.body = std::move(res.body());
    return reply;
}

std::string raw_exchange(std::uint16_t port, std::string const& bytes,
                         std::chrono::milliseconds timeout)
{
    net::io_context io;
    auto socket = connect(io, port, timeout);
    net::write(socket, net::buffer(bytes));
    std::string out;
    char chunk[4096];
    for (;;) {
        boost::system::error_code ec;
        auto n = socket.read_some(net::buffer(chunk), ec);
        out.append(chunk, n);
        if (ec)
            break;
    }
    return out;
}

} // namespace parley::test
