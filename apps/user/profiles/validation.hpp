// The rules for profile fields, as plain functions: nothing when acceptable, else the sentence
// a client gets with a 400.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::user_app {

inline constexpr std::size_t max_bio_chars = 500;
inline constexpr std::size_t max_avatar_chars = 200;
inline constexpr std::size_t max_avatar_name_chars = 64;

// At most 500 characters (code points), no control characters except newline and tab (a bio may
// span lines; NUL, escape sequences, carriage returns and C1 controls are refused).
std::optional<std::string> check_bio(std::string_view bio);
// A short file name ("cat.png": 1-64 of A-Z a-z 0-9 _ . -, not starting with '.'), or an
// http(s) URL of at most 200 characters without spaces, quotes or angle brackets.
std::optional<std::string> check_avatar(std::string_view avatar);

} // namespace parley::user_app
