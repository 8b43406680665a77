#include "bus/redis/resp.hpp"

#include <charconv>
#include <hiredis/read.h>
#include <new>

namespace parley::bus::redis::detail {

namespace {

// hiredis drops its buffer when it holds more than this unused; keeping a little more spares
// an allocation per large message.
constexpr std::size_t reader_spare_bytes = 256 * 1024;

std::size_t decimal_digits(std::size_t n) noexcept
{
    std::size_t digits = 1;
    while (n >= 10) {
        n /= 10;
        ++digits;
    }
    return digits;
}

void append_header(std::string& out, char type, std::size_t n)
{
    char digits[24];
    auto const end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.push_back(type);
    out.append(digits, end);
    out.append("\r\n", 2);
}

reply build(std::span<node const> nodes, std::size_t& i)
{
    reply r;
    if (i >= nodes.size())
        return r;
    node const& n = nodes[i++];
    r.type = n.type;
    switch (n.type) {
    case reply::kind::nil:
        break;
    case reply::kind::integer:
        r.integer = n.integer;
        break;
    case reply::kind::status:
    case reply::kind::error:
    case reply::kind::string:
        r.text = n.shared ? *n.shared : n.text;
        break;
    case reply::kind::array:
        // Every element is in `nodes` (only complete replies are built), so this is bounded.
        r.elements.reserve(
            std::min<std::size_t>(static_cast<std::size_t>(n.integer), nodes.size() - i));
        for (std::int64_t k = 0; k < n.integer && i < nodes.size(); ++k)
            r.elements.push_back(build(nodes, i));
        break;
    }
    return r;
}

} // namespace

resp_reader::resp_reader(std::size_t max_reply_bytes, bool share_message_payloads)
    : max_reply_bytes_(max_reply_bytes), share_payloads_(share_message_payloads)
{
    reset();
}

resp_reader::~resp_reader()
{
    redisReaderFree(reader_);
}

void resp_reader::reset()
{
    static redisReplyObjectFunctions functions = {&create_string, &create_array, &create_integer,
                                                  &create_nil, &free_object};
    redisReaderFree(reader_);
    reader_ = redisReaderCreateWithFunctions(&functions);
    if (!reader_)
        throw std::bad_alloc();
    reader_->maxbuf = reader_spare_bytes;
    reader_->privdata = this;
    used_ = 0;
    reply_bytes_ = 0;
    too_large_ = false;
    error_.clear();
}

void resp_reader::feed(std::string_view bytes)
{
    // Fails only on an earlier error (kept) or out of memory (next() reports it).
    redisReaderFeed(reader_, bytes.data(), bytes.size());
}

std::size_t resp_reader::buffered_bytes() const noexcept
{
    return reader_->len - reader_->pos;
}

resp_reader::status resp_reader::next()
{
    if (!error_.empty())
        return status::error;
    void* out = nullptr;
    if (redisReaderGetReply(reader_, &out) != REDIS_OK) {
        if (too_large_)
            error_ =
                "a reply is larger than max_reply_bytes (" + std::to_string(max_reply_bytes_) + ")";
        else
            error_ = reader_->errstr[0] ? reader_->errstr : "malformed reply";
        return status::error;
    }
    if (out)
        return status::reply;
    if (buffered_bytes() > max_reply_bytes_) {
        error_ =
            "a reply is larger than max_reply_bytes (" + std::to_string(max_reply_bytes_) + ")";
        return status::error;
    }
    return status::incomplete;
}

node* resp_reader::add(redisReadTask const* task, reply::kind type, std::size_t bytes)
{
    if (!task->parent) { // the first value of a new reply
        used_ = 0;
        reply_bytes_ = 0;
    }
    // Bounds the nodes of a huge array of tiny values, which hiredis consumes as it goes.
    reply_bytes_ += bytes + sizeof(node);
    if (reply_bytes_ > max_reply_bytes_) {
        too_large_ = true;
        return nullptr;
    }
    try {
        if (used_ == nodes_.size())
            nodes_.emplace_back();
    } catch (std::bad_alloc const&) {
        return nullptr; // hiredis reports "out of memory"
    }
    node& n = nodes_[used_++];
    n.type = type;
    n.integer = 0;
    n.text.clear();
    n.shared.reset();
    return &n;
}

// hiredis only checks the returned pointers for null; they are never read back.
void* resp_reader::create_string(redisReadTask const* task, char* text, std::size_t size)
{
    auto& self = *static_cast<resp_reader*>(task->privdata);
    auto const type = task->type == REDIS_REPLY_STATUS  ? reply::kind::status
                      : task->type == REDIS_REPLY_ERROR ? reply::kind::error
                                                        : reply::kind::string;
    // Is this the payload of ["message", channel, payload] or ["pmessage", pattern, channel,
    // payload]? The elements before it are already nodes 1, 2 (and 3).
    bool shared = false;
    if (self.share_payloads_ && type == reply::kind::string && task->parent &&
        !task->parent->parent && self.used_ >= 3) {
        auto const& root = self.nodes_[0];
        auto const& kind = self.nodes_[1];
        shared = root.type == reply::kind::array && kind.type == reply::kind::string &&
                 ((root.integer == 3 && task->idx == 2 && kind.text == "message") ||
                  (root.integer == 4 && task->idx == 3 && kind.text == "pmessage"));
    }
    auto* n = self.add(task, type, size);
    if (!n)
        return nullptr;
    try {
        if (shared)
            n->shared = std::make_shared<std::string const>(text, size);
        else
            n->text.assign(text, size);
    } catch (std::bad_alloc const&) {
        return nullptr;
    }
    return n;
}

void* resp_reader::create_array(redisReadTask const* task, int elements)
{
    auto* n = static_cast<resp_reader*>(task->privdata)->add(task, reply::kind::array, 0);
    if (n)
        n->integer = elements;
    return n;
}

void* resp_reader::create_integer(redisReadTask const* task, long long value)
{
    auto* n = static_cast<resp_reader*>(task->privdata)->add(task, reply::kind::integer, 0);
    if (n)
        n->integer = value;
    return n;
}

void* resp_reader::create_nil(redisReadTask const* task)
{
    return static_cast<resp_reader*>(task->privdata)->add(task, reply::kind::nil, 0);
}

reply to_reply(std::span<node const> nodes)
{
    std::size_t i = 0;
    return build(nodes, i);
}

std::size_t encoded_size(std::span<std::string_view const> args) noexcept
{
    std::size_t n = 1 + decimal_digits(args.size()) + 2;
    for (auto const a : args)
        n += 1 + decimal_digits(a.size()) + 2 + a.size() + 2;
    return n;
}

void append_command(std::string& out, std::span<std::string_view const> args)
{
    append_header(out, '*', args.size());
    for (auto const a : args) {
        append_header(out, '$', a.size());
        out.append(a);
        out.append("\r\n", 2);
    }
}

parse_result parse(std::string_view bytes, std::size_t chunk_bytes, std::size_t max_reply_bytes)
{
    parse_result out;
    resp_reader reader(max_reply_bytes, true);
    if (chunk_bytes == 0)
        chunk_bytes = bytes.size();
    for (;;) {
        auto const n = std::min(chunk_bytes, bytes.size());
        reader.feed(bytes.substr(0, n));
        bytes.remove_prefix(n);
        auto s = reader.next();
        for (; s == resp_reader::status::reply; s = reader.next())
            out.replies.push_back(to_reply(reader.nodes()));
        if (s == resp_reader::status::error) {
            out.error = true;
            out.error_message = reader.error_message();
            return out;
        }
        if (bytes.empty())
            break;
    }
    out.incomplete_bytes = reader.buffered_bytes();
    return out;
}

} // namespace parley::bus::redis::detail
