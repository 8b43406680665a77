// Fuzz target: the PostgreSQL store's decoding of what a server sends and of what an operator
// configures (lib/src/store/pg_value.hpp, pg_url.hpp): text-format column values by type OID and
// postgres:// URLs. Pure functions, no libpq.
//
// Input: byte 0 selects the type OID (or, for the last selector, the URL parser), the rest is the
// text. Checks, beyond "no crash, no sanitizer report":
//   - a value decodes to the store type its column type promises (integers to integer, bool to
//     0/1, float to real, bytea and text to text), or to an error, never to a wrong type;
//   - an integer decoded from int8 text formats back to the same number (format_pg_integer);
//   - a URL either parses (pool within 1-256, a timeout not negative) or throws store::error.
#include "store/pg_value.hpp"

#include "check.hpp"
#include "store/pg_url.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

using namespace parley::store;

namespace {

constexpr std::uint32_t oids[] = {pg::bool_oid,   pg::bytea_oid,   pg::int8_oid, pg::int2_oid,
                                  pg::int4_oid,   pg::text_oid,    pg::oid_oid,  pg::float4_oid,
                                  pg::float8_oid, pg::numeric_oid, 1043 /* varchar */};
constexpr std::size_t url_selector = sizeof oids / sizeof oids[0];

void check_value(std::uint32_t oid, std::string_view text)
{
    auto const r = pg::parse_pg_value(oid, text);
    if (!r)
        return;
    auto const t = r->type();
    switch (oid) {
    case pg::bool_oid:
        PARLEY_FUZZ_CHECK(t == value_type::integer);
        PARLEY_FUZZ_CHECK(std::get<std::int64_t>(r->get()) == 0 ||
                          std::get<std::int64_t>(r->get()) == 1);
        break;
    case pg::int8_oid:
    case pg::int2_oid:
    case pg::int4_oid:
    case pg::oid_oid: {
        PARLEY_FUZZ_CHECK(t == value_type::integer);
        auto const i = std::get<std::int64_t>(r->get());
        auto const again = pg::parse_pg_value(pg::int8_oid, pg::format_pg_integer(i));
        PARLEY_FUZZ_CHECK(again && std::get<std::int64_t>(again->get()) == i);
        break;
    }
    case pg::float4_oid:
    case pg::float8_oid:
        PARLEY_FUZZ_CHECK(t == value_type::real);
        break;
    case pg::numeric_oid:
        PARLEY_FUZZ_CHECK(t == value_type::integer || t == value_type::real);
        break;
    default: // bytea, text, varchar
        PARLEY_FUZZ_CHECK(t == value_type::text);
        if (oid != pg::bytea_oid)
            PARLEY_FUZZ_CHECK(std::get<std::string>(r->get()) == text);
        break;
    }
}

void check_url(std::string_view text)
{
    (void)pg::is_postgres_url(text);
    try {
        auto const parts = pg::parse_url(text);
        PARLEY_FUZZ_CHECK(parts.connect_timeout.count() >= 0);
        if (parts.pool_size)
            PARLEY_FUZZ_CHECK(*parts.pool_size >= 1 && *parts.pool_size <= 256);
    } catch (error const&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size < 1)
        return 0;
    auto const selector = static_cast<std::size_t>(data[0]) % (url_selector + 1);
    std::string_view const text(reinterpret_cast<char const*>(data + 1), size - 1);
    if (selector == url_selector)
        check_url(text);
    else
        check_value(oids[selector], text);
    return 0;
}
