#include "http/ids.hpp"

#include <random>

namespace parley::http::detail {

std::string random_hex(std::size_t bytes)
{
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes * 2, '0');
    for (std::size_t i = 0; i < bytes; i += 8) {
        auto r = rng();
        for (std::size_t j = i; j < bytes && j < i + 8; ++j, r >>= 8) {
            out[2 * j] = digits[(r >> 4) & 0xf];
            out[2 * j + 1] = digits[r & 0xf];
        }
    }
    return out;
}

} // namespace parley::http::detail
