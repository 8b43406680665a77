#include "bus/redis/command_connection.hpp"
#include "bus/redis/subscriber_connection.hpp"
#include "parley/bus/redis.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <stdexcept>

// GCC 12 false positive on Asio coroutine frames (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace parley::bus::redis {

// ---------------------------------------------------------------------------------------------
// Errors

namespace {

class error_category final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "parley.redis"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::not_connected:
            return "not connected to Redis (the command was not sent)";
        case error::timeout:
            return "Redis did not reply in time (the command may have run)";
        case error::connection_lost:
            return "the connection to Redis broke before the reply (the command may have run)";
        case error::buffer_full:
            return "too much waiting to be sent to Redis (the command was not sent)";
        case error::auth_failed:
            return "Redis refused the credentials (AUTH): check the password in the URL";
        case error::select_failed:
            return "Redis refused SELECT: check the database number in the URL";
        case error::protocol_error:
            return "Redis sent something unexpected";
        case error::closed:
            return "the Redis client was closed";
        }
        return "unknown redis error";
    }
};

} // namespace

boost::system::error_code make_error_code(error e)
{
    static error_category const category;
    return {static_cast<int>(e), category};
}

// ---------------------------------------------------------------------------------------------
// client

namespace {

net::awaitable<boost::system::result<reply>>
run_command(std::shared_ptr<detail::command_connection> c, std::string bytes)
{
    // Queued and awaited on the connection's strand; the caller resumes on its own executor.
    auto const& strand = c->strand();
    auto op = net::co_spawn(strand, c->execute(std::move(bytes)), net::use_awaitable);
    co_return co_await std::move(op);
}

std::string encode(std::span<std::string_view const> args)
{
    if (args.empty())
        throw std::invalid_argument("redis::client::command: no command given");
    std::string bytes;
    bytes.reserve(detail::encoded_size(args));
    detail::append_command(bytes, args);
    return bytes;
}

detail::command_connection& checked(std::shared_ptr<detail::command_connection> const& c)
{
    if (!c)
        throw std::logic_error("redis::client: used after being moved from");
    return *c;
}

} // namespace

client::client(net::any_io_executor executor, endpoint where, client_options options)
    : impl_(std::make_shared<detail::command_connection>(std::move(executor), std::move(where),
                                                         std::move(options)))
{
    impl_->start();
}

client::~client()
{
    if (impl_)
        impl_->close();
}

client::client(client&&) noexcept = default;

client& client::operator=(client&& other) noexcept
{
    if (this != &other) {
        if (impl_)
            impl_->close();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

net::awaitable<boost::system::result<reply>> client::command(std::span<std::string_view const> args)
{
    checked(impl_);
    return run_command(impl_, encode(args));
}

net::awaitable<boost::system::result<reply>> client::command(std::span<std::string const> args)
{
    checked(impl_);
    std::vector<std::string_view> views(args.begin(), args.end());
    return run_command(impl_, encode(views));
}

bool client::publish(std::string_view channel, std::string_view message)
{
    return checked(impl_).publish(channel, message);
}

bool client::connected() const noexcept
{
    return impl_ && impl_->connected();
}

net::awaitable<bool> client::wait_connected(std::chrono::milliseconds limit)
{
    auto const c = impl_;
    checked(c);
    auto const deadline = clock::now() + limit;
    net::steady_timer timer(co_await net::this_coro::executor);
    while (!c->connected()) {
        if (clock::now() >= deadline)
            co_return false;
        timer.expires_after(10ms);
        co_await timer.async_wait(use_tuple);
    }
    co_return true;
}

std::size_t client::outbound_bytes() const noexcept
{
    return impl_ ? impl_->outbound_bytes() : 0;
}

// ---------------------------------------------------------------------------------------------
// The bus

namespace {

class redis_bus final : public bus {
public:
    using bus::subscribe;
    redis_bus(net::any_io_executor executor, endpoint where, client_options options)
        : published_(
              metrics::counter("parley_bus_published_total", "Messages published on the Redis bus"))
    {
        auto publisher_options = options;
        publisher_options.name = options.name + "-publisher";
        auto subscriber_options = std::move(options);
        subscriber_options.name += "-subscriber";
        publisher_ = std::make_shared<detail::command_connection>(executor, where,
                                                                  std::move(publisher_options));
        subscriber_ = std::make_shared<detail::subscriber_connection>(
            std::move(executor), std::move(where), std::move(subscriber_options));
        publisher_->start();
        subscriber_->start();
    }
    ~redis_bus() override
    {
        publisher_->close();
        subscriber_->close();
    }

    void publish(std::string_view channel, payload message) override
    {
        if (message && publisher_->publish(channel, *message))
            published_.inc();
    }

    std::unique_ptr<subscription> subscribe(std::string_view channel, handler h,
                                            gap_handler on_gap) override
    {
        return subscriber_->subscribe(channel, std::move(h), std::move(on_gap));
    }

private:
    std::shared_ptr<detail::command_connection> publisher_;
    std::shared_ptr<detail::subscriber_connection> subscriber_;
    metrics::counter_series& published_;
};

} // namespace

std::unique_ptr<bus> make_redis_bus(net::any_io_executor executor, endpoint where,
                                    client_options options)
{
    return std::make_unique<redis_bus>(std::move(executor), std::move(where), std::move(options));
}

} // namespace parley::bus::redis
