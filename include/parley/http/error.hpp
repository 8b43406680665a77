// Client errors as exceptions that carry their HTTP status: a handler throws, the router
// answers {"error": message} once. Anything else escaping a handler is a 500 and a bug.
#pragma once

#include "parley/http/message.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

namespace parley::http {

class error : public std::runtime_error {
public:
    error(http::status s, std::string message, std::string code = {})
        : std::runtime_error(std::move(message)), status_(s), code_(std::move(code))
    {}

    http::status status() const noexcept { return status_; }
    // A stable machine-readable code for clients ("rate_limited"), or empty.
    std::string const& code() const noexcept { return code_; }
    // Extra response headers, e.g. Retry-After or Allow.
    http::fields const& headers() const noexcept { return headers_; }
    error& with_header(std::string_view name, std::string_view value) &
    {
        headers_.add(name, value);
        return *this;
    }
    error&& with_header(std::string_view name, std::string_view value) &&
    {
        headers_.add(name, value);
        return std::move(*this);
    }

    response to_response() const;

private:
    http::status status_;
    std::string code_;
    http::fields headers_;
};

inline error bad_request(std::string m)
{
    return {status::bad_request, std::move(m)};
}
inline error unauthorized(std::string m)
{
    return {status::unauthorized, std::move(m)};
}
inline error forbidden(std::string m)
{
    return {status::forbidden, std::move(m)};
}
inline error not_found(std::string m)
{
    return {status::not_found, std::move(m)};
}
inline error conflict(std::string m)
{
    return {status::conflict, std::move(m)};
}
inline error payload_too_large(std::string m)
{
    return {status::payload_too_large, std::move(m)};
}
inline error service_unavailable(std::string m)
{
    return {status::service_unavailable, std::move(m)};
}
inline error gateway_timeout(std::string m)
{
    return {status::gateway_timeout, std::move(m)};
}
error too_many_requests(std::string m, std::chrono::seconds retry_after);

} // namespace parley::http
