#include "auth/throttle/login_throttle.hpp"

#include "parley/log/log.hpp"

#include <algorithm>
#include <cctype>

namespace parley::auth_app {

namespace {

constexpr std::int64_t cleanup_interval_seconds = 60;

std::int64_t unix_now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string account_key(std::string const& account)
{
    std::string key = "account:" + account;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return key;
}

std::string address_key(std::string const& address)
{
    return "address:" + address;
}

struct reserved {
    std::int64_t wait = 0;         // seconds until `key` may try again; 0: reserved
    std::int64_t window_start = 0; // of the window the attempt was counted in
};

// One transaction per counter: it locks one row only, so concurrent reservations (and the
// cleanup) never wait for each other in a cycle.
//
// The upsert counts the attempt (the first of a new window when the old one ended) and returns
// the count under the row's lock: concurrent attempts on every replica see each other's. One
// beyond the limit is refused and taken back in the same transaction.
reserved reserve_in(store::connection& c, std::string const& key, throttle_rule const& rule,
                    std::int64_t now)
{
    auto r = c.query_one(
        "INSERT INTO login_failures (throttle_key, failures, window_start) VALUES ($1, 1, $2) "
        "ON CONFLICT (throttle_key) DO UPDATE SET "
        " failures = CASE WHEN login_failures.window_start <= $3 THEN 1"
        "                 ELSE login_failures.failures + 1 END,"
        " window_start = CASE WHEN login_failures.window_start <= $3 THEN $2"
        "                     ELSE login_failures.window_start END "
        "RETURNING failures, window_start",
        {key, now, now - rule.window.count()});
    auto const failures = r->get<std::int64_t>(0);
    auto const window_start = r->get<std::int64_t>(1);
    if (failures <= rule.max_failures)
        return {0, window_start};
    c.execute("UPDATE login_failures SET failures = failures - 1 WHERE throttle_key = $1", {key});
    return {std::max<std::int64_t>(1, window_start + rule.window.count() - now), window_start};
}

// Gives back one attempt counted in `window_start` (not one of a later window).
void give_back_in(store::connection& c, std::string const& key, std::int64_t window_start)
{
    c.execute("UPDATE login_failures SET failures = failures - 1 "
              "WHERE throttle_key = $1 AND window_start = $2 AND failures > 0",
              {key, window_start});
}

} // namespace

net::awaitable<login_attempt> login_throttle::reserve(std::string const& account,
                                                      std::string const& address)
{
    auto const now = unix_now();
    login_attempt attempt{.account_key = account_key(account), .address_key = address_key(address)};

    auto on_account = [&](store::connection& c) {
        return reserve_in(c, attempt.account_key, account_, now);
    };
    auto const a = co_await db_.run(on_account);
    if (a.wait > 0) {
        attempt.blocked = true;
        attempt.retry_after = std::chrono::seconds(a.wait);
        co_return attempt;
    }
    attempt.account_window = a.window_start;

    auto on_address = [&](store::connection& c) {
        return reserve_in(c, attempt.address_key, address_, now);
    };
    auto const b = co_await db_.run(on_address);
    if (b.wait > 0) {
        auto give_back = [&](store::connection& c) {
            give_back_in(c, attempt.account_key, attempt.account_window);
        };
        co_await db_.run(give_back);
        attempt.blocked = true;
        attempt.retry_after = std::chrono::seconds(b.wait);
        co_return attempt;
    }
    attempt.address_window = b.window_start;

    if (now - last_cleanup_.exchange(now) >= cleanup_interval_seconds)
        co_await forget_old_windows(now);
    co_return attempt;
}

net::awaitable<void> login_throttle::succeeded(login_attempt const& attempt)
{
    auto clear = [&](store::connection& c) {
        c.execute("DELETE FROM login_failures WHERE throttle_key = $1", {attempt.account_key});
    };
    co_await db_.run(clear);
    auto give_back = [&](store::connection& c) {
        give_back_in(c, attempt.address_key, attempt.address_window);
    };
    co_await db_.run(give_back);
}

net::awaitable<void> login_throttle::abandon(login_attempt const& attempt)
{
    auto on_account = [&](store::connection& c) {
        give_back_in(c, attempt.account_key, attempt.account_window);
    };
    auto on_address = [&](store::connection& c) {
        give_back_in(c, attempt.address_key, attempt.address_window);
    };
    try {
        co_await db_.run(on_account);
        co_await db_.run(on_address);
    } catch (std::exception const& e) {
        // The store is what failed in the first place, most likely: the attempt stays counted.
        log::warn("login attempt not given back", {{"error", e.what()}});
    }
}

// Windows that ended long ago, so that random usernames do not pile up (its own transaction).
net::awaitable<void> login_throttle::forget_old_windows(std::int64_t now)
{
    auto const longest = std::max(account_.window, address_.window).count();
    auto forget = [&](store::connection& c) {
        c.execute("DELETE FROM login_failures WHERE window_start < $1", {now - 2 * longest});
    };
    try {
        co_await db_.run(forget);
    } catch (std::exception const& e) {
        log::warn("old login throttle windows not removed", {{"error", e.what()}});
    }
}

} // namespace parley::auth_app
