#include "auth/throttle/login_throttle.hpp"

#include <algorithm>
#include <cctype>

namespace parley::auth_app {

namespace {

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

// Seconds until `key` may try again, 0 when it may now.
std::int64_t wait_for(store::connection& c, std::string const& key, throttle_rule const& rule,
                      std::int64_t now)
{
    auto r = c.query_one(
        "SELECT failures, window_start FROM login_failures WHERE throttle_key = $1", {key});
    if (!r)
        return 0;
    auto failures = r->get<std::int64_t>(0);
    auto window_end = r->get<std::int64_t>(1) + rule.window.count();
    if (failures < rule.max_failures || window_end <= now)
        return 0;
    return window_end - now;
}

// One more failure in the current window, or the first of a new one. One statement, so that
// concurrent failures on several replicas all count (PostgreSQL and SQLite both have upsert).
void count_failure(store::connection& c, std::string const& key, throttle_rule const& rule,
                   std::int64_t now)
{
    c.execute(
        "INSERT INTO login_failures (throttle_key, failures, window_start) VALUES ($1, 1, $2) "
        "ON CONFLICT (throttle_key) DO UPDATE SET "
        " failures = CASE WHEN login_failures.window_start <= $3 THEN 1"
        "                 ELSE login_failures.failures + 1 END,"
        " window_start = CASE WHEN login_failures.window_start <= $3 THEN $2"
        "                     ELSE login_failures.window_start END",
        {key, now, now - rule.window.count()});
}

} // namespace

net::awaitable<throttle_verdict> login_throttle::check(std::string const& account,
                                                       std::string const& address)
{
    auto const now = unix_now();
    auto look = [&](store::connection& c) {
        return std::max(wait_for(c, account_key(account), account_, now),
                        wait_for(c, address_key(address), address_, now));
    };
    auto wait = co_await db_.run(look);
    co_return throttle_verdict{.blocked = wait > 0, .retry_after = std::chrono::seconds(wait)};
}

net::awaitable<void> login_throttle::record_failure(std::string const& account,
                                                    std::string const& address)
{
    auto const now = unix_now();
    auto record = [&](store::connection& c) {
        count_failure(c, account_key(account), account_, now);
        count_failure(c, address_key(address), address_, now);
        // Forget windows that ended long ago, so random usernames do not pile up.
        auto const longest = std::max(account_.window, address_.window).count();
        c.execute("DELETE FROM login_failures WHERE window_start < $1", {now - 2 * longest});
    };
    co_await db_.run(record);
}

net::awaitable<void> login_throttle::clear_account(std::string const& account)
{
    auto clear = [&](store::connection& c) {
        c.execute("DELETE FROM login_failures WHERE throttle_key = $1", {account_key(account)});
    };
    co_await db_.run(clear);
}

} // namespace parley::auth_app
