// postgres:// and postgresql:// database URLs: Parley's own query parameters taken out, the rest
// left for libpq (which understands the URL form itself, and its environment: PGPASSWORD, ...).
//
//   postgres://parley:secret@db.internal:5432/chat?pool=8&connect_timeout=3&sslmode=require
//     pool             connections of this process to the database (1-256), default from
//                      database_options (PARLEY_DATABASE_POOL), else 4
//     connect_timeout  seconds (libpq's own parameter; Parley enforces it, default 5)
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::store::pg {

struct url_parts {
    std::string conninfo;                 // for libpq: the URL without `pool`
    std::string redacted;                 // for messages and logs: any password as ***
    std::optional<std::size_t> pool_size; // `pool`, when given
    std::chrono::milliseconds connect_timeout{5000};
};

bool is_postgres_url(std::string_view url) noexcept;

// Throws store::error naming the problem (the message never holds the password).
url_parts parse_url(std::string_view url);

} // namespace parley::store::pg
