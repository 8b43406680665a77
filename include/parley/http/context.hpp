// What a handler sees of one request: the request, typed path and query parameters, the JSON
// body as a struct, the request id, and the caller's identity from the bearer token.
#pragma once

#include "parley/auth/identity.hpp"
#include "parley/http/error.hpp"
#include "parley/http/message.hpp"
#include "parley/json/json.hpp"
#include "parley/net.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::http {

// Turns a bearer token into an identity, or nothing when it is invalid or expired.
using authenticator = std::function<std::optional<auth::identity>(std::string_view token)>;

// What a server's 401s say (the original services differ: chat answered "Unauthorized").
struct unauthorized_texts {
    std::string missing_token = "Token is missing";
    std::string invalid_token = "Invalid token";
};

struct path_param {
    std::string_view name;
    std::string_view value;
};

class request_context {
public:
    // Takes the request id and trace context from the request's X-Request-ID and W3C
    // traceparent headers when they are well-formed, and makes fresh ones otherwise.
    request_context(http::request& req, net::any_io_executor executor,
                    authenticator const* authenticate, unauthorized_texts const* texts = nullptr);

    http::request const& request() const noexcept { return request_; }
    http::request& request() noexcept { return request_; }
    net::any_io_executor const& executor() const noexcept { return executor_; }

    // The id of this request: the caller's X-Request-ID when sane, else a fresh one.
    std::string const& request_id() const noexcept { return request_id_; }
    // X-Request-ID and traceparent (this request's span as the parent) for calls to other
    // services, so one request can be followed across them.
    http::fields propagation_headers() const;

    // Path parameters of the matched route. A `{name:int}` segment has already been checked.
    std::string_view param(std::string_view name) const;
    std::int64_t int_param(std::string_view name) const;

    // Query parameters, percent-decoded; the typed form throws 400 naming the parameter.
    std::optional<std::string> query(std::string_view name) const;
    std::int64_t query_int(std::string_view name, std::int64_t fallback, std::int64_t min,
                           std::int64_t max) const;
    std::optional<std::int64_t> query_int(std::string_view name, std::int64_t min,
                                          std::int64_t max) const;

    // The body read into a described struct; 400 {"error": "..."} naming the bad field.
    template <class T> T json_body() const
    {
        try {
            return json::read<T>(request_.body);
        } catch (json::read_error const& e) {
            throw bad_request(e.what());
        }
    }
    // The body as a JSON object (400 if it is not one).
    boost::json::object json_object() const;

    // The bearer token's identity: 401 "Token is missing" / "Invalid token" otherwise (the
    // server's unauthorized_texts).
    auth::identity const& user() const;
    // The identity when a token came, nothing without one; 401 "Invalid token" for a bad one.
    auth::identity const* optional_user() const;
    // The identity when a valid token came, else nothing (no error).
    auth::identity const* maybe_user() const;
    std::optional<std::string_view> bearer_token() const;

    // Headers added to whatever response this request ends with (middleware uses this).
    http::fields& response_headers() noexcept { return response_headers_; }

    // Set by the router.
    void set_route(std::string_view pattern, std::vector<path_param> params);
    std::string_view route() const noexcept { return route_; }

private:
    void authenticate() const;

    http::request& request_;
    net::any_io_executor executor_;
    std::string request_id_;
    std::string trace_id_; // 32 hex digits
    std::string span_id_;  // 16 hex digits: this server's span
    std::string trace_flags_;
    authenticator const* authenticate_;
    unauthorized_texts const* texts_;
    std::string_view route_;
    std::vector<path_param> params_;
    http::fields response_headers_;
    mutable bool authenticated_ = false;
    mutable std::optional<auth::identity> user_;
};

} // namespace parley::http
