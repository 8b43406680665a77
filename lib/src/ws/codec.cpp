#include "ws/codec.hpp"

#include <algorithm>
#include <cstring>

namespace parley::ws::detail {

bool valid_close_code(std::uint16_t code) noexcept
{
    if (code >= 3000 && code <= 4999)
        return true;
    switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
        return true;
    default:
        return false; // includes 1004-1006 and 1015, which must never be sent
    }
}

void apply_mask(char* data, std::size_t size, unsigned char const mask[4],
                std::uint64_t offset) noexcept
{
    unsigned char key[8];
    for (int i = 0; i < 8; ++i)
        key[i] = mask[(offset + i) & 3];
    std::uint64_t key64;
    std::memcpy(&key64, key, 8);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, 8);
        word ^= key64;
        std::memcpy(data + i, &word, 8);
    }
    for (; i < size; ++i)
        data[i] = static_cast<char>(data[i] ^ key[i & 7]);
}

void append_masked_frame(std::string& out, opcode op, std::string_view payload, std::uint32_t mask)
{
    std::size_t const length = payload.size();
    unsigned char header[14];
    std::size_t n = 0;
    header[n++] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(op));
    if (length < 126) {
        header[n++] = static_cast<unsigned char>(0x80 | length);
    } else if (length <= 0xffff) {
        header[n++] = 0x80 | 126;
        header[n++] = static_cast<unsigned char>(length >> 8);
        header[n++] = static_cast<unsigned char>(length);
    } else {
        header[n++] = 0x80 | 127;
        for (int i = 0; i < 8; ++i)
            header[n++] =
                static_cast<unsigned char>(static_cast<std::uint64_t>(length) >> (56 - 8 * i));
    }
    unsigned char key[4];
    std::memcpy(key, &mask, 4);
    std::memcpy(header + n, key, 4);
    n += 4;
    out.append(reinterpret_cast<char const*>(header), n);
    std::size_t const at = out.size();
    out.append(payload);
    apply_mask(out.data() + at, length, key, 0);
}

std::string_view frame_parser::close_reason() const noexcept
{
    std::string_view c = control_;
    return c.size() > 2 ? c.substr(2) : std::string_view();
}

parse_event frame_parser::fail(close_code code, char const* reason) noexcept
{
    state_ = state::failed;
    error_code_ = code;
    error_reason_ = reason;
    return parse_event::error;
}

// Everything decidable from the first two bytes, so that a bad frame fails before its payload.
parse_event frame_parser::check_first_bytes() noexcept
{
    unsigned char const b0 = header_[0], b1 = header_[1];
    fin_ = (b0 & 0x80) != 0;
    masked_ = (b1 & 0x80) != 0;
    unsigned const op = b0 & 0x0f;
    unsigned const len7 = b1 & 0x7f;
    if (b0 & 0x70)
        return fail(close_code::protocol_error, "reserved bits set");
    switch (op) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x8:
    case 0x9:
    case 0xA:
        break;
    default:
        return fail(close_code::protocol_error, "unknown opcode");
    }
    opcode_ = static_cast<opcode>(op);
    if (role_ == role::server && !masked_)
        return fail(close_code::protocol_error, "client frames must be masked");
    if (role_ == role::client && masked_)
        return fail(close_code::protocol_error, "server frames must not be masked");
    if (op & 0x8) {
        if (!fin_)
            return fail(close_code::protocol_error, "fragmented control frame");
        if (len7 > 125)
            return fail(close_code::protocol_error, "control frame too long");
    } else {
        if (op == 0x0 && !in_message_)
            return fail(close_code::protocol_error, "continuation without a message");
        if (op != 0x0 && in_message_)
            return fail(close_code::protocol_error, "new message inside a fragmented message");
        if (op == 0x2)
            return fail(close_code::unsupported_data, "binary messages are not supported");
    }
    header_need_ = static_cast<std::uint8_t>(2 +
                                             (len7 == 126   ? 2
                                              : len7 == 127 ? 8
                                                            : 0) +
                                             (masked_ ? 4 : 0));
    return parse_event::need_more;
}

parse_event frame_parser::check_header() noexcept
{
    unsigned const len7 = header_[1] & 0x7f;
    std::size_t pos = 2;
    std::uint64_t length = len7;
    if (len7 == 126) {
        length = (std::uint64_t{header_[2]} << 8) | header_[3];
        pos = 4;
    } else if (len7 == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i)
            length = (length << 8) | header_[2 + i];
        pos = 10;
        if (length >> 63)
            return fail(close_code::protocol_error, "64-bit length with the high bit set");
    }
    if (masked_)
        std::memcpy(mask_, header_ + pos, 4);
    if (!(header_[0] & 0x8)) {
        // Data: the message size is known before any payload is buffered.
        if (length > max_message_bytes_ || message_.size() > max_message_bytes_ - length)
            return fail(close_code::message_too_big, "message too big");
        if (opcode_ == opcode::text) {
            message_.clear();
            utf8_.reset();
            message_.reserve(length); // later fragments grow it geometrically
        }
    } else {
        control_.clear();
    }
    remaining_ = length;
    payload_pos_ = 0;
    state_ = state::payload;
    return parse_event::need_more;
}

parse_event frame_parser::finish_frame()
{
    state_ = state::header;
    header_have_ = 0;
    header_need_ = 2;
    switch (opcode_) {
    case opcode::ping:
        return parse_event::ping;
    case opcode::pong:
        return parse_event::pong;
    case opcode::close: {
        if (control_.size() == 1)
            return fail(close_code::protocol_error, "close frame with a 1-byte payload");
        close_code_ = close_code::none;
        if (control_.size() >= 2) {
            auto const code =
                static_cast<std::uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                           static_cast<unsigned char>(control_[1]));
            if (!valid_close_code(code))
                return fail(close_code::protocol_error, "invalid close code");
            if (!text::valid_utf8(close_reason())) // 1007 as for text: data not of its type
                return fail(close_code::invalid_payload, "close reason is not UTF-8");
            close_code_ = static_cast<close_code>(code);
        }
        return parse_event::close;
    }
    default: // text or continuation
        if (!fin_) {
            in_message_ = true;
            return parse_event::need_more;
        }
        in_message_ = false;
        if (!utf8_.complete())
            return fail(close_code::invalid_payload, "text is not valid UTF-8");
        message_done_ = true;
        return parse_event::text;
    }
}

parse_event frame_parser::parse(std::string_view input, std::size_t& consumed)
{
    if (state_ == state::failed)
        return parse_event::error;
    if (message_done_) {
        message_done_ = false;
        message_.clear();
    }
    std::size_t at = 0;
    parse_event event = parse_event::need_more;
    while (event == parse_event::need_more) {
        if (state_ == state::header) {
            std::size_t const n =
                std::min<std::size_t>(header_need_ - header_have_, input.size() - at);
            std::memcpy(header_ + header_have_, input.data() + at, n);
            header_have_ = static_cast<std::uint8_t>(header_have_ + n);
            at += n;
            if (header_have_ < header_need_)
                break; // input used up
            if (header_have_ == 2) {
                event = check_first_bytes();
                if (event != parse_event::need_more || header_need_ > 2)
                    continue;
            }
            event = check_header();
            if (event != parse_event::need_more)
                continue;
        }
        // payload
        std::size_t const n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - at));
        if (n > 0) {
            bool const control = static_cast<unsigned>(opcode_) & 0x8;
            std::string& target = control ? control_ : message_;
            std::size_t const old = target.size();
            target.append(input.data() + at, n);
            if (masked_)
                apply_mask(target.data() + old, n, mask_, payload_pos_);
            at += n;
            remaining_ -= n;
            payload_pos_ += n;
            if (!control && !utf8_.feed(std::string_view(target).substr(old)))
                event = fail(close_code::invalid_payload, "text is not valid UTF-8");
            if (event != parse_event::need_more)
                continue;
        }
        if (remaining_ > 0)
            break; // input used up
        event = finish_frame();
        if (event == parse_event::need_more && at == input.size())
            break;
    }
    consumed += at;
    return event;
}

} // namespace parley::ws::detail
