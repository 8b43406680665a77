#include "support/raw_ws.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace parley::test {

namespace {

constexpr unsigned char mask_key[4] = {0x5a, 0xc3, 0x17, 0x8e};

} // namespace

std::string raw_ws::frame(std::uint8_t op, std::string_view payload, frame_options o)
{
    std::string out;
    out += static_cast<char>((o.fin ? 0x80 : 0) | (o.rsv & 0x70) | (op & 0x0f));
    unsigned char const mask_bit = o.masked ? 0x80 : 0;
    std::uint64_t const n = payload.size();
    if (n < 126) {
        out += static_cast<char>(mask_bit | n);
    } else if (n <= 0xffff) {
        out += static_cast<char>(mask_bit | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xff);
    } else {
        out += static_cast<char>(mask_bit | 127);
        for (int i = 7; i >= 0; --i)
            out += static_cast<char>((n >> (8 * i)) & 0xff);
    }
    if (!o.masked)
        return out.append(payload);
    out.append(reinterpret_cast<char const*>(mask_key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out += static_cast<char>(payload[i] ^ mask_key[i % 4]);
    return out;
}

std::string raw_ws::close_payload(std::uint16_t code, std::string_view reason)
{
    std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    return p.append(reason);
}

std::uint16_t raw_ws::received::close_code() const
{
    if (payload.size() < 2)
        return 0;
    return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                      static_cast<unsigned char>(payload[1]));
}

std::string_view raw_ws::received::close_reason() const
{
    return payload.size() > 2 ? std::string_view(payload).substr(2) : std::string_view();
}

raw_ws::raw_ws(std::uint16_t port, std::string target, headers extra,
               std::chrono::milliseconds timeout)
    : timeout_(timeout)
{
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error("raw_ws: socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd_);
        throw std::runtime_error("raw_ws: connect to port " + std::to_string(port) + " failed");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n";
    for (auto const& [name, value] : extra)
        request += name + ": " + value + "\r\n";
    request += "\r\n";
    if (!write(request))
        throw std::runtime_error("raw_ws: could not send the upgrade request");
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
        if (!fill(buffer_.size() + 1))
            throw std::runtime_error("raw_ws: no handshake response; got: " + buffer_);
    response_ = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    if (response_.rfind("HTTP/1.1 101", 0) != 0)
        throw std::runtime_error("raw_ws: upgrade refused: " + response_);
}

raw_ws::~raw_ws()
{
    if (fd_ >= 0)
        ::close(fd_);
}

bool raw_ws::write(std::string_view bytes)
{
    while (!bytes.empty()) {
        auto const n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool raw_ws::write_bytewise(std::string_view bytes)
{
    for (char c : bytes) {
        if (!write(std::string_view(&c, 1)))
            return false;
        // Give the server a chance to read each byte on its own.
        ::usleep(200);
    }
    return true;
}

void raw_ws::shutdown_write()
{
    ::shutdown(fd_, SHUT_WR);
}

bool raw_ws::fill(std::size_t n)
{
    auto const deadline = std::chrono::steady_clock::now() + timeout_;
    while (buffer_.size() < n) {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out_ = true;
            return false;
        }
        pollfd p{fd_, POLLIN, 0};
        int const r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            timed_out_ = true;
            return false;
        }
        char chunk[16 * 1024];
        auto const got = ::recv(fd_, chunk, sizeof chunk, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false; // closed or reset
        buffer_.append(chunk, static_cast<std::size_t>(got));
    }
    return true;
}

std::optional<raw_ws::received> raw_ws::read_frame()
{
    if (!fill(2))
        return std::nullopt;
    auto const b0 = static_cast<unsigned char>(buffer_[0]);
    auto const b1 = static_cast<unsigned char>(buffer_[1]);
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7f;
    if (length == 126) {
        header = 4;
    } else if (length == 127) {
        header = 10;
    }
    bool const masked = b1 & 0x80;
    if (masked)
        header += 4;
    if (!fill(header))
        return std::nullopt;
    if (length == 126) {
        length =
            (static_cast<unsigned char>(buffer_[2]) << 8) | static_cast<unsigned char>(buffer_[3]);
    } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i)
            length = (length << 8) | static_cast<unsigned char>(buffer_[2 + i]);
    }
    if (length > 64 * 1024 * 1024)
        throw std::runtime_error("raw_ws: absurd frame length from the server");
    if (!fill(header + length))
        return std::nullopt;
    received f;
    f.fin = b0 & 0x80;
    f.rsv = b0 & 0x70;
    f.op = b0 & 0x0f;
    f.masked = masked;
    f.payload = buffer_.substr(header, length);
    if (masked)
        for (std::size_t i = 0; i < f.payload.size(); ++i)
            f.payload[i] = static_cast<char>(f.payload[i] ^ buffer_[header - 4 + i % 4]);
    buffer_.erase(0, header + length);
    return f;
}

int raw_ws::read_close_code(std::vector<received>* skipped)
{
    if (std::exchange(close_pending_, false))
        return last_close_->close_code();
    while (auto f = read_frame()) {
        if (f->op == close) {
            last_close_ = f;
            return f->close_code();
        }
        if (skipped)
            skipped->push_back(std::move(*f));
    }
    return -1;
}

bool raw_ws::read_eof()
{
    timed_out_ = false;
    if (!buffer_.empty())
        return false;
    if (fill(1))
        return false; // more bytes came
    return !timed_out_;
}

std::optional<std::string> raw_ws::read_text(std::vector<received>* control)
{
    while (auto f = read_frame()) {
        if (f->op == text)
            return std::move(f->payload);
        if (f->op == close) {
            last_close_ = f;
            close_pending_ = true;
            return std::nullopt;
        }
        if (control)
            control->push_back(std::move(*f));
    }
    return std::nullopt;
}

} // namespace parley::test
