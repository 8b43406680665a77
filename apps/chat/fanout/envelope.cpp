#include "chat/fanout/envelope.hpp"

#include <charconv>

namespace parley::chat_app {

std::string encode(envelope const& e)
{
    char head[48];
    auto* end = std::to_chars(head, head + sizeof head, e.seq).ptr;
    *end++ = ' ';
    end = std::to_chars(end, head + sizeof head, e.skip_user).ptr;
    *end++ = '\n';
    std::string out;
    out.reserve(static_cast<std::size_t>(end - head) + e.event.size());
    out.append(head, end).append(e.event);
    return out;
}

std::optional<envelope> decode(std::string_view bytes)
{
    envelope e;
    auto const* p = bytes.data();
    auto const* const last = p + bytes.size();
    auto [after_seq, ec1] = std::from_chars(p, last, e.seq);
    if (ec1 != std::errc() || after_seq == last || *after_seq != ' ')
        return std::nullopt;
    auto [after_skip, ec2] = std::from_chars(after_seq + 1, last, e.skip_user);
    if (ec2 != std::errc() || after_skip == last || *after_skip != '\n')
        return std::nullopt;
    e.event = std::string_view(after_skip + 1, static_cast<std::size_t>(last - after_skip - 1));
    return e;
}

} // namespace parley::chat_app
