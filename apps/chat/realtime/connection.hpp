// One WebSocket client of the chat protocol (docs/protocol.md): authentication by the first
// frame (and re-authentication by later ones), then join / leave / message / typing / ping, each
// within the user's frame budget. Frames of one session are handled one at a time
// (ws::handler's contract); room events reach the session through the room hub, room list
// events through the session registry, not here.
#pragma once

#include "chat/state.hpp"
#include "parley/auth/identity.hpp"
#include "parley/ws/session.hpp"

#include <atomic>
#include <boost/describe/class.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace parley::chat_app {

// The client's frames after the first (docs/protocol.md), read with json::read.
struct join_frame {
    std::int64_t room_id = 0;
    std::optional<std::int64_t> last_seq; // replay what came after it
};
BOOST_DESCRIBE_STRUCT(join_frame, (), (room_id, last_seq))
struct leave_frame {
    std::int64_t room_id = 0;
};
BOOST_DESCRIBE_STRUCT(leave_frame, (), (room_id))
struct message_frame {
    std::int64_t room_id = 0;
    std::string client_id;
    std::string content;
};
BOOST_DESCRIBE_STRUCT(message_frame, (), (room_id, client_id, content))
struct typing_frame {
    std::int64_t room_id = 0;
    bool is_typing = false;
};
BOOST_DESCRIBE_STRUCT(typing_frame, (), (room_id, is_typing))

class connection final : public ws::handler,
                         public room_listener,
                         public std::enable_shared_from_this<connection> {
public:
    explicit connection(std::shared_ptr<chat_state> app) : app_(std::move(app)) {}

    net::awaitable<void> on_open(ws::session& s) override;
    net::awaitable<void> on_text(ws::session& s, std::string_view message) override;
    void on_close(ws::session& s, ws::close_code code) override;
    void evicted(std::int64_t room_id) override;

private:
    void authenticate(ws::session& s, std::string_view token);
    void reauthenticate(ws::session& s, std::string_view token);
    // The session closes with 4001 when the token expires (unless re-authenticated first).
    void close_at_expiry(ws::session& s);
    // A frame over the user's budget: an error frame, and 4029 when the client keeps going.
    void refuse(ws::session& s, std::chrono::milliseconds retry_after, std::int64_t room_id,
                std::string_view client_id);
    net::awaitable<void> join(ws::session& s, join_frame const& frame);
    net::awaitable<void> rejoin(ws::session& s, std::int64_t room_id);
    void leave(ws::session& s, leave_frame const& frame);
    net::awaitable<void> message(ws::session& s, message_frame const& frame);
    void typing(ws::session& s, typing_frame const& frame);
    void pong(ws::session& s);

    bool joined(std::int64_t room_id) const;
    // Leaves the room locally: hub, presence and the room's user_left / online_users events.
    void depart(std::uint64_t session_id, std::int64_t room_id);

    std::shared_ptr<chat_state> app_;
    std::optional<auth::identity> user_; // set by the auth frame, renewed by re-authentication
    std::atomic<bool> authenticated_{false};
    std::weak_ptr<ws::session> session_;
    mutable std::mutex rooms_mutex_; // rooms_ is also changed by evicted(), from other threads
    // Sorted. A client is in a few rooms: a vector costs one small block per connection, a hash
    // set a bucket array as well.
    std::vector<std::int64_t> rooms_;
    // Frames refused in the current window (4029 past settings.max_refused_frames).
    clock::time_point refused_since_{};
    std::size_t refused_ = 0;
};

} // namespace parley::chat_app
