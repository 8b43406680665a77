#include "parley/store/from_config.hpp"

#include "store/pg_url.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace parley::store {

std::string database_url_from_config(config const& cfg, std::string_view service)
{
    std::string upper(service);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    auto const variable = "PARLEY_" + upper + "_DATABASE_URL";
    auto const fallback =
        (std::filesystem::path(cfg.data_dir()) / (std::string(service) + ".db")).string();
    auto url = cfg.string({variable}, fallback);
    if (url.empty())
        url = fallback;
    auto const replicas = cfg.integer({"PARLEY_REPLICAS"}, 1, 1, 10'000);
    if (replicas > 1 && !pg::is_postgres_url(url))
        throw config_error("PARLEY_REPLICAS=" + std::to_string(replicas) +
                           " needs PostgreSQL: " + variable + " is the SQLite file '" + url +
                           "', which replicas cannot share (each would keep its own data); set " +
                           variable + " to a postgres:// URL, or run one replica");
    return url;
}

database_options database_options_from_config(config const& cfg)
{
    database_options o;
    o.pool_size = static_cast<std::size_t>(
        cfg.integer({"PARLEY_DATABASE_POOL"}, static_cast<std::int64_t>(o.pool_size), 1, 256));
    return o;
}

database open_database_from_config(config const& cfg, std::string_view service)
{
    return database::open(database_url_from_config(cfg, service),
                          database_options_from_config(cfg));
}

} // namespace parley::store
