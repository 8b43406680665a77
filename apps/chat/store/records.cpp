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

} // namespace parley::chat_app
