// Register, log in, verify: the accounts half of the auth service.
#include "auth/client_address.hpp"
#include "auth/handlers/handlers.hpp"
#include "auth/validation.hpp"
#include "parley/auth/password.hpp"
#include "parley/http/error.hpp"
#include "parley/log/log.hpp"

namespace parley::auth_app {

namespace {

auth::identity identity_of(user_record const& u)
{
    return {.user_id = u.id, .username = u.username, .is_admin = u.is_admin};
}

// Request bodies: every field optional, so that a missing one gets the original's message.
struct register_body {
    std::optional<std::string> username, email, password;
};
BOOST_DESCRIBE_STRUCT(register_body, (), (username, email, password))

struct login_body {
    std::optional<std::string> username, password;
};
BOOST_DESCRIBE_STRUCT(login_body, (), (username, password))

struct verify_body {
    std::optional<std::string> token;
};
BOOST_DESCRIBE_STRUCT(verify_body, (), (token))

void reject_if(problem const& p)
{
    if (p)
        throw http::bad_request(*p);
}

void reject_taken(taken t)
{
    if (t == taken::username)
        throw http::conflict("Username already exists");
    if (t == taken::email)
        throw http::conflict("Email already exists");
}

} // namespace

net::awaitable<http::response> register_user(auth_state& s, http::request_context& ctx)
{
    auto const [username, email, password] = ctx.json_body<register_body>();
    if (!username || !email || !password)
        throw http::bad_request("Missing required fields");
    reject_if(check_username(*username));
    reject_if(check_email(*email));
    reject_if(check_password(*password));

    // A cheap check before the costly hash; create() checks again in its own transaction.
    auto const already = co_await s.users.which_taken(*username, *email);
    reject_taken(already);
    auto hash = co_await s.hasher.hash(*password);
    new_user const account{
        .username = *username, .email = *email, .password_hash = std::move(hash)};
    auto created = co_await s.users.create(account);
    if (auto const* t = std::get_if<taken>(&created))
        reject_taken(*t);
    auto const& user = std::get<user_record>(created);
    log::info("user registered", {{"user_id", user.id}, {"username", user.username}});
    co_return http::json(http::status::created, {{"message", "User registered successfully"},
                                                 {"token", s.signer.sign(identity_of(user))},
                                                 {"user", to_json(user, true)}});
}

net::awaitable<http::response> login(auth_state& s, http::request_context& ctx)
{
    auto const [username, password] = ctx.json_body<login_body>();
    if (!username || !password || username->empty() || password->empty())
        throw http::bad_request("Missing username or password");
    if (username->size() > max_login_username_bytes || password->size() > max_login_password_bytes)
        throw http::bad_request("Username or password is too long");

    auto const address = client_address(ctx.request(), s.trust_proxy);
    // Reserved before the costly hash, so that attempts in flight count too (issue 13).
    auto const attempt = co_await s.throttle.reserve(*username, address);
    if (attempt.blocked)
        throw http::too_many_requests("Too many failed login attempts, try again later",
                                      attempt.retry_after);

    // An unknown user costs one hash too, so response times do not reveal which names exist.
    std::optional<user_record> user;
    bool valid = false;
    std::exception_ptr unchecked;
    try {
        user = co_await s.users.find_by_username(*username);
        if (user)
            valid = co_await s.hasher.verify(*password, user->password_hash);
        else
            co_await s.hasher.dummy_verify(*password);
    } catch (...) {
        unchecked = std::current_exception(); // e.g. hasher busy (503): not a failed guess
    }
    if (unchecked) {
        co_await s.throttle.abandon(attempt);
        std::rethrow_exception(unchecked);
    }
    if (!valid) { // the reserved attempt stays counted: it is the failure
        log::info("login failed", {{"username", *username}, {"address", address}});
        throw http::unauthorized("Invalid username or password");
    }

    co_await s.throttle.succeeded(attempt);
    // Only with the right password: a guesser learns nothing about the account.
    if (!user->is_active)
        throw http::forbidden("This account has been deactivated");
    if (auth::needs_rehash(user->password_hash)) {
        auto upgraded = co_await s.hasher.hash(*password);
        co_await s.users.set_password_hash(user->id, upgraded);
        log::info("password hash upgraded", {{"user_id", user->id}});
    }
    // Never issued before the user's revocation time (a demotion in this very second).
    auto const issued =
        std::max(auth::token_clock::now(),
                 auth::token_clock::time_point(std::chrono::seconds(user->tokens_not_before)));
    co_return http::json({{"message", "Login successful"},
                          {"token", s.signer.sign(identity_of(*user), issued)},
                          {"user", to_json(*user, true)}});
}

net::awaitable<http::response> verify_token(auth_state& s, http::request_context& ctx)
{
    auto const [token] = ctx.json_body<verify_body>();
    if (!token || token->empty())
        throw http::bad_request("Missing token");
    auto who = s.verifier->verify(*token);
    if (!who || s.revocations->revoked(*who))
        throw http::unauthorized("Invalid or expired token");
    co_return http::json(
        {{"valid", true},
         {"user",
          {{"user_id", who->user_id}, {"username", who->username}, {"is_admin", who->is_admin}}}});
}

} // namespace parley::auth_app
