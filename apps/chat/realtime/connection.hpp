// One WebSocket client of the chat protocol (docs/protocol.md): authentication by the first
// frame, then join / leave / message / typing / ping. Frames of one session are handled one at a
// time (ws::handler's contract); room events reach the session through the room hub, not here.
#pragma once

#include "chat/state.hpp"
#include "parley/auth/identity.hpp"
#include "parley/ws/session.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace parley::chat_app {

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
    net::awaitable<void> authenticate(ws::session& s, boost::json::object const& frame);
    net::awaitable<void> join(ws::session& s, boost::json::object const& frame);
    void leave(ws::session& s, boost::json::object const& frame);
    net::awaitable<void> message(ws::session& s, boost::json::object const& frame);
    void typing(ws::session& s, boost::json::object const& frame);

    bool joined(std::int64_t room_id) const;
    // Leaves the room locally: hub, presence and the room's user_left / online_users events.
    void depart(std::uint64_t session_id, std::int64_t room_id);
    void announce_departure(std::int64_t room_id);

    std::shared_ptr<chat_state> app_;
    std::optional<auth::identity> user_; // set once by the auth frame
    std::atomic<bool> authenticated_{false};
    std::weak_ptr<ws::session> session_;
    std::shared_ptr<net::steady_timer> auth_timer_;
    mutable std::mutex rooms_mutex_; // rooms_ is also changed by evicted(), from other threads
    std::unordered_set<std::int64_t> rooms_;
    std::unordered_map<std::int64_t, clock::time_point> last_typing_;
};

} // namespace parley::chat_app

namespace parley::chat_app {

// Removes the user's live sessions from the room (after losing membership): each gets a `left`
// frame with reason "removed", and the room hears user_left / online_users.
void evict_user(chat_state& app, std::int64_t room_id, std::int64_t user_id);

} // namespace parley::chat_app
