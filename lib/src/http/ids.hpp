// Random identifiers (request ids, trace and span ids). Not secrets: a per-thread PRNG.
#pragma once

#include <string>

namespace parley::http::detail {

// 2 * bytes lowercase hex digits.
std::string random_hex(std::size_t bytes);

} // namespace parley::http::detail
