#include "user/profiles/validation.hpp"

#include "parley/text/utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace parley::user_app {

namespace {

bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

bool url_char(char ch)
{
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f)
        return false; // spaces, control characters, raw non-ASCII (must be percent-encoded)
    constexpr std::string_view forbidden = "\"'<>\\`{}|^";
    return forbidden.find(ch) == std::string_view::npos;
}

bool starts_with_icase(std::string_view s, std::string_view prefix)
{
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i])
            return false;
    }
    return true;
}

} // namespace

std::optional<std::string> check_bio(std::string_view bio)
{
    if (text::utf8_length(bio).value_or(bio.size()) > max_bio_chars)
        return "Bio must be at most 500 characters";
    if (text::has_control_characters_in_text(bio))
        return "Bio must not contain control characters (newline and tab are allowed)";
    return std::nullopt;
}

std::optional<std::string> check_avatar(std::string_view avatar)
{
    static constexpr char const* message =
        "Avatar must be a short file name (letters, digits, '_', '.', '-', at most 64) or an "
        "http(s) URL of at most 200 characters";
    if (starts_with_icase(avatar, "http://") || starts_with_icase(avatar, "https://")) {
        auto host_start = avatar.find("//") + 2;
        if (avatar.size() > max_avatar_chars || avatar.size() <= host_start ||
            avatar[host_start] == '/' || !std::all_of(avatar.begin(), avatar.end(), url_char))
            return message;
        return std::nullopt;
    }
    if (avatar.empty() || avatar.size() > max_avatar_name_chars || avatar.front() == '.' ||
        !std::all_of(avatar.begin(), avatar.end(), name_char))
        return message;
    return std::nullopt;
}

} // namespace parley::user_app
