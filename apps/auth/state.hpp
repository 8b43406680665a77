// What the auth handlers share: the store, the signing key, the verifier, the throttle and the
// password hasher. Built once by setup(), kept alive by the routes that use it.
#pragma once

#include "auth/passwords/password_hasher.hpp"
#include "auth/throttle/login_throttle.hpp"
#include "auth/users/user_store.hpp"
#include "parley/auth/revocation.hpp"
#include "parley/auth/token.hpp"
#include "parley/store/database.hpp"

#include <memory>

namespace parley::auth_app {

struct auth_state {
    auth_state(store::database database, login_throttle::rules limits,
               password_hasher::limits hashing, runtime& rt, auth::token_signer token_signer,
               std::shared_ptr<auth::token_verifier const> token_verifier, bool trust_forwarded_for,
               std::string credential)
        : db(std::move(database)), throttle(db, limits.per_account, limits.per_address),
          hasher(rt, hashing.max_concurrent, hashing.max_waiting), signer(std::move(token_signer)),
          verifier(std::move(token_verifier)), trust_proxy(trust_forwarded_for),
          service_token(std::move(credential))
    {}

    store::database db;
    user_store users{db};
    login_throttle throttle;
    password_hasher hasher;
    auth::token_signer signer;
    std::shared_ptr<auth::token_verifier const> verifier;
    bool trust_proxy = false; // take the client address from X-Forwarded-For
    // Revoked tokens (deactivations, demotions): this replica's changes at once, the other
    // replicas' from the shared store every PARLEY_REVOCATION_POLL_INTERVAL.
    std::shared_ptr<auth::revocation_list> revocations = std::make_shared<auth::revocation_list>();
    std::string service_token; // what callers of /internal/revocations present
};

} // namespace parley::auth_app
