// HTTP requests and responses as plain values: what handlers, middleware and the HTTP client
// exchange. Beast's message types stay inside lib/src.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::http {

enum class method { get, head, post, put, patch, delete_, options, unknown };

std::string_view to_string(method m);
method method_from_string(std::string_view name);

enum class status : unsigned {
    switching_protocols = 101,
    ok = 200,
    created = 201,
    accepted = 202,
    no_content = 204,
    not_modified = 304,
    bad_request = 400,
    unauthorized = 401,
    forbidden = 403,
    not_found = 404,
    method_not_allowed = 405,
    request_timeout = 408,
    conflict = 409,
    payload_too_large = 413,
    unsupported_media_type = 415,
    unprocessable_entity = 422,
    upgrade_required = 426,
    too_many_requests = 429,
    request_header_fields_too_large = 431,
    internal_server_error = 500,
    bad_gateway = 502,
    service_unavailable = 503,
    gateway_timeout = 504,
};

std::string_view reason_phrase(status s);

// Header fields in arrival order; names compare case-insensitively.
class fields {
public:
    std::optional<std::string_view> get(std::string_view name) const;
    bool contains(std::string_view name) const { return get(name).has_value(); }
    // Replaces every field of that name.
    void set(std::string_view name, std::string_view value);
    void add(std::string_view name, std::string_view value);
    void erase(std::string_view name);

    auto begin() const { return list_.begin(); }
    auto end() const { return list_.end(); }
    std::size_t size() const { return list_.size(); }

private:
    std::vector<std::pair<std::string, std::string>> list_;
};

struct request {
    http::method method = method::get;
    std::string method_name = "GET"; // as received, for methods outside the enum
    std::string target = "/";        // path and query, as received
    http::fields headers;
    std::string body;
    std::string remote_address; // "ip:port" of the peer, filled in by the server

    std::string_view path() const;  // target up to '?'
    std::string_view query() const; // after '?', or empty
};

struct response {
    http::status status = status::ok;
    http::fields headers;
    std::string body;

    unsigned status_code() const { return static_cast<unsigned>(status); }
};

// The one way to answer with JSON.
response json(status s, boost::json::value const& body);
inline response json(boost::json::value const& body)
{
    return json(status::ok, body);
}
// {"error": message} (plus "code" when given): the shape of every error Parley returns.
boost::json::object error_body(std::string_view message, std::string_view code = {});
response text(status s, std::string body,
              std::string_view content_type = "text/plain; charset=utf-8");
response no_content();

bool iequals(std::string_view a, std::string_view b);

} // namespace parley::http
