#include "parley/bus/bus.hpp"
#include "parley/log/log.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace parley::bus {

namespace {

// One subscriber's handler; `mutex` keeps calls for it from overlapping and lets unsubscribe wait
// for a call in progress.
struct entry {
    handler call;
    std::mutex mutex;
    std::atomic<bool> active{true};
    std::atomic<std::thread::id> calling_thread{}; // lets the handler unsubscribe itself
};

using entry_list = std::vector<std::shared_ptr<entry>>;

class local_bus final : public bus, public std::enable_shared_from_this<local_bus> {
public:
    using bus::subscribe;
    void publish(std::string_view channel, payload message) override
    {
        std::shared_ptr<entry_list const> subscribers;
        {
            std::lock_guard lock(mutex_);
            auto it = channels_.find(channel);
            if (it == channels_.end())
                return;
            subscribers = it->second; // a snapshot: subscribe/unsubscribe copy on write
        }
        for (auto const& e : *subscribers) {
            std::lock_guard call_lock(e->mutex);
            if (!e->active)
                continue;
            e->calling_thread = std::this_thread::get_id();
            try {
                e->call(channel, message);
            } catch (std::exception const& ex) {
                log::error("bus subscriber failed", {{"channel", channel}, {"error", ex.what()}});
            }
            e->calling_thread = std::thread::id();
        }
    }

    // Never loses a message: on_gap is never called.
    std::unique_ptr<subscription> subscribe(std::string_view channel, handler h,
                                            gap_handler on_gap) override;

    void unsubscribe(std::string const& channel, std::shared_ptr<entry> const& e)
    {
        {
            std::lock_guard lock(mutex_);
            auto it = channels_.find(channel);
            if (it != channels_.end()) {
                auto next = std::make_shared<entry_list>(*it->second);
                std::erase(*next, e);
                if (next->empty())
                    channels_.erase(it);
                else
                    it->second = std::move(next);
            }
        }
        if (e->calling_thread.load() == std::this_thread::get_id()) {
            e->active = false; // unsubscribing from inside its own handler
            return;
        }
        std::lock_guard call_lock(e->mutex); // waits for a call in progress
        e->active = false;
    }

private:
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept
        {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<entry_list const>, string_hash, std::equal_to<>>
        channels_;
};

class local_subscription final : public subscription {
public:
    local_subscription(std::weak_ptr<local_bus> owner, std::string channel,
                       std::shared_ptr<entry> e)
        : owner_(std::move(owner)), channel_(std::move(channel)), entry_(std::move(e))
    {}
    ~local_subscription() override
    {
        if (auto owner = owner_.lock())
            owner->unsubscribe(channel_, entry_);
    }

private:
    std::weak_ptr<local_bus> owner_;
    std::string channel_;
    std::shared_ptr<entry> entry_;
};

std::unique_ptr<subscription> local_bus::subscribe(std::string_view channel, handler h, gap_handler)
{
    auto e = std::make_shared<entry>();
    e->call = std::move(h);
    {
        std::lock_guard lock(mutex_);
        auto& list = channels_[std::string(channel)];
        auto next = list ? std::make_shared<entry_list>(*list) : std::make_shared<entry_list>();
        next->push_back(e);
        list = std::move(next);
    }
    return std::make_unique<local_subscription>(weak_from_this(), std::string(channel),
                                                std::move(e));
}

// The bus is owned through unique_ptr<bus> by callers, but subscriptions need a weak handle to
// it: keep it in a shared_ptr and hand out an owning wrapper.
class local_bus_handle final : public bus {
public:
    using bus::subscribe;
    local_bus_handle() : impl_(std::make_shared<local_bus>()) {}
    void publish(std::string_view channel, payload message) override
    {
        impl_->publish(channel, std::move(message));
    }
    std::unique_ptr<subscription> subscribe(std::string_view channel, handler h,
                                            gap_handler on_gap) override
    {
        return impl_->subscribe(channel, std::move(h), std::move(on_gap));
    }

private:
    std::shared_ptr<local_bus> impl_;
};

} // namespace

std::unique_ptr<bus> make_local_bus()
{
    return std::make_unique<local_bus_handle>();
}

} // namespace parley::bus
