#include "parley/http/message.hpp"

#include "parley/json/json.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace parley::http {

namespace {

struct method_name {
    method m;
    std::string_view name;
};
constexpr std::array<method_name, 7> method_names{{
    {method::get, "GET"},
    {method::head, "HEAD"},
    {method::post, "POST"},
    {method::put, "PUT"},
    {method::patch, "PATCH"},
    {method::delete_, "DELETE"},
    {method::options, "OPTIONS"},
}};

} // namespace

std::string_view to_string(method m)
{
    for (auto const& entry : method_names)
        if (entry.m == m)
            return entry.name;
    return "UNKNOWN";
}

method method_from_string(std::string_view name)
{
    for (auto const& entry : method_names)
        if (entry.name == name)
            return entry.m;
    return method::unknown;
}

std::string_view reason_phrase(status s)
{
    switch (s) {
    case status::switching_protocols:
        return "Switching Protocols";
    case status::ok:
        return "OK";
    case status::created:
        return "Created";
    case status::accepted:
        return "Accepted";
    case status::no_content:
        return "No Content";
    case status::not_modified:
        return "Not Modified";
    case status::bad_request:
        return "Bad Request";
    case status::unauthorized:
        return "Unauthorized";
    case status::forbidden:
        return "Forbidden";
    case status::not_found:
        return "Not Found";
    case status::method_not_allowed:
        return "Method Not Allowed";
    case status::request_timeout:
        return "Request Timeout";
    case status::conflict:
        return "Conflict";
    case status::payload_too_large:
        return "Payload Too Large";
    case status::unsupported_media_type:
        return "Unsupported Media Type";
    case status::unprocessable_entity:
        return "Unprocessable Entity";
    case status::upgrade_required:
        return "Upgrade Required";
    case status::too_many_requests:
        return "Too Many Requests";
    case status::request_header_fields_too_large:
        return "Request Header Fields Too Large";
    case status::internal_server_error:
        return "Internal Server Error";
    case status::bad_gateway:
        return "Bad Gateway";
    case status::service_unavailable:
        return "Service Unavailable";
    case status::gateway_timeout:
        return "Gateway Timeout";
    }
    return "Unknown";
}

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<std::string_view> fields::get(std::string_view name) const
{
    for (auto const& [n, v] : list_)
        if (iequals(n, name))
            return std::string_view(v);
    return std::nullopt;
}

void fields::set(std::string_view name, std::string_view value)
{
    erase(name);
    add(name, value);
}

void fields::add(std::string_view name, std::string_view value)
{
    list_.emplace_back(name, value);
}

void fields::erase(std::string_view name)
{
    std::erase_if(list_, [&](auto const& field) { return iequals(field.first, name); });
}

std::string_view request::path() const
{
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string_view request::query() const
{
    std::string_view t = target;
    auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

response json(status s, boost::json::value const& body)
{
    response r;
    r.status = s;
    r.headers.set("Content-Type", "application/json");
    r.body = json::serialize(body);
    return r;
}

boost::json::object error_body(std::string_view message, std::string_view code)
{
    boost::json::object body;
    body["error"] = message;
    if (!code.empty())
        body["code"] = code;
    return body;
}

response text(status s, std::string body, std::string_view content_type)
{
    response r;
    r.status = s;
    r.headers.set("Content-Type", content_type);
    r.body = std::move(body);
    return r;
}

response no_content()
{
    response r;
    r.status = status::no_content;
    return r;
}

} // namespace parley::http
