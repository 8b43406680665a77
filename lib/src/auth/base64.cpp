#include "auth/base64.hpp"

#include <array>
#include <cstdint>

namespace parley::auth::detail {

namespace {

constexpr std::string_view url_chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view standard_chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> reverse(std::string_view chars)
{
    std::array<std::int8_t, 256> r{};
    for (auto& x : r)
        x = -1;
    for (std::size_t i = 0; i < chars.size(); ++i)
        r[static_cast<unsigned char>(chars[i])] = static_cast<std::int8_t>(i);
    return r;
}

constexpr auto url_reverse = reverse(url_chars);
constexpr auto standard_reverse = reverse(standard_chars);

} // namespace

std::string base64_encode(std::string_view bytes, base64_alphabet a)
{
    auto const chars = a == base64_alphabet::url ? url_chars : standard_chars;
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        auto const n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += chars[n >> 18 & 63];
        out += chars[n >> 12 & 63];
        out += chars[n >> 6 & 63];
        out += chars[n & 63];
    }
    if (bytes.size() - i == 1) {
        auto const n = byte(i) << 16;
        out += chars[n >> 18 & 63];
        out += chars[n >> 12 & 63];
    } else if (bytes.size() - i == 2) {
        auto const n = byte(i) << 16 | byte(i + 1) << 8;
        out += chars[n >> 18 & 63];
        out += chars[n >> 12 & 63];
        out += chars[n >> 6 & 63];
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text, base64_alphabet a)
{
    auto const& rev = a == base64_alphabet::url ? url_reverse : standard_reverse;
    if (text.size() % 4 == 1)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        auto const v = rev[static_cast<unsigned char>(c)];
        if (v < 0)
            return std::nullopt;
        acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>(acc >> bits & 0xff);
        }
    }
    // Leftover bits (2 or 4) must be zero: otherwise two texts would decode to the same bytes.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return std::nullopt;
    return out;
}

} // namespace parley::auth::detail
