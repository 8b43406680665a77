#include "chat/realtime/events.hpp"

#include "parley/json/json.hpp"
#include "parley/time/utc.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace parley::chat_app::events {

namespace bj = boost::json;

std::string new_message(message_record const& m)
{
    auto o = json::write(m);
    o.as_object().emplace("type", "new_message");
    return json::serialize(o);
}

namespace {

std::string membership(char const* type, std::int64_t room_id, std::int64_t user_id,
                       std::string_view username, char const* verb)
{
    bj::object o;
    o["type"] = type;
    o["room_id"] = room_id;
    o["user_id"] = user_id;
    o["username"] = username;
    o["message"] = std::string(username) + verb;
    return json::serialize(o);
}

} // namespace

std::string user_joined(std::int64_t room_id, std::int64_t user_id, std::string_view username)
{
    return membership("user_joined", room_id, user_id, username, " joined the room");
}

std::string user_left(std::int64_t room_id, std::int64_t user_id, std::string_view username)
{
    return membership("user_left", room_id, user_id, username, " left the room");
}

std::string online_users(std::int64_t room_id, std::vector<online_user> const& users)
{
    bj::array list;
    list.reserve(users.size());
    for (auto const& u : users)
        list.push_back(bj::object{{"user_id", u.user_id}, {"username", u.username}});
    bj::object o;
    o["type"] = "online_users";
    o["room_id"] = room_id;
    o["users"] = std::move(list);
    return json::serialize(o);
}

std::string user_typing(std::int64_t room_id, std::int64_t user_id, std::string_view username,
                        bool is_typing)
{
    bj::object o;
    o["type"] = "user_typing";
    o["user_id"] = user_id;
    o["room_id"] = room_id;
    o["username"] = username;
    o["is_typing"] = is_typing;
    return json::serialize(o);
}

namespace {

// When the session's token expires (and the session closes with 4001 unless re-authenticated).
std::string expiry_of(auth::identity const& user)
{
    return utc_timestamp(
        std::chrono::system_clock::time_point(std::chrono::seconds(user.expires_at)));
}

} // namespace

std::string connected(auth::identity const& user)
{
    bj::object o;
    o["type"] = "connected";
    o["user"] = bj::object{
        {"user_id", user.user_id}, {"username", user.username}, {"is_admin", user.is_admin}};
    bj::array list;
    for (auto f : features)
        list.emplace_back(f);
    o["features"] = std::move(list);
    o["expires_at"] = expiry_of(user);
    return json::serialize(o);
}

std::string authenticated(auth::identity const& user)
{
    bj::object o;
    o["type"] = "authenticated";
    o["user"] = bj::object{
        {"user_id", user.user_id}, {"username", user.username}, {"is_admin", user.is_admin}};
    o["expires_at"] = expiry_of(user);
    return json::serialize(o);
}

std::string joined(std::int64_t room_id, std::int64_t last_seq, bool truncated)
{
    bj::object o;
    o["type"] = "joined";
    o["room_id"] = room_id;
    o["last_seq"] = last_seq;
    if (truncated)
        o["truncated"] = true;
    return json::serialize(o);
}

std::string left(std::int64_t room_id, std::string_view reason)
{
    bj::object o;
    o["type"] = "left";
    o["room_id"] = room_id;
    if (!reason.empty())
        o["reason"] = reason;
    return json::serialize(o);
}

std::string ack(message_record const& m, bool duplicate)
{
    bj::object o;
    o["type"] = "ack";
    o["client_id"] = m.client_id;
    o["room_id"] = m.room_id;
    o["seq"] = m.seq;
    o["id"] = m.id;
    o["timestamp"] = m.timestamp;
    if (duplicate)
        o["duplicate"] = true;
    return json::serialize(o);
}

std::string pong()
{
    return R"({"type":"pong"})";
}

std::string error(error_info const& e)
{
    bj::object o;
    o["type"] = "error";
    o["code"] = e.code;
    o["message"] = e.message;
    if (e.room_id != 0)
        o["room_id"] = e.room_id;
    if (!e.client_id.empty())
        o["client_id"] = e.client_id;
    if (e.retry_after_ms >= 0)
        o["retry_after_ms"] = e.retry_after_ms;
    return json::serialize(o);
}

} // namespace parley::chat_app::events
