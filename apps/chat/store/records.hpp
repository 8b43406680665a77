// What the chat store holds, as plain values described for json::write (the original's fields
// plus seq and client_id for messages, last_seq for rooms).
#pragma once

#include "parley/store/value.hpp"

#include <boost/describe/class.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace parley::chat_app {

struct room {
    std::int64_t id = 0;
    std::string name;
    std::string description;
    std::optional<std::int64_t> created_by; // none for the General room
    std::string created_at;
    bool is_private = false;
    std::int64_t last_seq = 0;
};
BOOST_DESCRIBE_STRUCT(room, (),
                      (id, name, description, created_by, created_at, is_private, last_seq))

struct message_record {
    std::int64_t id = 0;
    std::int64_t room_id = 0;
    std::int64_t seq = 0;
    std::int64_t user_id = 0;
    std::string username;
    std::string content;
    std::string timestamp;
    bool is_file = false;
    std::optional<std::string> file_url;
    std::string client_id;
};
BOOST_DESCRIBE_STRUCT(message_record, (),
                      (id, room_id, seq, user_id, username, content, timestamp, is_file, file_url,
                       client_id))

// Column lists that the row readers below expect, in this order.
inline constexpr char const* room_columns =
    "id, name, description, created_by, created_at, is_private, last_seq";
inline constexpr char const* message_columns =
    "id, room_id, seq, user_id, username, content, timestamp, is_file, file_url, client_id";

room room_from(store::row const& r);
message_record message_from(store::row const& r);

} // namespace parley::chat_app
