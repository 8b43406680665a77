// What the auth handlers share: the store, the signing key, the verifier, the throttle and the
// password hasher. Built once by setup(), kept alive by the routes that use it.
#pragma once

#include "auth/client_address.hpp"
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
               std::shared_ptr<auth::token_verifier const> token_verifier,
               forwarded_for_trust trust_forwarded_for)
        : db(std::move(database)), throttle(db, limits.per_account, limits.per_address),
          hasher(rt, hashing.max_concurrent, hashing.max_waiting), signer(std::move(token_signer)),
          verifier(std::move(token_verifier)), trust_proxy(std::move(trust_forwarded_for))
    {}

    store::database db;
    user_store users{db};
    login_throttle throttle;
    password_hasher hasher;
    auth::token_signer signer;
    std::shared_ptr<auth::token_verifier const> verifier;
    // When to take the client address from X-Forwarded-For; its service_token is also what
    // callers of /internal/revocations present.
    forwarded_for_trust trust_proxy;
    // Revoked tokens (deactivations, demotions): this replica's changes at once, the other
    // replicas' from the shared store every PARLEY_REVOCATION_POLL_INTERVAL.
    std::shared_ptr<auth::revocation_list> revocations = std::make_shared<auth::revocation_list>();
};

} // namespace parley::auth_app
