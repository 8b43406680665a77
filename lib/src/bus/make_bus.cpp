#include "parley/bus/bus.hpp"
#include "parley/bus/redis.hpp"
#include "parley/config/config.hpp"
#include "parley/log/log.hpp"

namespace parley::bus {

namespace {

// The URL with its password (if any) replaced by ***, for messages.
std::string masked(std::string_view url)
{
    auto const scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return std::string(url);
    auto const authority = scheme_end + 3;
    auto const authority_end = std::min(url.find_first_of("/?#", authority), url.size());
    auto const at = url.substr(0, authority_end).rfind('@');
    if (at == std::string_view::npos || at < authority)
        return std::string(url);
    auto const colon = url.substr(0, at).find(':', authority);
    if (colon == std::string_view::npos)
        return std::string(url);
    return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

} // namespace

namespace redis {

std::optional<endpoint> configured_endpoint(std::string_view url, std::string_view variable)
{
    if (url.empty())
        return std::nullopt;
    auto where = parse_url(url);
    if (!where)
        throw config_error(std::string(variable) + "=\"" + masked(url) + "\": " + where.error() +
                           "; expected redis://[[user]:password@]host[:port][/db], or unset for "
                           "the in-process bus");
    return std::move(*where);
}

} // namespace redis

std::unique_ptr<bus> make_bus(std::string_view url, net::any_io_executor executor,
                              std::string_view variable)
{
    auto where = redis::configured_endpoint(url, variable);
    if (!where)
        return make_local_bus();
    log::info("bus: redis",
              {{"address", where->host + ":" + std::to_string(where->port)}, {"db", where->db}});
    redis::client_options options;
    options.name = "bus";
    return redis::make_redis_bus(std::move(executor), std::move(*where), std::move(options));
}

} // namespace parley::bus
