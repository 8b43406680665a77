// Fuzz target: the Redis bus's RESP2 reply parser (lib/src/bus/redis/resp.hpp: hiredis's reader
// into a flat node list) on arbitrary bytes split into arbitrary chunks, as a socket delivers them.
//
// Input: byte 0 = chunking seed and whether message payloads are shared (bit 7), the rest = the
// byte stream. Checks, beyond "no crash, no sanitizer report":
//   - parsing the stream whole and in chunks gives the same replies (where reads end must not
//     matter) and the same verdict (broken or not);
//   - every reply is well formed: an array node is followed by exactly its elements.
#include "bus/redis/resp.hpp"
#include "check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using namespace parley::bus;
using redis::detail::node;
using redis::detail::resp_reader;

namespace {

constexpr std::size_t max_reply_bytes = 64 * 1024;

// One reply as text, so that two parses can be compared.
std::string describe(std::span<node const> nodes)
{
    std::string out;
    for (auto const& n : nodes) {
        out += std::to_string(static_cast<int>(n.type)) + ':' + std::to_string(n.integer) + ':';
        out += n.shared ? *n.shared : n.text;
        out += '\n';
    }
    return out;
}

// Consumes the nodes of one value starting at `at`; false when the list ends too early.
bool well_formed(std::span<node const> nodes, std::size_t& at)
{
    if (at >= nodes.size())
        return false;
    auto const& n = nodes[at++];
    if (n.type != redis::reply::kind::array)
        return true;
    if (n.integer < 0)
        return false;
    for (std::int64_t i = 0; i < n.integer; ++i)
        if (!well_formed(nodes, at))
            return false;
    return true;
}

struct outcome {
    std::vector<std::string> replies;
    bool broken = false;
};

outcome parse(std::string_view bytes, bool share, std::size_t chunk)
{
    resp_reader reader(max_reply_bytes, share);
    outcome out;
    while (!bytes.empty() && !out.broken) {
        auto const n = std::min(chunk, bytes.size());
        reader.feed(bytes.substr(0, n));
        bytes.remove_prefix(n);
        for (;;) {
            auto const s = reader.next();
            if (s == resp_reader::status::incomplete)
                break;
            if (s == resp_reader::status::error) {
                PARLEY_FUZZ_CHECK(!reader.error_message().empty());
                out.broken = true;
                break;
            }
            auto const nodes = reader.nodes();
            std::size_t at = 0;
            PARLEY_FUZZ_CHECK(well_formed(nodes, at) && at == nodes.size());
            out.replies.push_back(describe(nodes));
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size < 1)
        return 0;
    bool const share = (data[0] & 0x80) != 0;
    std::size_t const chunk = 1 + (data[0] & 0x0f);
    std::string_view const bytes(reinterpret_cast<char const*>(data + 1), size - 1);
    auto const whole = parse(bytes, share, bytes.size() + 1);
    auto const pieces = parse(bytes, share, chunk);
    PARLEY_FUZZ_CHECK(whole.broken == pieces.broken);
    if (!whole.broken)
        PARLEY_FUZZ_CHECK(whole.replies == pieces.replies);
    return 0;
}
