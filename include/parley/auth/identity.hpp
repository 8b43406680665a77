// Who a request or WebSocket session acts for, as established from a verified token.
#pragma once

#include <cstdint>
#include <string>

namespace parley::auth {

struct identity {
    std::int64_t user_id = 0;
    std::string username;
    bool is_admin = false;
    // The verified token's iat and exp claims, in Unix seconds (0 when not from a token). A
    // WebSocket closes at expires_at; revocations compare issued_at (auth/revocation.hpp).
    std::int64_t issued_at = 0;
    std::int64_t expires_at = 0;
};

} // namespace parley::auth
