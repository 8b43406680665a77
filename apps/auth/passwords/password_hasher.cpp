#include "auth/passwords/password_hasher.hpp"

#include "parley/auth/password.hpp"
#include "parley/http/error.hpp"

#include <boost/asio/experimental/concurrent_channel.hpp>

namespace parley::auth_app {

// A counting semaphore: a channel with one buffered element per permit. Sending takes a permit
// (waits while all are taken), receiving gives one back and wakes the next waiting sender.
struct password_hasher::semaphore {
    semaphore(net::any_io_executor ex, std::size_t permits) : permits(ex, permits) {}
    net::experimental::concurrent_channel<void(boost::system::error_code)> permits;
};

// Holds a permit and the queue position for one hash; gives both back when destroyed.
struct password_hasher::slot {
    password_hasher* owner = nullptr;
    slot(password_hasher* o) : owner(o) {}
    slot(slot&& other) noexcept : owner(std::exchange(other.owner, nullptr)) {}
    slot& operator=(slot&&) = delete;
    ~slot()
    {
        if (owner) {
            owner->semaphore_->permits.try_receive([](boost::system::error_code) {});
            --owner->queued_;
        }
    }
};

password_hasher::password_hasher(runtime& rt, std::size_t max_concurrent, std::size_t max_waiting)
    : rt_(rt), semaphore_(std::make_unique<semaphore>(rt.executor(),
                                                      std::max<std::size_t>(1, max_concurrent))),
      max_waiting_(max_waiting + std::max<std::size_t>(1, max_concurrent))
{}

password_hasher::~password_hasher() = default;

net::awaitable<void> password_hasher::acquire()
{
    if (++queued_ > max_waiting_) {
        --queued_;
        throw http::error(http::status::service_unavailable, "Server busy, try again shortly",
                          "busy")
            .with_header("Retry-After", "1");
    }
    try {
        co_await semaphore_->permits.async_send(boost::system::error_code{}, net::use_awaitable);
    } catch (...) {
        --queued_;
        throw;
    }
}

net::awaitable<std::string> password_hasher::hash(std::string const& password)
{
    co_await acquire();
    slot const permit(this);
    auto work = [&password] { return auth::hash_password(password); };
    co_return co_await rt_.offload(work);
}

net::awaitable<bool> password_hasher::verify(std::string const& password,
                                             std::string const& encoded)
{
    co_await acquire();
    slot const permit(this);
    auto work = [&password, &encoded] { return auth::verify_password(password, encoded); };
    co_return co_await rt_.offload(work);
}

net::awaitable<void> password_hasher::dummy_verify(std::string const& password)
{
    co_await acquire();
    slot const permit(this);
    auto work = [&password] {
        auth::dummy_verify(password);
        return true;
    };
    co_await rt_.offload(work);
}

} // namespace parley::auth_app
