#include "chat/realtime/presence.hpp"

#include "parley/time/utc.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace parley::chat_app {

namespace {

class local_presence final : public presence {
public:
    bool add(std::int64_t room_id, std::int64_t user_id, std::string_view username) override
    {
        std::lock_guard lock(mutex_);
        auto& users = rooms_[room_id];
        auto it = std::find_if(users.begin(), users.end(),
                               [&](auto const& u) { return u.user.user_id == user_id; });
        if (it != users.end()) {
            ++it->sessions;
            return false;
        }
        users.push_back({online_user{user_id, std::string(username), utc_timestamp_ms()}, 1});
        return true;
    }

    bool remove(std::int64_t room_id, std::int64_t user_id) override
    {
        return drop(room_id, user_id, false);
    }
    bool remove_all(std::int64_t room_id, std::int64_t user_id) override
    {
        return drop(room_id, user_id, true);
    }

    std::vector<online_user> online(std::int64_t room_id) const override
    {
        std::vector<online_user> out;
        std::lock_guard lock(mutex_);
        if (auto it = rooms_.find(room_id); it != rooms_.end())
            for (auto const& u : it->second)
                out.push_back(u.user);
        return out;
    }

private:
    struct entry {
        online_user user;
        std::size_t sessions = 0;
    };

    bool drop(std::int64_t room_id, std::int64_t user_id, bool all)
    {
        std::lock_guard lock(mutex_);
        auto room = rooms_.find(room_id);
        if (room == rooms_.end())
            return false;
        auto& users = room->second;
        auto it = std::find_if(users.begin(), users.end(),
                               [&](auto const& u) { return u.user.user_id == user_id; });
        if (it == users.end())
            return false;
        if (!all && --it->sessions > 0)
            return false;
        users.erase(it);
        if (users.empty())
            rooms_.erase(room);
        return true;
    }

    mutable std::mutex mutex_;
    std::unordered_map<std::int64_t, std::vector<entry>> rooms_;
};

} // namespace

std::unique_ptr<presence> make_local_presence()
{
    return std::make_unique<local_presence>();
}

} // namespace parley::chat_app
