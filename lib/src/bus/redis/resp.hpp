// RESP2 both ways: commands encoded as arrays of bulk strings, replies parsed by hiredis's reader
// (hiredis/read.h: bytes in, values out, no I/O) into a flat, reused list of nodes.
#pragma once

#include "parley/bus/bus.hpp"
#include "parley/bus/redis.hpp"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;
struct redisReadTask;

namespace parley::bus::redis::detail {

// One value of a reply. A reply is its nodes in pre-order: an array node (`integer` = number of
// elements) is followed by its elements.
struct node {
    reply::kind type = reply::kind::nil;
    std::int64_t integer = 0;
    std::string text; // status, error or bulk string (its capacity is reused from reply to reply)
    payload shared;   // instead of `text`: the payload of a pub/sub message, built once
};

class resp_reader {
public:
    // share_message_payloads: the payload of ["message", channel, payload] (and of "pmessage")
    // goes to node::shared, ready to hand to subscribers without a copy.
    explicit resp_reader(std::size_t max_reply_bytes, bool share_message_payloads = false);
    ~resp_reader();
    resp_reader(resp_reader const&) = delete;
    resp_reader& operator=(resp_reader const&) = delete;

    // Forgets every byte and the error: for a new connection.
    void reset();

    enum class status { reply, incomplete, error };
    // Appends bytes; parse them with next().
    void feed(std::string_view bytes);
    // The next complete reply (nodes() until the next call), or incomplete, or error (the stream
    // is broken for good: error_message() says why).
    status next();
    std::span<node const> nodes() const noexcept { return {nodes_.data(), used_}; }
    std::string const& error_message() const noexcept { return error_; }
    // Bytes fed but not yet part of a returned reply.
    std::size_t buffered_bytes() const noexcept;

    // Feeds `bytes` in slices (hiredis moves its unread bytes after every reply: slices keep that
    // cheap) and calls on_reply(nodes) for each reply: false from it stops. False when the stream
    // is broken or on_reply stopped.
    template <class F> bool consume(std::string_view bytes, F&& on_reply)
    {
        constexpr std::size_t slice = 4096;
        while (!bytes.empty()) {
            auto const n = std::min(slice, bytes.size());
            feed(bytes.substr(0, n));
            bytes.remove_prefix(n);
            for (;;) {
                auto const s = next();
                if (s == status::incomplete)
                    break;
                if (s == status::error || !on_reply(nodes()))
                    return false;
            }
        }
        return true;
    }

private:
    static void* create_string(redisReadTask const* task, char* text, std::size_t size);
    static void* create_array(redisReadTask const* task, int elements);
    static void* create_integer(redisReadTask const* task, long long value);
    static void* create_nil(redisReadTask const* task);
    static void free_object(void*) {}
    node* add(redisReadTask const* task, reply::kind type, std::size_t bytes);

    redisReader* reader_ = nullptr;
    std::size_t max_reply_bytes_;
    bool share_payloads_;
    std::vector<node> nodes_; // [0, used_) is the reply being built or returned
    std::size_t used_ = 0;
    std::size_t reply_bytes_ = 0;
    bool too_large_ = false;
    std::string error_;
};

// The tree of one reply's nodes.
reply to_reply(std::span<node const> nodes);

// Encoded size and encoding of a command (an array of bulk strings).
std::size_t encoded_size(std::span<std::string_view const> args) noexcept;
void append_command(std::string& out, std::span<std::string_view const> args);

// The reader on a whole byte string, for fuzzing and tests: every reply until the bytes end or
// the stream breaks. chunk_bytes > 0 feeds that many bytes at a time (the replies must not
// depend on it). Never throws on any input except std::bad_alloc.
struct parse_result {
    std::vector<reply> replies;
    bool error = false; // the bytes are not RESP2 (error_message says why)
    std::string error_message;
    std::size_t incomplete_bytes = 0; // a reply begun but not finished
};
parse_result parse(std::string_view bytes, std::size_t chunk_bytes = 0,
                   std::size_t max_reply_bytes = 64 * 1024 * 1024);

} // namespace parley::bus::redis::detail
