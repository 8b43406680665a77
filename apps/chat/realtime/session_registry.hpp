// Every authenticated WebSocket session of this process, by user: where room list events
// (fanout/room_events.hpp) and revocations (a deactivated user's sessions close with 4001) find
// the sessions of the users they concern. Not on the message path: rooms have the hub.
#pragma once

#include "parley/ws/session.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

namespace parley::chat_app {

struct registered_session {
    std::weak_ptr<ws::session> session;
    std::int64_t user_id = 0;
    bool is_admin = false;
    std::int64_t issued_at = 0; // the iat of the token the session authenticated with last
};

class session_registry {
public:
    void add(std::uint64_t session_id, registered_session s);
    // After a re-authentication: the new token's claims.
    void update(std::uint64_t session_id, bool is_admin, std::int64_t issued_at);
    void remove(std::uint64_t session_id);

    // Live sessions of everyone, or of the listed users plus (when `admins`) every admin.
    std::vector<registered_session> select(bool everyone, bool admins,
                                           std::span<std::int64_t const> users) const;
    // Closes the user's sessions for which `revoked(issued_at)` holds; returns how many.
    std::size_t close_if(std::int64_t user_id, std::function<bool(std::int64_t)> const& revoked,
                         ws::close_code code, std::string_view reason) const;

    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, registered_session> sessions_;
    std::unordered_map<std::int64_t, std::vector<std::uint64_t>> by_user_;
};

} // namespace parley::chat_app
