#include "parley/http/context.hpp"

#include "http/ids.hpp"

#include <boost/json/object.hpp>
#include <cctype>
#include <charconv>

namespace parley::http {

namespace {

bool is_hex(std::string_view s)
{
    return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool all_zero(std::string_view s)
{
    return s.find_first_not_of('0') == std::string_view::npos;
}

// A caller-supplied request id is echoed into logs and responses: accept only short, plain ids.
bool sane_request_id(std::string_view id)
{
    if (id.empty() || id.size() > 128)
        return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded decoding of one query key or value.
std::optional<std::string> decode_component(std::string_view in)
{
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= in.size())
                return std::nullopt;
            int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::int64_t> parse_int(std::string_view s)
{
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
        return std::nullopt;
    return v;
}

} // namespace

request_context::request_context(http::request& req, net::any_io_executor executor,
                                 authenticator const* authenticate, unauthorized_texts const* texts)
    : request_(req), executor_(std::move(executor)), authenticate_(authenticate), texts_(texts)
{
    auto id = req.headers.get("X-Request-ID");
    request_id_ = id && sane_request_id(*id) ? std::string(*id) : detail::random_hex(16);

    // W3C trace context: 00-<trace-id:32>-<parent-id:16>-<flags:2>
    trace_flags_ = "01";
    if (auto tp = req.headers.get("traceparent"); tp && tp->size() == 55) {
        auto v = *tp;
        auto trace = v.substr(3, 32), parent = v.substr(36, 16), flags = v.substr(53, 2);
        if (v.substr(0, 3) == "00-" && v[35] == '-' && v[52] == '-' && is_hex(trace) &&
            is_hex(parent) && is_hex(flags) && !all_zero(trace) && !all_zero(parent)) {
            trace_id_ = trace;
            trace_flags_ = flags;
        }
    }
    if (trace_id_.empty())
        trace_id_ = detail::random_hex(16);
    span_id_ = detail::random_hex(8);
}

http::fields request_context::propagation_headers() const
{
    http::fields f;
    f.set("X-Request-ID", request_id_);
    f.set("traceparent", "00-" + trace_id_ + "-" + span_id_ + "-" + trace_flags_);
    return f;
}

void request_context::set_route(std::string_view pattern, std::vector<path_param> params)
{
    route_ = pattern;
    params_ = std::move(params);
}

std::string_view request_context::param(std::string_view name) const
{
    for (auto const& p : params_)
        if (p.name == name)
            return p.value;
    throw std::logic_error("route has no parameter '" + std::string(name) + "'");
}

std::int64_t request_context::int_param(std::string_view name) const
{
    auto v = parse_int(param(name));
    if (!v) // the router only matches {name:int} on digits, so this is a {name} misuse
        throw bad_request("path parameter '" + std::string(name) + "' must be an integer");
    return *v;
}

std::optional<std::string> request_context::query(std::string_view name) const
{
    std::string_view rest = request_.query();
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        auto eq = pair.find('=');
        auto key = decode_component(pair.substr(0, eq));
        if (!key || *key != name)
            continue;
        if (eq == std::string_view::npos)
            return std::string();
        auto value = decode_component(pair.substr(eq + 1));
        if (!value)
            throw bad_request("query parameter '" + std::string(name) +
                              "' is not valid percent-encoding");
        return value;
    }
    return std::nullopt;
}

std::optional<std::int64_t> request_context::query_int(std::string_view name, std::int64_t min,
                                                       std::int64_t max) const
{
    auto raw = query(name);
    if (!raw)
        return std::nullopt;
    auto v = parse_int(*raw);
    if (!v || *v < min || *v > max)
        throw bad_request("query parameter '" + std::string(name) + "' must be an integer from " +
                          std::to_string(min) + " to " + std::to_string(max));
    return v;
}

std::int64_t request_context::query_int(std::string_view name, std::int64_t fallback,
                                        std::int64_t min, std::int64_t max) const
{
    return query_int(name, min, max).value_or(fallback);
}

boost::json::object request_context::json_object() const
{
    auto parsed = json::parse(request_.body);
    if (!parsed)
        throw bad_request("body is not valid JSON");
    if (!parsed->is_object())
        throw bad_request("body must be a JSON object");
    return std::move(parsed->as_object());
}

std::optional<std::string_view> request_context::bearer_token() const
{
    auto header = request_.headers.get("Authorization");
    if (!header || header->size() <= 7 || !iequals(header->substr(0, 7), "Bearer "))
        return std::nullopt;
    auto token = header->substr(7);
    while (!token.empty() && token.front() == ' ')
        token.remove_prefix(1);
    if (token.empty())
        return std::nullopt;
    return token;
}

void request_context::authenticate() const
{
    if (authenticated_)
        return;
    authenticated_ = true;
    if (auto token = bearer_token(); token && authenticate_ && *authenticate_)
        user_ = (*authenticate_)(*token);
}

auth::identity const* request_context::maybe_user() const
{
    authenticate();
    return user_ ? &*user_ : nullptr;
}

namespace {
unauthorized_texts const default_texts;
}

auth::identity const& request_context::user() const
{
    auto const& texts = texts_ ? *texts_ : default_texts;
    if (!bearer_token())
        throw unauthorized(texts.missing_token);
    if (auto const* u = maybe_user())
        return *u;
    throw unauthorized(texts.invalid_token);
}

auth::identity const* request_context::optional_user() const
{
    if (!bearer_token())
        return nullptr;
    if (auto const* u = maybe_user())
        return u;
    throw unauthorized((texts_ ? *texts_ : default_texts).invalid_token);
}

} // namespace parley::http
