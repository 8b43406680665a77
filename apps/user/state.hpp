// What the user handlers share. Built once by setup(), kept alive by the routes.
#pragma once

#include "parley/store/database.hpp"
#include "user/profiles/profile_store.hpp"

#include <string>

namespace parley::user_app {

struct user_state {
    user_state(store::database database, std::string credential)
        : db(std::move(database)), service_token(std::move(credential))
    {}

    store::database db;
    profile_store profiles{db};
    std::string service_token; // PARLEY_SERVICE_TOKEN: what stats callers must present
};

} // namespace parley::user_app
