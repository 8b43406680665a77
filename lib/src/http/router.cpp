#include "parley/http/router.hpp"

#include <stdexcept>

namespace parley::http {

namespace {

enum class segment_kind { literal, string_param, int_param, path_param };

struct segment {
    segment_kind kind;
    std::string text; // literal text or parameter name
};

// How specific a match is, per segment: a literal beats an int beats a string beats a path.
int weight(segment_kind k)
{
    switch (k) {
    case segment_kind::literal:
        return 3;
    case segment_kind::int_param:
        return 2;
    case segment_kind::string_param:
        return 1;
    case segment_kind::path_param:
        return 0;
    }
    return 0;
}

std::vector<std::string_view> split_path(std::string_view path)
{
    std::vector<std::string_view> parts;
    if (path.empty() || path.front() != '/')
        return parts;
    path.remove_prefix(1);
    while (true) {
        auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

bool is_int(std::string_view s)
{
    // Up to 18 digits always fits an int64.
    return !s.empty() && s.size() <= 18 &&
           s.find_first_not_of("0123456789") == std::string_view::npos;
}

} // namespace

struct router::route {
    method verb;
    std::string pattern;
    std::vector<segment> segments;
    http::handler handler;
    route_options options;
    std::optional<upgrade_handler> upgrade;
};

router::router() = default;
router::~router() = default;
router::router(router&&) noexcept = default;
router& router::operator=(router&&) noexcept = default;

namespace {

std::vector<segment> parse_pattern(std::string_view pattern)
{
    if (pattern.empty() || pattern.front() != '/')
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    std::vector<segment> segments;
    auto parts = split_path(pattern);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto part = parts[i];
        if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
            auto inner = part.substr(1, part.size() - 2);
            auto colon = inner.find(':');
            auto name = inner.substr(0, colon);
            auto type = colon == std::string_view::npos ? std::string_view("string")
                                                        : inner.substr(colon + 1);
            segment_kind kind;
            if (type == "string")
                kind = segment_kind::string_param;
            else if (type == "int")
                kind = segment_kind::int_param;
            else if (type == "path" && i + 1 == parts.size())
                kind = segment_kind::path_param;
            else
                throw std::invalid_argument("bad parameter type in route pattern: " +
                                            std::string(pattern));
            if (name.empty())
                throw std::invalid_argument("unnamed parameter in route pattern: " +
                                            std::string(pattern));
            segments.push_back({kind, std::string(name)});
        } else {
            if (part.find_first_of("{}") != std::string_view::npos)
                throw std::invalid_argument("bad route pattern: " + std::string(pattern));
            segments.push_back({segment_kind::literal, std::string(part)});
        }
    }
    return segments;
}

// The match's specificity score, or -1 when the path does not match.
int match_segments(std::vector<segment> const& segments, std::string_view path,
                   std::vector<path_param>& params)
{
    auto parts = split_path(path);
    params.clear();
    int score = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        auto const& seg = segments[i];
        if (seg.kind == segment_kind::path_param) {
            if (i >= parts.size())
                return -1;
            // The rest of the path, slashes included.
            auto start = parts[i].data();
            auto rest = std::string_view(start, path.data() + path.size() - start);
            params.push_back({seg.text, rest});
            return score;
        }
        if (i >= parts.size())
            return -1;
        auto part = parts[i];
        switch (seg.kind) {
        case segment_kind::literal:
            if (part != seg.text)
                return -1;
            break;
        case segment_kind::int_param:
            if (!is_int(part))
                return -1;
            params.push_back({seg.text, part});
            break;
        case segment_kind::string_param:
            if (part.empty())
                return -1;
            params.push_back({seg.text, part});
            break;
        case segment_kind::path_param:
            break;
        }
        score = score * 4 + weight(seg.kind);
    }
    return parts.size() == segments.size() ? score : -1;
}

} // namespace

void router::add(method m, std::string_view pattern, handler h, route_options options)
{
    auto r = std::make_unique<route>();
    r->verb = m;
    r->pattern = pattern;
    r->segments = parse_pattern(pattern);
    r->handler = std::move(h);
    r->options = options;
    routes_.push_back(std::move(r));
}

void router::upgrade(std::string_view pattern, upgrade_handler h)
{
    auto r = std::make_unique<route>();
    r->verb = method::get;
    r->pattern = pattern;
    r->segments = parse_pattern(pattern);
    r->upgrade = std::move(h);
    routes_.push_back(std::move(r));
}

router::match router::find(method m, std::string_view path) const
{
    match best;
    int best_score = -1;
    std::vector<method> allowed;
    std::vector<path_param> params;
    for (auto const& r : routes_) {
        int score = match_segments(r->segments, path, params);
        if (score < 0)
            continue;
        if (std::find(allowed.begin(), allowed.end(), r->verb) == allowed.end())
            allowed.push_back(r->verb);
        // HEAD is answered by the GET route, without the body.
        bool method_ok = r->verb == m || (m == method::head && r->verb == method::get);
        if (method_ok && score > best_score) {
            best_score = score;
            best.result = match::found;
            best.target = r.get();
            best.params = params;
        }
    }
    if (best.result == match::found)
        return best;
    if (!allowed.empty()) {
        best.result = match::method_not_allowed;
        if (std::find(allowed.begin(), allowed.end(), method::get) != allowed.end())
            allowed.push_back(method::head);
        for (auto verb : allowed) {
            if (!best.allow.empty())
                best.allow += ", ";
            best.allow += to_string(verb);
        }
    }
    return best;
}

std::string_view router::pattern(route const& r)
{
    return r.pattern;
}
handler const& router::handler_of(route const& r)
{
    return r.handler;
}
route_options const& router::options_of(route const& r)
{
    return r.options;
}
upgrade_handler const* router::upgrade_of(route const& r)
{
    return r.upgrade ? &*r.upgrade : nullptr;
}

} // namespace parley::http
