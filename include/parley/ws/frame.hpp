// An outgoing server frame, encoded once (header + payload, unmasked) and shared immutably by
// every session it goes to: fan-out copies a pointer, never the bytes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace parley::ws {

class frame {
public:
    frame() = default;
    // A complete text message as one final frame.
    static frame text(std::string_view payload);
    static frame ping(std::string_view payload = {});
    static frame pong(std::string_view payload);
    static frame close(std::uint16_t code, std::string_view reason);
    // Bytes already encoded as (the rest of) a frame: what a partial socket write left over.
    static frame encoded(std::string_view wire);

    // The bytes on the wire.
    std::string_view wire() const noexcept
    {
        return wire_ ? std::string_view(*wire_) : std::string_view();
    }
    std::size_t size() const noexcept { return wire_ ? wire_->size() : 0; }
    explicit operator bool() const noexcept { return wire_ != nullptr; }

private:
    explicit frame(std::shared_ptr<std::string const> wire) : wire_(std::move(wire)) {}
    std::shared_ptr<std::string const> wire_;
};

} // namespace parley::ws
