#include "parley/auth/revocation.hpp"

#include "parley/auth/keys_config.hpp"
#include "parley/http/client.hpp"
#include "parley/json/json.hpp"
#include "parley/log/log.hpp"
#include "parley/runtime/runtime.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <mutex>

namespace parley::auth {

std::int64_t unix_seconds() noexcept
{
    return std::chrono::duration_cast<std::chrono::seconds>(token_clock::now().time_since_epoch())
        .count();
}

bool revocation_list::revoked(std::int64_t user_id, std::int64_t issued_at) const
{
    std::shared_lock lock(mutex_);
    auto it = entries_.find(user_id);
    return it != entries_.end() && issued_at < it->second.not_before;
}

std::vector<std::int64_t> revocation_list::merge(std::span<revocation const> entries)
{
    return merge(entries, unix_seconds());
}

std::vector<std::int64_t> revocation_list::merge(std::span<revocation const> entries,
                                                 std::int64_t now)
{
    auto const oldest = now - revocation_horizon.count();
    std::vector<std::int64_t> changed;
    {
        std::unique_lock lock(mutex_);
        std::erase_if(entries_, [oldest](auto const& e) { return e.second.revoked_at < oldest; });
        for (auto const& e : entries) {
            if (e.user_id <= 0 || e.revoked_at < oldest)
                continue;
            auto [it, fresh] = entries_.try_emplace(e.user_id, e);
            if (!fresh) {
                if (e.not_before <= it->second.not_before)
                    continue;
                it->second = e;
            }
            changed.push_back(e.user_id);
        }
    }
    if (!changed.empty() && listener_)
        listener_(changed);
    return changed;
}

void revocation_list::on_change(std::function<void(std::vector<std::int64_t> const&)> listener)
{
    listener_ = std::move(listener);
}

std::size_t revocation_list::size() const
{
    std::shared_lock lock(mutex_);
    return entries_.size();
}

boost::json::object to_json(std::span<revocation const> entries)
{
    boost::json::array list;
    list.reserve(entries.size());
    for (auto const& e : entries)
        list.push_back(boost::json::object{
            {"user_id", e.user_id}, {"not_before", e.not_before}, {"revoked_at", e.revoked_at}});
    return boost::json::object{{"revocations", std::move(list)}};
}

boost::system::result<std::vector<revocation>> revocations_from_json(std::string_view body)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    auto const bad = boost::system::errc::make_error_code(boost::system::errc::bad_message);
    if (ec || !v.is_object())
        return bad;
    auto const* list = v.as_object().if_contains("revocations");
    if (!list || !list->is_array())
        return bad;
    std::vector<revocation> out;
    out.reserve(list->as_array().size());
    for (auto const& item : list->as_array()) {
        auto const* o = item.if_object();
        if (!o)
            return bad;
        auto const* user_id = o->if_contains("user_id");
        auto const* not_before = o->if_contains("not_before");
        auto const* revoked_at = o->if_contains("revoked_at");
        if (!user_id || !user_id->is_int64() || !not_before || !not_before->is_int64() ||
            !revoked_at || !revoked_at->is_int64())
            return bad;
        out.push_back({user_id->as_int64(), not_before->as_int64(), revoked_at->as_int64()});
    }
    return out;
}

revocation_poller::revocation_poller(net::any_io_executor executor,
                                     std::shared_ptr<revocation_list> list, fetch_fn fetch,
                                     std::chrono::milliseconds interval)
    : list_(std::move(list)), fetch_(std::move(fetch)), interval_(interval), timer_(executor)
{}

void revocation_poller::start()
{
    net::co_spawn(
        timer_.get_executor(), [self = shared_from_this()] { return self->loop(); },
        log::on_failure{"revocation poller stopped"});
}

void revocation_poller::stop()
{
    stopping_ = true;
    net::dispatch(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

net::awaitable<void> revocation_poller::loop()
{
    while (!stopping_) {
        auto pending = fetch_();
        auto fetched = co_await std::move(pending);
        if (fetched) {
            if (failing_)
                log::info("revocation list reachable again", {{"entries", fetched->size()}});
            failing_ = false;
            list_->merge(*fetched);
        } else if (!failing_) {
            failing_ = true; // once per run of failures, not every interval
            log::warn("revocation list not refreshed; keeping the current one",
                      {{"error", fetched.error().message()}});
        }
        if (stopping_)
            break;
        timer_.expires_after(interval_);
        co_await timer_.async_wait(use_tuple);
    }
}

std::chrono::milliseconds revocation_poll_interval_from_config(config const& cfg)
{
    auto const interval =
        cfg.duration({"PARLEY_REVOCATION_POLL_INTERVAL"}, std::chrono::milliseconds(1'000));
    if (interval < std::chrono::milliseconds(100) || interval > std::chrono::minutes(1))
        throw config_error("PARLEY_REVOCATION_POLL_INTERVAL must be between 100ms and 1m");
    return interval;
}

namespace {

constexpr std::string_view revocations_path = "/internal/revocations";

net::awaitable<revocation_poller::fetch_result>
fetch_from_auth(std::shared_ptr<http::client> client, std::string service_token)
{
    http::request req;
    req.target = revocations_path;
    req.headers.set(service_token_header, service_token);
    auto pending = client->send(std::move(req));
    auto reply = co_await std::move(pending);
    if (!reply)
        co_return reply.error();
    if (reply->status_code() != 200)
        co_return boost::system::errc::make_error_code(boost::system::errc::permission_denied);
    co_return revocations_from_json(reply->body);
}

net::awaitable<void> nothing()
{
    co_return;
}

} // namespace

std::shared_ptr<revocation_list> revocations_from_auth(config const& cfg, runtime& rt)
{
    auto list = std::make_shared<revocation_list>();
    auto addresses = cfg.list({"PARLEY_AUTH_URL", "AUTH_SERVICE_URL"}, {"http://127.0.0.1:5001"});
    if (addresses.empty())
        throw config_error("PARLEY_AUTH_URL must list at least one address");
    auto const interval = revocation_poll_interval_from_config(cfg);
    auto client = std::make_shared<http::client>(
        rt.executor(), http::client_options{.addresses = std::move(addresses),
                                            .connect_timeout = std::min<std::chrono::milliseconds>(
                                                interval, std::chrono::milliseconds(1'000)),
                                            .request_timeout = std::chrono::milliseconds(2'000),
                                            .max_idle_per_address = 2});
    auto fetch = [client, token = service_token_from_config(cfg)] {
        return fetch_from_auth(client, token);
    };
    auto poller = std::make_shared<revocation_poller>(rt.executor(), list, fetch, interval);
    poller->start();
    rt.on_stop([poller] {
        poller->stop();
        return nothing();
    });
    return list;
}

http::authenticator authenticator_for(std::shared_ptr<token_verifier const> verifier,
                                      std::shared_ptr<revocation_list const> revocations)
{
    return [verifier = std::move(verifier), revocations = std::move(revocations)](
               std::string_view token) -> std::optional<identity> {
        auto who = verifier->verify(token);
        if (!who || (revocations && revocations->revoked(*who)))
            return std::nullopt;
        return std::move(*who);
    };
}

} // namespace parley::auth
