// argon2id hashing for request handlers: on the runtime's worker pool, never on an I/O thread,
// with at most `max_concurrent` hashes at once (each takes ~19 MiB and tens of ms) and at most
// `max_waiting` queued behind them; beyond that a request is refused with 503 and Retry-After
// rather than queued without bound.
#pragma once

#include "parley/net.hpp"
#include "parley/runtime/runtime.hpp"

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace parley::auth_app {

class password_hasher {
public:
    struct limits {
        std::size_t max_concurrent = 2;
        std::size_t max_waiting = 64;
    };

    password_hasher(runtime& rt, std::size_t max_concurrent, std::size_t max_waiting);
    ~password_hasher();

    net::awaitable<std::string> hash(std::string const& password);
    // Also true/false for a malformed stored hash (false), never throws for it.
    net::awaitable<bool> verify(std::string const& password, std::string const& encoded);
    // Costs what verify() costs and fails: logins of unknown users.
    net::awaitable<void> dummy_verify(std::string const& password);

private:
    struct slot;
    // Waits for a permit (the caller then holds it in a slot); 503 when too many wait.
    net::awaitable<void> acquire();

    runtime& rt_;
    struct semaphore;
    std::unique_ptr<semaphore> semaphore_;
    std::size_t max_waiting_;
    std::atomic<std::size_t> queued_{0};
};

} // namespace parley::auth_app
