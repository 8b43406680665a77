#include "chat/realtime/session_registry.hpp"

#include <algorithm>
#include <unordered_set>

namespace parley::chat_app {

void session_registry::add(std::uint64_t session_id, registered_session s)
{
    std::lock_guard lock(mutex_);
    auto const user_id = s.user_id;
    if (sessions_.insert_or_assign(session_id, std::move(s)).second)
        by_user_[user_id].push_back(session_id);
}

void session_registry::update(std::uint64_t session_id, bool is_admin, std::int64_t issued_at)
{
    std::lock_guard lock(mutex_);
    if (auto it = sessions_.find(session_id); it != sessions_.end()) {
        it->second.is_admin = is_admin;
        it->second.issued_at = issued_at;
    }
}

void session_registry::remove(std::uint64_t session_id)
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end())
        return;
    auto user = by_user_.find(it->second.user_id);
    if (user != by_user_.end()) {
        std::erase(user->second, session_id);
        if (user->second.empty())
            by_user_.erase(user);
    }
    sessions_.erase(it);
}

std::vector<registered_session> session_registry::select(bool everyone, bool admins,
                                                         std::span<std::int64_t const> users) const
{
    std::vector<registered_session> out;
    std::lock_guard lock(mutex_);
    if (everyone || admins) {
        std::unordered_set<std::int64_t> const listed(users.begin(), users.end());
        for (auto const& [id, s] : sessions_)
            if (everyone || s.is_admin || listed.contains(s.user_id))
                out.push_back(s);
        return out;
    }
    std::unordered_set<std::int64_t> seen;
    for (auto user_id : users) {
        if (!seen.insert(user_id).second)
            continue;
        if (auto it = by_user_.find(user_id); it != by_user_.end())
            for (auto id : it->second)
                out.push_back(sessions_.at(id));
    }
    return out;
}

std::size_t session_registry::close_if(std::int64_t user_id,
                                       std::function<bool(std::int64_t)> const& revoked,
                                       ws::close_code code, std::string_view reason) const
{
    std::vector<std::shared_ptr<ws::session>> closing;
    {
        std::lock_guard lock(mutex_);
        if (auto it = by_user_.find(user_id); it != by_user_.end())
            for (auto id : it->second) {
                auto const& s = sessions_.at(id);
                if (revoked(s.issued_at))
                    if (auto live = s.session.lock())
                        closing.push_back(std::move(live));
            }
    }
    for (auto const& s : closing)
        s->close(code, reason);
    return closing.size();
}

std::size_t session_registry::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

} // namespace parley::chat_app
