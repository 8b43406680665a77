#include "http/resolve.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>
#include <thread>
#include <tuple>

namespace parley::http::detail {

namespace {

using boost::system::error_code;
using tcp = net::ip::tcp;
using lookup_handler = net::any_completion_handler<void(error_code, endpoint_list)>;

std::atomic<std::size_t> in_flight{0};

std::mutex test_nameserver_mutex;
std::optional<sockaddr_in> test_nameserver;

// One lookup: the waiter's completion handler while it waits. Whoever takes the handler out
// (the lookup thread with the answer, or a cancellation when the deadline passed, or the
// context's shutdown) completes or destroys it; the others find it empty.
struct lookup_state {
    std::mutex mutex;
    std::optional<lookup_handler> handler;
    // The answer, when the lookup thread finished before the waiter began to wait.
    std::optional<std::pair<error_code, endpoint_list>> early;
    bool waited = false; // the waiter has begun to wait (the handler may be gone since)
    // Where the handler runs (its associated executor); cleared with the handler, so that a
    // lookup thread outliving the context holds nothing of it.
    net::any_io_executor executor;
};

// Per execution context: the lookups waiting in it. When the context shuts down (its io_context
// is being destroyed) the waiting handlers are destroyed here, so that no lookup thread finishing
// later posts to a context that is gone.
class lookup_registry final : public net::execution_context::service {
public:
    using key_type = lookup_registry;
    static inline net::execution_context::id id;

    explicit lookup_registry(net::execution_context& context) : service(context) {}

    void add(std::shared_ptr<lookup_state> const& s)
    {
        std::lock_guard lock(mutex_);
        live_.push_back(s);
    }
    void remove(lookup_state const* s)
    {
        std::lock_guard lock(mutex_);
        std::erase_if(live_, [s](auto const& w) {
            auto p = w.lock();
            return !p || p.get() == s;
        });
    }

private:
    void shutdown() override
    {
        std::vector<lookup_handler> dropped;
        {
            std::lock_guard lock(mutex_);
            for (auto const& w : live_) {
                if (auto s = w.lock()) {
                    std::lock_guard state_lock(s->mutex);
                    if (s->handler) {
                        dropped.push_back(std::move(*s->handler));
                        s->handler.reset();
                        s->executor = {};
                    }
                }
            }
            live_.clear();
        }
        // Destroyed here, outside the locks: each holds a waiting coroutine.
    }

    std::mutex mutex_;
    std::vector<std::weak_ptr<lookup_state>> live_;
};

error_code error_of_gai(int rc, int saved_errno)
{
    switch (rc) {
    case EAI_NONAME:
#ifdef EAI_NODATA
#if EAI_NODATA != EAI_NONAME
    case EAI_NODATA:
#endif
#endif
        return net::error::host_not_found;
    case EAI_AGAIN:
        return net::error::host_not_found_try_again;
    case EAI_SERVICE:
        return net::error::service_not_found;
    case EAI_MEMORY:
        return net::error::no_memory;
    case EAI_FAMILY:
        return net::error::address_family_not_supported;
    case EAI_SYSTEM:
        return error_code(saved_errno, boost::system::system_category());
    default:
        return net::error::no_recovery;
    }
}

// Runs on the lookup thread.
std::pair<error_code, endpoint_list> lookup(std::string const& host, std::string const& port)
{
    {
        std::lock_guard lock(test_nameserver_mutex);
        if (test_nameserver) {
            // _res is per thread: this thread's lookups only. glibc keeps a _res the program
            // changed instead of re-reading resolv.conf.
            res_init();
            _res.nscount = 1;
            _res.nsaddr_list[0] = *test_nameserver;
            _res.retrans = 2;
            _res.retry = 1;
        }
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    addrinfo* list = nullptr;
    int const rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
    int const saved_errno = errno;
    if (rc != 0)
        return {error_of_gai(rc, saved_errno), {}};
    endpoint_list out;
    for (auto* a = list; a; a = a->ai_next) {
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
            continue;
        tcp::endpoint ep;
        std::memcpy(ep.data(), a->ai_addr, a->ai_addrlen);
        out.push_back(ep);
    }
    ::freeaddrinfo(list);
    if (out.empty())
        return {net::error::host_not_found, {}};
    return {error_code{}, std::move(out)};
}

// Completes the waiter, if it still waits, with the given outcome. The post happens under the
// state's lock: the registry's shutdown takes that lock too, so a lookup thread never posts to a
// context that has begun to shut down.
void finish(lookup_state& s, error_code ec, endpoint_list endpoints)
{
    std::lock_guard lock(s.mutex);
    if (!s.waited) {
        s.early.emplace(ec, std::move(endpoints)); // the waiter takes it when it begins
        return;
    }
    if (!s.handler)
        return;
    auto ex = std::move(s.executor);
    auto call = [h = std::move(*s.handler), ec, eps = std::move(endpoints)]() mutable {
        std::move(h)(ec, std::move(eps));
    };
    s.handler.reset();
    s.executor = {};
    net::post(ex, std::move(call));
}

struct wait_initiation {
    std::shared_ptr<lookup_state> state;

    template <class Handler> void operator()(Handler&& handler) const
    {
        auto slot = net::get_associated_cancellation_slot(handler);
        std::optional<std::pair<error_code, endpoint_list>> early;
        {
            std::lock_guard lock(state->mutex);
            state->waited = true;
            state->executor = net::get_associated_executor(handler, state->executor);
            state->handler.emplace(std::forward<Handler>(handler));
            early.swap(state->early);
        }
        if (early) { // the answer came first
            finish(*state, early->first, std::move(early->second));
            return;
        }
        if (slot.is_connected()) {
            // The deadline passed: stop waiting (the lookup thread goes on and its answer is
            // dropped).
            auto on_cancel = [s = state](net::cancellation_type) {
                finish(*s, net::error::operation_aborted, {});
            };
            slot.assign(on_cancel);
        }
    }
};

net::awaitable<std::tuple<error_code, endpoint_list>> wait_for(std::shared_ptr<lookup_state> s)
{
    auto token = net::as_tuple(net::use_awaitable);
    return net::async_initiate<decltype(token), void(error_code, endpoint_list)>(
        wait_initiation{std::move(s)}, token);
}

} // namespace

void set_test_nameserver(std::optional<net::ip::udp::endpoint> nameserver)
{
    std::lock_guard lock(test_nameserver_mutex);
    if (!nameserver) {
        test_nameserver.reset();
        return;
    }
    if (!nameserver->address().is_v4())
        throw std::invalid_argument("set_test_nameserver: an IPv4 address is required");
    sockaddr_in a{};
    std::memcpy(&a, nameserver->data(), sizeof a);
    test_nameserver = a;
}

std::size_t lookups_in_flight() noexcept
{
    return in_flight.load();
}

net::awaitable<resolve_result> resolve(std::string host, std::string port,
                                       std::chrono::milliseconds timeout)
{
    using namespace net::experimental::awaitable_operators;
    auto ex = co_await net::this_coro::executor;
    // The timer first: its service then outlives the registry's shutdown, which may destroy this
    // coroutine (and this timer) while the context goes down.
    net::steady_timer deadline(ex, timeout);
    auto state = std::make_shared<lookup_state>();
    state->executor = ex;
    auto& registry = net::use_service<lookup_registry>(net::query(ex, net::execution::context));

    if (in_flight.fetch_add(1) >= max_concurrent_lookups) {
        --in_flight;
        co_return resolve_result{
            make_error_code(boost::system::errc::resource_unavailable_try_again), {}};
    }
    registry.add(state);
    struct unregister {
        lookup_registry& r;
        lookup_state const* s;
        ~unregister() { r.remove(s); }
    } guard{registry, state.get()};

    try {
        auto work = [state, host = std::move(host), port = std::move(port)] {
            auto [ec, endpoints] = lookup(host, port);
            finish(*state, ec, std::move(endpoints));
            --in_flight;
        };
        // Detached: a stalled lookup must not hold up anything, not even the process's exit.
        std::thread(std::move(work)).detach();
    } catch (std::system_error const& e) {
        --in_flight;
        co_return resolve_result{e.code(), {}};
    }

    auto waited = wait_for(state);
    auto until = deadline.async_wait(net::use_awaitable);
    auto race = std::move(waited) || std::move(until);
    auto outcome = co_await std::move(race);
    if (outcome.index() == 1)
        co_return resolve_result{net::error::timed_out, {}};
    auto [ec, endpoints] = std::move(std::get<0>(outcome));
    if (ec == net::error::operation_aborted) // cancelled from outside: the caller gave up
        co_return resolve_result{ec, {}};
    co_return resolve_result{ec, std::move(endpoints)};
}

} // namespace parley::http::detail
