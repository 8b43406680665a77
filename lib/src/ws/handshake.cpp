#include "ws/handshake.hpp"

#include "parley/http/message.hpp"

#include <openssl/evp.h>
#include <stdexcept>

namespace parley::ws::detail {

std::string base64_encode(std::string_view bytes)
{
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int const n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string accept_key(std::string_view key)
{
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input;
    input.reserve(key.size() + guid.size());
    input.append(key).append(guid);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 failed");
    return base64_encode(std::string_view(reinterpret_cast<char const*>(digest), size));
}

bool valid_key(std::string_view key) noexcept
{
    // 16 bytes encode to 22 significant characters plus "==".
    if (key.size() != 24 || key[22] != '=' || key[23] != '=')
        return false;
    for (std::size_t i = 0; i < 22; ++i) {
        char const c = key[i];
        bool const ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

bool for_each_token(std::string_view list, std::function<bool(std::string_view)> const& f)
{
    while (!list.empty()) {
        auto const comma = list.find(',');
        auto token = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
            token.remove_prefix(1);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
            token.remove_suffix(1);
        if (!token.empty() && f(token))
            return true;
    }
    return false;
}

bool has_token(std::string_view list, std::string_view token)
{
    return for_each_token(list, [&](std::string_view t) { return http::iequals(t, token); });
}

} // namespace parley::ws::detail
