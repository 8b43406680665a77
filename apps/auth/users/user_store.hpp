// Users and their credentials in the auth database. All SQL of the auth service's users lives
// here, written for both SQLite and PostgreSQL ($N parameters, INSERT ... RETURNING, lower()).
#pragma once

#include "parley/auth/revocation.hpp"
#include "parley/net.hpp"
#include "parley/store/database.hpp"

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace parley::auth_app {

struct user_record {
    std::int64_t id = 0;
    std::string username;
    std::string email;
    std::string password_hash;
    bool is_admin = false;
    std::string created_at; // ISO 8601 UTC
    bool is_active = true;  // false: deactivated (no sign-in, every token revoked)
    // The user's tokens issued (iat) before this Unix time are revoked (0: none).
    std::int64_t tokens_not_before = 0;
};

// The public user object {id, username, email, is_admin, is_active, created_at}; email only
// when the caller may see it (an admin, or the user themself).
boost::json::object to_json(user_record const& u, bool with_email);

struct new_user {
    std::string username;
    std::string email;
    std::string password_hash;
    bool is_admin = false;
};

// Which unique field a new account collides with (usernames and emails compare ignoring case).
enum class taken { none, username, email };

// Versioned schema of auth.db (users, login throttle counters); applied at every start.
std::vector<store::migration> auth_migrations();

// Coroutines take references: GCC 12 mishandles temporaries (by-value arguments included) in
// co_await expressions, so callers pass named objects that outlive the call.
class user_store {
public:
    explicit user_store(store::database& db) : db_(db) {}

    net::awaitable<std::optional<user_record>> find_by_username(std::string const& username);
    net::awaitable<std::optional<user_record>> find_by_id(std::int64_t id);
    net::awaitable<std::vector<user_record>> list();
    net::awaitable<std::int64_t> count();
    net::awaitable<taken> which_taken(std::string const& username, std::string const& email);
    // The stored user, or which field was taken.
    net::awaitable<std::variant<user_record, taken>> create(new_user const& u);
    net::awaitable<void> set_password_hash(std::int64_t id, std::string const& hash);

    // Admin actions. A demotion revokes the user's current tokens (they carry is_admin: true);
    // no change leaves the last active admin without rights.
    enum class outcome { done, not_found, last_admin };
    struct change_result {
        outcome result = outcome::not_found;
        std::optional<user_record> user; // after the change
    };
    net::awaitable<change_result> set_admin(std::int64_t id, bool is_admin);
    // Deactivates the user and revokes every token of theirs (idempotent).
    net::awaitable<change_result> deactivate(std::int64_t id);
    // The revocations within auth::revocation_horizon (what GET /internal/revocations lists).
    net::awaitable<std::vector<auth::revocation>> revocations();

    // Startup (blocking): the account named `username`, if any; create it otherwise (or return
    // the one another replica created at the same moment).
    std::optional<user_record> find_by_username_blocking(std::string const& username);
    user_record create_blocking(new_user u);

private:
    store::database& db_;
};

} // namespace parley::auth_app
