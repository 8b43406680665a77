#include "parley/http/address.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <stdexcept>

namespace parley::http {

namespace {

[[noreturn]] void fail(std::string_view text, std::string_view why)
{
    throw std::invalid_argument("http::client: bad upstream address \"" + std::string(text) +
                                "\": " + std::string(why) +
                                " (expected \"host:port\" or \"http://host:port\")");
}

bool is_valid_port(std::string_view port)
{
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
        }))
        return false;
    auto const n = std::stoul(std::string(port));
    return n >= 1 && n <= 65535;
}

} // namespace

service_address parse_service_address(std::string_view text)
{
    if (text.empty())
        fail(text, "empty");
    auto const has_scheme = text.find("://") != std::string_view::npos;
    // A bare "host:port" would parse as scheme "host": give it one so it parses as an authority.
    std::string const uri = has_scheme ? std::string(text) : "http://" + std::string(text);
    auto parsed = boost::urls::parse_uri(uri);
    if (!parsed)
        fail(text, parsed.error().message());
    auto const& url = *parsed;
    if (url.scheme() != "http")
        fail(text, "only the http scheme is supported");
    if (url.has_userinfo())
        fail(text, "credentials in the address are not supported");
    if (!has_scheme && (!url.encoded_path().empty() || url.has_query() || url.has_fragment()))
        fail(text, "a bare address may not have a path");
    service_address a;
    a.host = url.host_address();
    if (a.host.empty())
        fail(text, "no host");
    if (url.has_port()) {
        if (!is_valid_port(url.port()))
            fail(text, "port must be a number from 1 to 65535");
        a.port = url.port();
    } else if (has_scheme) {
        a.port = "80";
    } else {
        fail(text, "no port");
    }
    a.host_header = url.encoded_host_and_port();
    return a;
}

} // namespace parley::http
