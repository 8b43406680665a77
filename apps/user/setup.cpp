// Start-up of the user service: the token verifier (public key only) and the service credential
// first (production refuses to start without them), then the store and the routes.
#include "user/setup.hpp"

#include "parley/auth/keys_config.hpp"
#include "parley/auth/revocation.hpp"
#include "parley/log/log.hpp"
#include "parley/store/from_config.hpp"
#include "user/routes.hpp"

namespace parley::user_app {

void setup(service& svc)
{
    auto const& cfg = svc.config;
    auto verifier = std::make_shared<auth::token_verifier const>(auth::verifier_from_config(cfg));
    // Revoked tokens (a deactivated user) are refused too: the list is polled from auth.
    svc.server.set_authenticator(
        auth::authenticator_for(verifier, auth::revocations_from_auth(cfg, svc.runtime)));
    auto credential = auth::service_token_from_config(cfg);

    auto db = store::open_database_from_config(cfg, "user");
    db.migrate(user_migrations());
    auto state = std::make_shared<user_state>(std::move(db), std::move(credential));
    add_routes(svc.server.routes(), state);
    log::info("user service ready", {{"database", state->db.backend_name()},
                                     {"schema_version", state->db.schema_version()}});
}

} // namespace parley::user_app
