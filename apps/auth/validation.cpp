#include "auth/validation.hpp"

#include "parley/text/utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace parley::auth_app {

namespace {

bool username_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

bool domain_label_ok(std::string_view label)
{
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
        return false;
    return std::all_of(label.begin(), label.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c >= 0x80; // internationalised domains as UTF-8
    });
}

bool local_char_ok(unsigned char c)
{
    if (c <= 0x20 || c == 0x7f)
        return false; // spaces and control characters
    constexpr std::string_view forbidden = "\"(),:;<>@[\\]";
    return forbidden.find(static_cast<char>(c)) == std::string_view::npos;
}

} // namespace

problem check_username(std::string_view username)
{
    if (username.size() < min_username_chars || username.size() > max_username_chars ||
        !std::all_of(username.begin(), username.end(), username_char))
        return "Username must be 3-32 characters long and use only letters, digits, '_', '.' and "
               "'-'";
    return std::nullopt;
}

problem check_email(std::string_view email)
{
    static constexpr char const* message =
        "Email must be a valid address of at most 120 characters";
    auto length = text::utf8_length(email);
    if (!length || *length > max_email_chars || email.size() > 4 * max_email_chars)
        return message;
    auto at = email.find('@');
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
        return message;
    auto local = email.substr(0, at);
    auto domain = email.substr(at + 1);
    if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
        local.find("..") != std::string_view::npos)
        return message;
    if (!std::all_of(local.begin(), local.end(),
                     [](char c) { return local_char_ok(static_cast<unsigned char>(c)); }))
        return message;
    // At least two labels ("example.com"), each a valid host label; the last at least 2 long.
    std::size_t labels = 0;
    std::string_view last;
    for (std::size_t start = 0;;) {
        auto dot = domain.find('.', start);
        auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                        : dot - start);
        if (!domain_label_ok(label))
            return message;
        ++labels;
        last = label;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    if (labels < 2 || last.size() < 2)
        return message;
    return std::nullopt;
}

problem check_password(std::string_view password)
{
    auto length = text::utf8_length(password);
    if (!length)
        return "Password must be valid UTF-8 text";
    if (*length < min_password_chars || *length > max_password_chars)
        return "Password must be 8-128 characters long";
    return std::nullopt;
}

} // namespace parley::auth_app
