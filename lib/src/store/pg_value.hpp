// PostgreSQL text-format values <-> store::value, without libpq: pure functions, so that they can
// be unit-tested and fuzzed (issue 13) on their own.
//
//   parse_pg_value(23, "42")     -> value(42)        int2/int4/int8/oid
//   parse_pg_value(16, "t")      -> value(1)         bool reads as 0/1 (get<bool> and get<int>)
//   parse_pg_value(1700, "7")    -> value(7)         numeric: integral -> integer, else real
//   parse_pg_value(701, "NaN")   -> value(NaN)       float4/float8, Infinity, -Infinity
//   parse_pg_value(17, "\\x00ff") -> value("\0\xff")  bytea (hex output) -> the bytes
//   parse_pg_value(25, "text")   -> value("text")    every other type: its text as is
#pragma once

#include "parley/store/value.hpp"

#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::store::pg {

// Type OIDs of the built-in types the store converts (pg_type.dat; stable across versions).
inline constexpr std::uint32_t bool_oid = 16;
inline constexpr std::uint32_t bytea_oid = 17;
inline constexpr std::uint32_t int8_oid = 20;
inline constexpr std::uint32_t int2_oid = 21;
inline constexpr std::uint32_t int4_oid = 23;
inline constexpr std::uint32_t text_oid = 25;
inline constexpr std::uint32_t oid_oid = 26;
inline constexpr std::uint32_t float4_oid = 700;
inline constexpr std::uint32_t float8_oid = 701;
inline constexpr std::uint32_t numeric_oid = 1700;

// One non-NULL column value in PostgreSQL's text output format, typed by its column's type OID.
// A malformed text for its type (which a real server never sends) is an error, never a crash.
boost::system::result<value> parse_pg_value(std::uint32_t type_oid, std::string_view text);

// How a parameter is sent: the type OID it is declared with (0 lets the server infer it; used for
// NULL, which fits any column) and, for numbers, its text. Integers are int8, reals float8
// (shortest round-trip text, NaN, Infinity, -Infinity), text is text (sent as its own bytes).
std::uint32_t param_type_oid(value const& v) noexcept;
std::string format_pg_integer(std::int64_t i);
std::string format_pg_real(double d);

} // namespace parley::store::pg
