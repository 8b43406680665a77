// RFC 6455 framing shared by the server session and the client: an incremental frame parser
// (bytes may arrive one at a time) and the masked encoder of the client role.
#pragma once

#include "parley/text/utf8.hpp"
#include "parley/ws/close_code.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::ws::detail {

enum class role { server, client };

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

enum class parse_event {
    need_more, // every input byte was consumed, no event yet
    text,      // a complete text message: message()
    ping,      // control_payload()
    pong,      // control_payload()
    close,     // received_close_code(), close_reason()
    error,     // a violation: error_code() is the close code to send, error_reason() why
};

// True for the codes a peer may put in a close frame (RFC 6455 7.4, IANA registry).
bool valid_close_code(std::uint16_t code) noexcept;

class frame_parser {
public:
    frame_parser(role r, std::size_t max_message_bytes) noexcept
        : role_(r), max_message_bytes_(max_message_bytes)
    {}

    // Consumes bytes of `input` until an event is complete or the input is used up, and adds the
    // number of bytes used to `consumed`. Views returned by the accessors stay valid until the
    // next call. After `error` the parser stays failed.
    parse_event parse(std::string_view input, std::size_t& consumed);

    std::string_view message() const noexcept { return message_; }
    // Frees the buffer of the message handed out (message() is empty after it).
    void release_message() noexcept
    {
        if (message_done_)
            std::string().swap(message_);
    }
    std::string_view control_payload() const noexcept { return control_; }
    // none when the close frame had no payload.
    close_code received_close_code() const noexcept { return close_code_; }
    std::string_view close_reason() const noexcept;
    close_code error_code() const noexcept { return error_code_; }
    std::string_view error_reason() const noexcept { return error_reason_; }
    bool failed() const noexcept { return state_ == state::failed; }

    // Bytes of the message being assembled (tests; a session reports its size on 1009).
    std::size_t buffered_message_bytes() const noexcept { return message_.size(); }

private:
    enum class state : std::uint8_t { header, payload, failed };

    parse_event fail(close_code code, char const* reason) noexcept;
    parse_event check_first_bytes() noexcept;
    parse_event check_header() noexcept;
    parse_event finish_frame();

    role role_;
    std::size_t max_message_bytes_;
    state state_ = state::header;

    // The frame being parsed.
    unsigned char header_[14];
    std::uint8_t header_have_ = 0;
    std::uint8_t header_need_ = 2;
    bool fin_ = false;
    opcode opcode_ = opcode::continuation;
    bool masked_ = false;
    unsigned char mask_[4] = {};
    std::uint64_t remaining_ = 0; // payload bytes still to come
    std::uint64_t payload_pos_ = 0;

    // The data message being assembled, possibly from fragments.
    bool in_message_ = false;
    bool message_done_ = false; // message() was handed out: clear it on the next call
    std::string message_;
    text::utf8_validator utf8_;

    std::string control_;
    close_code close_code_ = close_code::none;
    close_code error_code_ = close_code::none;
    char const* error_reason_ = "";
};

// XORs `data` with the 4-byte mask, starting at byte `offset` of the masked payload.
void apply_mask(char* data, std::size_t size, unsigned char const mask[4],
                std::uint64_t offset) noexcept;

// Appends one final client-role (masked) frame to `out`.
void append_masked_frame(std::string& out, opcode op, std::string_view payload, std::uint32_t mask);

} // namespace parley::ws::detail
