// Failed-login throttling per account and per client address: after `max_failures` failures
// within `window`, further attempts are refused (429 with Retry-After) until the window that
// began with the first failure ends. A successful login clears the account's counter (not the
// address's: one attacker address guessing many accounts stays throttled).
//
// Each attempt is reserved before its password is checked, atomically in the auth store (one
// upsert per counter, under the row's lock), so attempts in flight count at once: 100 parallel
// guesses for one account, through any number of replicas sharing the store, let at most
// `max_failures` reach the password hash. A failed attempt keeps its reservation (it is the
// failure); a successful one gives it back; an attempt abandoned before the password was checked
// (store or hasher unavailable) gives it back too.
//
//   auto attempt = co_await throttle.reserve(account, address);
//   if (attempt.blocked) -> 429, retry after attempt.retry_after
//   ... check the password ...
//   wrong: nothing to do     right: co_await throttle.succeeded(attempt)
//   could not check: co_await throttle.abandon(attempt)
#pragma once

#include "parley/net.hpp"
#include "parley/store/database.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace parley::auth_app {

struct throttle_rule {
    std::int64_t max_failures = 5;
    std::chrono::seconds window{15 * 60};
};

// A reserved attempt (or the refusal of one).
struct login_attempt {
    bool blocked = false;
    std::chrono::seconds retry_after{0};
    // The counters the attempt was counted in, and the windows it was counted in.
    std::string account_key;
    std::string address_key;
    std::int64_t account_window = 0;
    std::int64_t address_window = 0;
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

    // Counts one attempt for this account (username, any case) and this address, or refuses it
    // when either has none left (then neither counts it).
    net::awaitable<login_attempt> reserve(std::string const& account, std::string const& address);
    // The password was right: the account's counter is cleared, the address's attempt given back.
    net::awaitable<void> succeeded(login_attempt const& attempt);
    // No password was checked: both attempts are given back.
    net::awaitable<void> abandon(login_attempt const& attempt);

private:
    net::awaitable<void> forget_old_windows(std::int64_t now);

    store::database& db_;
    throttle_rule account_;
    throttle_rule address_;
    std::atomic<std::int64_t> last_cleanup_{0};
};

} // namespace parley::auth_app
