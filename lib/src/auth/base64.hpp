// Strict base64 for tokens and password hashes: unpadded, and canonical (the unused low bits of
// the last character must be zero), so that every encoded string has exactly one decoding and
// every byte string exactly one encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::auth::detail {

enum class base64_alphabet { url, standard };

std::string base64_encode(std::string_view bytes, base64_alphabet a);
// nullopt for any character outside the alphabet, padding, an impossible length, or
// non-canonical trailing bits.
std::optional<std::string> base64_decode(std::string_view text, base64_alphabet a);

} // namespace parley::auth::detail
