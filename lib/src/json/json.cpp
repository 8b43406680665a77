#include "parley/json/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::json {

boost::system::result<bj::value> parse(std::string_view text)
{
    boost::system::error_code ec;
    // Bounded depth: a body of 10,000 '[' must not exhaust the stack.
    bj::parse_options options;
    options.max_depth = 64;
    auto v = bj::parse(text, ec, {}, options);
    if (ec)
        return ec;
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
