// The rules for account fields, as plain functions: each returns nothing when the value is
// acceptable, else the sentence a client gets with a 400.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::auth_app {

using problem = std::optional<std::string>;

inline constexpr std::size_t min_username_chars = 3;
inline constexpr std::size_t max_username_chars = 32;
inline constexpr std::size_t max_email_chars = 120;
inline constexpr std::size_t min_password_chars = 8;
inline constexpr std::size_t max_password_chars = 128;
// Logins bound the password before hashing, but accept accounts made under older rules.
inline constexpr std::size_t max_login_password_bytes = 1024;
inline constexpr std::size_t max_login_username_bytes = 80;

// 3-32 characters of A-Z a-z 0-9 _ . -
problem check_username(std::string_view username);
// local@domain.tld, at most 120 characters, no spaces or control characters.
problem check_email(std::string_view email);
// 8-128 characters (Unicode code points of valid UTF-8).
problem check_password(std::string_view password);

} // namespace parley::auth_app
