// A WebSocket client that writes exactly the bytes a test gives it, for conformance tests of
// what a server does with frames no real client would send (blocking POSIX socket, every wait
// bounded). Independent of the parley code under test: its own handshake, its own frame reader.
//
//   raw_ws c(port);                                    // handshake to /ws
//   c.write(raw_ws::frame(raw_ws::text, "hello"));     // masked, final
//   auto f = c.read_frame();                           // the server's next frame
//   BOOST_TEST(c.read_close_code() == 1002);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::test {

class raw_ws {
public:
    enum opcode : std::uint8_t {
        continuation = 0x0,
        text = 0x1,
        binary = 0x2,
        close = 0x8,
        ping = 0x9,
        pong = 0xA,
    };

    struct frame_options {
        bool fin = true;
        bool masked = true;
        std::uint8_t rsv = 0; // RSV1..3 as bits 0x40, 0x20, 0x10
    };

    // One encoded frame (client role: masked unless told otherwise). `op` may be any 4-bit
    // value, including reserved ones.
    static std::string frame(std::uint8_t op, std::string_view payload, frame_options o);
    static std::string frame(std::uint8_t op, std::string_view payload = {})
    {
        return frame(op, payload, frame_options{});
    }
    // A close frame's payload: the code (big-endian) and the reason.
    static std::string close_payload(std::uint16_t code, std::string_view reason = {});

    struct received {
        bool fin = true;
        std::uint8_t rsv = 0;
        std::uint8_t op = 0;
        bool masked = false;
        std::string payload;
        // For close frames: the code (0 when the payload is empty) and reason.
        std::uint16_t close_code() const;
        std::string_view close_reason() const;
    };

    using headers = std::vector<std::pair<std::string, std::string>>;

    // Connects to 127.0.0.1:port and completes the opening handshake on `target` (throws with
    // the response when the server does not answer 101).
    explicit raw_ws(std::uint16_t port, std::string target = "/ws", headers extra = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~raw_ws();
    raw_ws(raw_ws const&) = delete;
    raw_ws& operator=(raw_ws const&) = delete;

    // The handshake response (status line and headers).
    std::string const& handshake_response() const noexcept { return response_; }

    // Writes all of `bytes` (false if the server closed or reset the connection first).
    bool write(std::string_view bytes);
    // Writes `bytes` one byte per send() (TCP_NODELAY is on): the server's reads see every split.
    bool write_bytewise(std::string_view bytes);
    // Half-closes the connection (our FIN).
    void shutdown_write();

    // The next frame, or nothing when the server closed the TCP connection (or after `timeout`,
    // which sets timed_out()).
    std::optional<received> read_frame();
    // Skips frames until the server's close frame; returns its code (0 for an empty close, -1 if
    // the connection ended without one, or on timeout). `skipped` collects the frames skipped.
    // A close frame read_text() stopped at is returned first.
    int read_close_code(std::vector<received>* skipped = nullptr);
    // True when the server closes the TCP connection within the timeout with nothing more to
    // read (what must follow the closing handshake).
    bool read_eof();
    // The next text message (skipping pings and pongs, collected in `control`); nothing when a
    // close frame or the end of the connection came first (then last_close() tells).
    std::optional<std::string> read_text(std::vector<received>* control = nullptr);
    std::optional<received> const& last_close() const noexcept { return last_close_; }

    bool timed_out() const noexcept { return timed_out_; }
    void set_timeout(std::chrono::milliseconds t) noexcept { timeout_ = t; }

private:
    bool fill(std::size_t n); // until buffer_ holds n bytes
    int fd_ = -1;
    std::chrono::milliseconds timeout_;
    std::string buffer_;
    std::string response_;
    bool timed_out_ = false;
    std::optional<received> last_close_;
    bool close_pending_ = false; // read_text() stopped at last_close_
};

} // namespace parley::test
