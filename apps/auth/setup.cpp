// Start-up of the auth service: secrets first (production refuses to start without them), then
// the store and its schema, the admin account, and the routes.
#include "auth/setup.hpp"

#include "auth/routes.hpp"
#include "auth/state.hpp"
#include "auth/validation.hpp"
#include "parley/auth/keys_config.hpp"
#include "parley/auth/password.hpp"
#include "parley/log/log.hpp"
#include "parley/store/from_config.hpp"

namespace parley::auth_app {

namespace {

constexpr std::string_view admin_username = "admin";
constexpr std::string_view dev_admin_password = "admin123";

// PARLEY_ADMIN_PASSWORD: required in production, optional (default admin123) in development.
std::optional<std::string> admin_password_from(config const& cfg)
{
    auto password = cfg.optional_string({"PARLEY_ADMIN_PASSWORD"});
    if (password && password->empty())
        password.reset();
    if (cfg.production()) {
        if (!password)
            throw config_error("PARLEY_ADMIN_PASSWORD is required in production (the password of "
                               "the admin account)");
        if (*password == dev_admin_password)
            throw config_error(
                "PARLEY_ADMIN_PASSWORD must not be the development default in production");
    }
    if (password) {
        if (auto p = check_password(*password))
            throw config_error("PARLEY_ADMIN_PASSWORD: " + *p);
    }
    return password;
}

// The original created admin/admin123 on first start; Parley does that only in development.
void ensure_admin(auth_state& s, config const& cfg, std::optional<std::string> const& configured)
{
    auto const email = cfg.string({"PARLEY_ADMIN_EMAIL"}, "admin@example.com");
    auto existing = s.users.find_by_username_blocking(std::string(admin_username));
    if (!existing) {
        auto const password = configured.value_or(std::string(dev_admin_password));
        auto created = s.users.create_blocking({.username = std::string(admin_username),
                                                .email = email,
                                                .password_hash = auth::hash_password(password),
                                                .is_admin = true});
        log::info("admin account created",
                  {{"user_id", created.id}, {"username", created.username}});
    } else if (cfg.production() &&
               auth::verify_password(dev_admin_password, existing->password_hash)) {
        // A data directory from development carried into production: replace the known password.
        auto upgraded = auth::hash_password(*configured);
        s.db.run_blocking([&](store::connection& c) {
            c.execute("UPDATE users SET password_hash = $1 WHERE id = $2",
                      {upgraded, existing->id});
        });
        log::warn("admin account had the development password: replaced by PARLEY_ADMIN_PASSWORD");
    }
    if (!cfg.production() && !configured)
        log::warn(
            "DEVELOPMENT MODE: the admin account is admin/admin123; set PARLEY_ENV=production "
            "and PARLEY_ADMIN_PASSWORD for any real deployment");
}

net::awaitable<auth::revocation_poller::fetch_result>
stored_revocations(std::shared_ptr<auth_state> state)
{
    try {
        co_return co_await state->users.revocations();
    } catch (std::exception const& e) {
        log::warn("revocations not read", {{"error", e.what()}});
        co_return boost::system::errc::make_error_code(boost::system::errc::io_error);
    }
}

net::awaitable<void> nothing()
{
    co_return;
}

} // namespace

void setup(service& svc)
{
    auto const& cfg = svc.config;
    auto admin_password = admin_password_from(cfg);
    auto signer = auth::signer_from_config(cfg);
    auto verifier = std::make_shared<auth::token_verifier const>(auth::verifier_from_config(cfg));
    auto credential = auth::service_token_from_config(cfg);

    login_throttle::rules limits;
    auto const window = std::chrono::duration_cast<std::chrono::seconds>(
        cfg.duration({"PARLEY_LOGIN_THROTTLE_WINDOW"}, std::chrono::minutes(15)));
    if (window.count() < 1)
        throw config_error("PARLEY_LOGIN_THROTTLE_WINDOW must be at least 1s");
    limits.per_account = {cfg.integer({"PARLEY_LOGIN_MAX_FAILURES_PER_ACCOUNT"}, 5, 1, 1'000'000),
                          window};
    limits.per_address = {cfg.integer({"PARLEY_LOGIN_MAX_FAILURES_PER_ADDRESS"}, 20, 1, 1'000'000),
                          window};

    password_hasher::limits hashing;
    auto const workers = static_cast<std::int64_t>(svc.runtime.options().worker_threads);
    hashing.max_concurrent = static_cast<std::size_t>(
        cfg.integer({"PARLEY_PASSWORD_HASH_CONCURRENCY"}, workers, 1, 256));
    hashing.max_waiting =
        static_cast<std::size_t>(cfg.integer({"PARLEY_PASSWORD_HASH_QUEUE"}, 64, 0, 100'000));

    auto db = store::open_database_from_config(cfg, "auth");
    db.migrate(auth_migrations());

    auto state = std::make_shared<auth_state>(
        std::move(db), limits, hashing, svc.runtime, std::move(signer), verifier,
        forwarded_for_trust{.always = cfg.boolean({"PARLEY_TRUST_PROXY"}, false),
                            .service_token = std::move(credential)});
    ensure_admin(*state, cfg, admin_password);
    // Revoked tokens are refused here too: this replica's revocations at once, the others' from
    // the shared store.
    svc.server.set_authenticator(auth::authenticator_for(verifier, state->revocations));
    auto poller = std::make_shared<auth::revocation_poller>(
        svc.runtime.executor(), state->revocations, [state] { return stored_revocations(state); },
        auth::revocation_poll_interval_from_config(cfg));
    poller->start();
    svc.runtime.on_stop([poller] {
        poller->stop();
        return nothing();
    });
    add_routes(svc.server.routes(), state);
    log::info("auth service ready", {{"database", state->db.backend_name()},
                                     {"schema_version", state->db.schema_version()},
                                     {"token_kid", state->signer.kid()}});
}

} // namespace parley::auth_app
