// The subscriber connection of a Redis bus: one per bus, in subscribed mode. A channel is
// SUBSCRIBEd while it has at least one local subscription; after every (re)connect all channels
// are subscribed again, and each subscription's gap handler runs once Redis confirms its channel.
// Nothing is queued while disconnected: the channel table is the truth, sent whole on connect.
#pragma once

#include "bus/redis/connection.hpp"
#include "parley/bus/bus.hpp"

#include <atomic>
#include <functional>
#include <thread>
#include <unordered_map>

namespace parley::bus::redis::detail {

class subscriber_connection final : public connection {
public:
    subscriber_connection(net::any_io_executor executor, endpoint where, client_options options);

    // Thread-safe.
    std::unique_ptr<subscription> subscribe(std::string_view channel, handler h,
                                            gap_handler on_gap);

    // One subscription's handlers; `call` keeps their calls from overlapping and lets
    // unsubscribe wait for a call in progress.
    struct entry {
        handler on_message;
        gap_handler on_gap;
        std::mutex call;
        std::atomic<bool> active{true};
        std::atomic<std::thread::id> calling{}; // lets a handler unsubscribe itself
    };
    void unsubscribe(std::string const& channel, std::shared_ptr<entry> const& e);

private:
    using entry_list = std::vector<std::shared_ptr<entry>>;
    struct channel_state {
        std::shared_ptr<entry_list const> entries; // copied on write: a delivery takes a snapshot
        bool gap_pending = false;                  // resubscribed, confirmation not yet seen
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept
        {
            return std::hash<std::string_view>{}(s);
        }
    };

    void on_connected() override;
    bool on_read(std::string_view bytes) override;
    void on_disconnected_locked() override;
    void on_connect_failed_locked(error_code ec) override;
    void queue_ping_locked() override;

    bool handle(std::span<node const> nodes);
    void deliver(std::string_view channel, payload const& message);
    void confirmed(std::string_view channel);
    // Under both locks: queue (UN)SUBSCRIBE of one channel.
    void send_locked(std::string_view verb, std::string_view channel);
    // Under mutex_: the outbox overflowed: start again from the channel table.
    void resync_locked();
    template <class F> void invoke(entry& e, std::string_view channel, F&& f);

    std::mutex channels_mutex_; // taken before mutex_
    std::unordered_map<std::string, channel_state, string_hash, std::equal_to<>> channels_;

    metrics::counter_series& received_;
    metrics::counter_series& gaps_;
};

} // namespace parley::bus::redis::detail
