// The two protocols the tool speaks, built and read with as little work as possible (the tool
// shares the machine with the servers it measures): frames are scanned for the few keys needed,
// never parsed as a whole.
//
// parley (docs/protocol.md):     auth -> connected, join {room_id, last_seq?} -> joined {last_seq},
//                                message {room_id, client_id, content} -> new_message {seq} to the
//                                room and ack {client_id, seq} to the sender
// reference (shared/references): auth -> ready, join -> joined, message {room_id, content} ->
//                                message {message: {id, ...}} to the room (id: per-room counter)
//
// The content of message k is "<k>" padded with 'x': the index finds the scheduled send time.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::bench {

enum class protocol { parley, reference };

enum class frame_kind {
    delivery,  // new_message / message: seq, room, index
    ack,       // index (from client_id), seq
    joined,    // room, seq (= last_seq), truncated
    ready,     // connected / ready
    error,     // index when it names a client_id
    other,     // presence, typing, pong, left ...
    malformed, // a delivery without the fields we need
};

struct frame_info {
    frame_kind kind = frame_kind::other;
    std::int64_t room = -1;
    std::int64_t seq = -1;
    std::int64_t index = -1; // message index (content or client_id)
    bool truncated = false;
    bool duplicate = false;
};

namespace detail {

// The integer after the first `key` at or after `from`; -1 if none. `from` moves past it, so
// keys that come in a known order are found in one pass over the frame.
inline std::int64_t int_after(std::string_view text, std::string_view key, std::size_t& from)
{
    auto const at = text.find(key, from);
    if (at == std::string_view::npos)
        return -1;
    auto const* p = text.data() + at + key.size();
    auto const* end = text.data() + text.size();
    std::int64_t v = -1;
    auto const r = std::from_chars(p, end, v);
    if (r.ec != std::errc())
        return -1;
    from = static_cast<std::size_t>(r.ptr - text.data());
    return v;
}

inline std::int64_t int_after(std::string_view text, std::string_view key)
{
    std::size_t from = 0;
    return int_after(text, key, from);
}

inline constexpr std::string_view parley_delivery_tail = R"("type":"new_message"})";
inline constexpr std::string_view reference_delivery_head = R"({"type":"message","message":{"id":)";

} // namespace detail

inline frame_info read_frame(protocol proto, std::string_view text)
{
    using detail::int_after;
    frame_info f;
    // The frames that matter under load first, where their server puts them: parley's
    // new_message ends with its type (fields in the order of message_record), the references'
    // message starts with it. Anything else takes the general path below.
    if (proto == protocol::parley && text.ends_with(detail::parley_delivery_tail)) {
        f.kind = frame_kind::delivery;
        std::size_t at = 0;
        f.room = int_after(text, R"("room_id":)", at);
        auto const after_room = at;
        f.seq = int_after(text, R"("seq":)", at);
        if (f.seq < 0) { // another field order: look everywhere
            at = 0;
            f.seq = int_after(text, R"("seq":)", at);
            at = after_room;
        }
        f.index = int_after(text, R"("content":")", at);
        if (f.index < 0)
            f.index = int_after(text, R"("content":")");
        if (f.seq < 0 || f.room < 0 || f.index < 0)
            f.kind = frame_kind::malformed;
        return f;
    }
    if (proto == protocol::reference && text.starts_with(detail::reference_delivery_head)) {
        f.kind = frame_kind::delivery;
        std::size_t at = detail::reference_delivery_head.size() - 5;
        f.seq = int_after(text, R"("id":)", at);
        f.room = int_after(text, R"("room_id":)", at);
        f.index = int_after(text, R"("content":")", at);
        if (f.seq < 0 || f.room < 0 || f.index < 0)
            f.kind = frame_kind::malformed;
        return f;
    }
    auto const at = text.find(R"("type":")");
    if (at == std::string_view::npos)
        return f;
    auto const type = text.substr(at + 8, 12);
    if (proto == protocol::parley) {
        if (type.starts_with("new_message\"")) {
            f.kind = frame_kind::delivery;
            f.seq = int_after(text, R"("seq":)");
            f.room = int_after(text, R"("room_id":)");
            f.index = int_after(text, R"("content":")");
        } else if (type.starts_with("ack\"")) {
            f.kind = frame_kind::ack;
            f.seq = int_after(text, R"("seq":)");
            f.index = int_after(text, R"("client_id":"b)");
            f.duplicate = text.find(R"("duplicate":true)") != std::string_view::npos;
            return f;
        } else if (type.starts_with("joined\"")) {
            f.kind = frame_kind::joined;
            f.room = int_after(text, R"("room_id":)");
            f.seq = int_after(text, R"("last_seq":)");
            f.truncated = text.find(R"("truncated":true)") != std::string_view::npos;
            return f;
        } else if (type.starts_with("connected\"")) {
            f.kind = frame_kind::ready;
            return f;
        } else if (type.starts_with("error\"")) {
            f.kind = frame_kind::error;
            f.index = int_after(text, R"("client_id":"b)");
            return f;
        } else {
            return f;
        }
    } else {
        if (type.starts_with("message\"")) {
            f.kind = frame_kind::delivery;
            f.seq = int_after(text, R"("id":)");
            f.room = int_after(text, R"("room_id":)");
            f.index = int_after(text, R"("content":")");
        } else if (type.starts_with("joined\"")) {
            f.kind = frame_kind::joined;
            f.room = int_after(text, R"("room_id":)");
            return f;
        } else if (type.starts_with("ready\"")) {
            f.kind = frame_kind::ready;
            return f;
        } else if (type.starts_with("error\"")) {
            f.kind = frame_kind::error;
            return f;
        } else {
            return f;
        }
    }
    if (f.seq < 0 || f.room < 0 || f.index < 0)
        f.kind = frame_kind::malformed;
    return f;
}

inline std::string auth_frame(std::string_view token)
{
    std::string f;
    f.reserve(token.size() + 32);
    f.append(R"({"type":"auth","token":")").append(token).append(R"("})");
    return f;
}

inline std::string join_frame(std::int64_t room_id, std::int64_t last_seq)
{
    std::string f = R"({"type":"join","room_id":)" + std::to_string(room_id);
    if (last_seq >= 0)
        f.append(R"(,"last_seq":)").append(std::to_string(last_seq));
    f.push_back('}');
    return f;
}

inline std::string message_frame(protocol proto, std::int64_t room_id, std::int64_t index,
                                 std::size_t content_bytes)
{
    std::string f;
    f.reserve(96 + content_bytes);
    f.append(R"({"type":"message","room_id":)").append(std::to_string(room_id));
    auto const k = std::to_string(index);
    if (proto == protocol::parley)
        f.append(R"(,"client_id":"b)").append(k).append("\"");
    f.append(R"(,"content":")").append(k);
    if (content_bytes > k.size())
        f.append(content_bytes - k.size(), 'x');
    f.append("\"}");
    return f;
}

} // namespace parley::bench
