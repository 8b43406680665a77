// Failed-login throttling per account and per client address: after `max_failures` failures
// within `window`, further attempts are refused (429 with Retry-After) until the window that
// began with the first failure ends. Counters live in the auth store, so that replicas sharing
// the store share the counts. A successful login clears the account's counter (not the
// address's: one attacker address guessing many accounts stays throttled).
#pragma once

#include "parley/net.hpp"
#include "parley/store/database.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace parley::auth_app {

struct throttle_rule {
    std::int64_t max_failures = 5;
    std::chrono::seconds window{15 * 60};
};

struct throttle_verdict {
    bool blocked = false;
    std::chrono::seconds retry_after{0};
};

class login_throttle {
public:
    struct rules {
        throttle_rule per_account{5, std::chrono::minutes(15)};
        throttle_rule per_address{20, std::chrono::minutes(15)};
    };

    login_throttle(store::database& db, throttle_rule per_account, throttle_rule per_address)
        : db_(db), account_(per_account), address_(per_address)
    {}

    // Whether an attempt for this account (lower-cased username) from this address may proceed.
    net::awaitable<throttle_verdict> check(std::string const& account, std::string const& address);
    net::awaitable<void> record_failure(std::string const& account, std::string const& address);
    net::awaitable<void> clear_account(std::string const& account);

private:
    store::database& db_;
    throttle_rule account_;
    throttle_rule address_;
};

} // namespace parley::auth_app
