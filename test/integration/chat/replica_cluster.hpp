// Chat replicas on real engines for a test: one throwaway PostgreSQL database (the shared test
// cluster), one redis-server (PARLEY_BUS_URL) and N parley-chat processes with PARLEY_REPLICAS=N,
// their per-user limits lifted. Shared by the suites that run several replicas.
#pragma once

#include "chat_fixture.hpp"
#include "support/postgres_server.hpp"
#include "support/redis_server.hpp"

#include <memory>
#include <string>
#include <vector>

namespace chat_test {

struct cluster {
    explicit cluster(int replicas, env extra = {}, std::string database_url = {})
    {
        auto const url =
            database_url.empty() ? test::postgres_server::shared().create_database() : database_url;
        settings = env{{"PARLEY_CHAT_DATABASE_URL", url},
                       {"PARLEY_BUS_URL", redis.url()},
                       {"PARLEY_REPLICAS", std::to_string(replicas)},
                       {"PARLEY_CHAT_MESSAGES_PER_SECOND", "100000"},
                       {"PARLEY_CHAT_MESSAGE_BURST", "100000"},
                       {"PARLEY_CHAT_FRAMES_PER_SECOND", "100000"},
                       {"PARLEY_CHAT_FRAME_BURST", "100000"}};
        for (auto& [k, v] : extra)
            settings[k] = v;
        for (int i = 0; i < replicas; ++i)
            chat.push_back(std::make_unique<chat_server>(settings));
    }
    test::redis_server redis;
    env settings;
    std::vector<std::unique_ptr<chat_server>> chat;
};

} // namespace chat_test
