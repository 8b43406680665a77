#include "chat/store/records.hpp"

namespace parley::chat_app {

room room_from(store::row const& r)
{
    return room{.id = r.get<std::int64_t>(0),
                .name = r.get<std::string>(1),
                .description = r.get<std::string>(2),
                .created_by = r.get<std::optional<std::int64_t>>(3),
                .created_at = r.get<std::string>(4),
                .is_private = r.get<bool>(5),
                .last_seq = r.get<std::int64_t>(6)};
}

message_record message_from(store::row const& r)
{
    return message_record{.id = r.get<std::int64_t>(0),
                          .room_id = r.get<std::int64_t>(1),
                          .seq = r.get<std::int64_t>(2),
                          .user_id = r.get<std::int64_t>(3),
                          .username = r.get<std::string>(4),
                          .content = r.get<std::string>(5),
                          .timestamp = r.get<std::string>(6),
                          .is_file = r.get<bool>(7),
                          .file_url = r.get<std::optional<std::string>>(8),
                          .client_id = r.get<std::string>(9)};
}

boost::json::object to_json(room const& r)
{
    boost::json::object o;
    o["id"] = r.id;
    o["name"] = r.name;
    o["description"] = r.description;
    if (r.created_by)
        o["created_by"] = *r.created_by;
    else
        o["created_by"] = nullptr;
    o["created_at"] = r.created_at;
    o["is_private"] = r.is_private;
    o["last_seq"] = r.last_seq;
    return o;
}

boost::json::object to_json(message_record const& m)
{
    boost::json::object o;
    o["id"] = m.id;
    o["content"] = m.content;
    o["user_id"] = m.user_id;
    o["username"] = m.username;
    o["room_id"] = m.room_id;
    o["timestamp"] = m.timestamp;
    o["is_file"] = m.is_file;
    if (m.file_url)
        o["file_url"] = *m.file_url;
    else
        o["file_url"] = nullptr;
    o["seq"] = m.seq;
    o["client_id"] = m.client_id;
    return o;
}

} // namespace parley::chat_app
