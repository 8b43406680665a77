// Token revocation. Tokens are verified locally (no call to auth per request), so a token cannot
// be taken back by auth alone: auth keeps, per user, the time before which the user's tokens no
// longer count (a deactivated user: all of them), and every service holds a copy of that list,
// polled from auth's GET /internal/revocations (with the service credential) every second, and
// refuses a revoked token like an invalid one.
//
//   auto revoked = auth::revocations_from_auth(cfg, rt);          // polled; stops with rt
//   server.set_authenticator(auth::authenticator_for(verifier, revoked));
//   revoked->on_change([](auto const& users) { /* close their WebSockets */ });
//
// Entries only grow (a later revocation of the same user moves not_before forward) and are
// dropped after revocation_horizon, when no token they match can still verify.
#pragma once

#include "parley/auth/identity.hpp"
#include "parley/auth/token.hpp"
#include "parley/config/config.hpp"
#include "parley/http/context.hpp"
#include "parley/net.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley {
class runtime;
}

namespace parley::auth {

// not_before of a deactivated user: every token of theirs is refused.
inline constexpr std::int64_t all_tokens = std::numeric_limits<std::int64_t>::max();

// The longest token lifetime (PARLEY_JWT_LIFETIME is at most 30 days) plus the verifiers'
// leeway: a revocation older than this matches no token that still verifies.
inline constexpr std::chrono::seconds revocation_horizon =
    std::chrono::hours(24 * 30) + std::chrono::seconds(60);

struct revocation {
    std::int64_t user_id = 0;
    std::int64_t not_before = 0; // the user's tokens with iat < not_before are refused
    std::int64_t revoked_at = 0; // Unix seconds
};

// The current Unix time in seconds.
std::int64_t unix_seconds() noexcept;

// Thread-safe: read by every request's authenticator, merged into by the poller.
class revocation_list {
public:
    bool revoked(std::int64_t user_id, std::int64_t issued_at) const;
    bool revoked(identity const& who) const { return revoked(who.user_id, who.issued_at); }

    // Merges entries (a user's not_before only moves forward), drops entries older than the
    // horizon, and tells the listener which users' revocation moved. Returns those users.
    std::vector<std::int64_t> merge(std::span<revocation const> entries);
    std::vector<std::int64_t> merge(std::span<revocation const> entries, std::int64_t now);

    // Told (after merge, on the merging thread) of the users whose tokens were just revoked,
    // e.g. to close their WebSockets. Set before the list is shared.
    void on_change(std::function<void(std::vector<std::int64_t> const& users)> listener);

    std::size_t size() const;

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::int64_t, revocation> entries_;
    std::function<void(std::vector<std::int64_t> const&)> listener_;
};

// The body of GET /internal/revocations: {"revocations":[{"user_id","not_before","revoked_at"}]}.
boost::json::object to_json(std::span<revocation const> entries);
// Nothing when the body is not that shape.
boost::system::result<std::vector<revocation>> revocations_from_json(std::string_view body);

// Keeps a list current: fetch() once at start and then every interval, merging what it returns.
// A failed fetch keeps the list as it is (logged once per run of failures).
class revocation_poller : public std::enable_shared_from_this<revocation_poller> {
public:
    using fetch_result = boost::system::result<std::vector<revocation>>;
    using fetch_fn = std::function<net::awaitable<fetch_result>()>;

    revocation_poller(net::any_io_executor executor, std::shared_ptr<revocation_list> list,
                      fetch_fn fetch, std::chrono::milliseconds interval);

    void start();
    void stop();

private:
    net::awaitable<void> loop();

    std::shared_ptr<revocation_list> list_;
    fetch_fn fetch_;
    std::chrono::milliseconds interval_;
    net::steady_timer timer_;
    std::atomic<bool> stopping_{false};
    bool failing_ = false;
};

// PARLEY_REVOCATION_POLL_INTERVAL (default 1s, 100ms to 1m).
std::chrono::milliseconds revocation_poll_interval_from_config(config const& cfg);

// The wiring every service but auth uses: a list polled from auth's GET /internal/revocations
// (PARLEY_AUTH_URL, comma-separated replicas; PARLEY_SERVICE_TOKEN) every
// PARLEY_REVOCATION_POLL_INTERVAL, started now and stopped with the runtime.
std::shared_ptr<revocation_list> revocations_from_auth(config const& cfg, runtime& rt);

// ctx.user() support: a bearer token -> identity through the verifier, unless revoked.
http::authenticator authenticator_for(std::shared_ptr<token_verifier const> verifier,
                                      std::shared_ptr<revocation_list const> revocations);

} // namespace parley::auth
