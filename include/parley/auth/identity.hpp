// Who a request or WebSocket session acts for, as established from a verified token.
#pragma once

#include <cstdint>
#include <string>

namespace parley::auth {

struct identity {
    std::int64_t user_id = 0;
    std::string username;
    bool is_admin = false;
};

} // namespace parley::auth
