#include "parley/json/json.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>

namespace parley::json {

namespace {

// Boost.JSON reads a number too large for a double (1e400) as infinity, and writes infinity as
// `Infinity`, which is not JSON: a document holding one must not get in.
bool all_finite(bj::value const& v)
{
    switch (v.kind()) {
    case bj::kind::double_:
        return std::isfinite(v.get_double());
    case bj::kind::array:
        for (auto const& item : v.get_array())
            if (!all_finite(item))
                return false;
        return true;
    case bj::kind::object:
        for (auto const& [key, item] : v.get_object())
            if (!all_finite(item))
                return false;
        return true;
    default:
        return true;
    }
}

} // namespace

boost::system::result<bj::value> parse(std::string_view text)
{
    boost::system::error_code ec;
    // Bounded depth: a body of 10,000 '[' must not exhaust the stack (nor all_finite's).
    bj::parse_options options;
    options.max_depth = 64;
    auto v = bj::parse(text, ec, {}, options);
    if (ec)
        return ec;
    if (!all_finite(v))
        return make_error_code(bj::error::exponent_overflow);
    return v;
}

std::string serialize(bj::value const& v)
{
    return bj::serialize(v);
}

namespace detail {

void fail(std::string const& path, std::string_view expected)
{
    if (path.empty())
        throw read_error(path, "body must be " + std::string(expected));
    throw read_error(path, "field '" + path + "' must be " + std::string(expected));
}

std::string join(std::string const& path, std::string_view name)
{
    return path.empty() ? std::string(name) : path + "." + std::string(name);
}

std::string join(std::string const& path, std::size_t index)
{
    return path + "[" + std::to_string(index) + "]";
}

} // namespace detail
} // namespace parley::json
