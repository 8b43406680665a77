#include "bus/redis/subscriber_connection.hpp"

#include "parley/log/log.hpp"
#include "parley/ws/flush_scope.hpp"

namespace parley::bus::redis::detail {

namespace {

// Channels per SUBSCRIBE command when subscribing everything again.
constexpr std::size_t channels_per_command = 1024;

class redis_subscription final : public subscription {
public:
    redis_subscription(std::weak_ptr<subscriber_connection> owner, std::string channel,
                       std::shared_ptr<subscriber_connection::entry> e)
        : owner_(std::move(owner)), channel_(std::move(channel)), entry_(std::move(e))
    {}
    ~redis_subscription() override
    {
        if (auto owner = owner_.lock())
            owner->unsubscribe(channel_, entry_);
        else
            entry_->active = false;
    }

private:
    std::weak_ptr<subscriber_connection> owner_;
    std::string channel_;
    std::shared_ptr<subscriber_connection::entry> entry_;
};

} // namespace

subscriber_connection::subscriber_connection(net::any_io_executor executor, endpoint where,
                                             client_options options)
    : connection(std::move(executor), std::move(where), std::move(options), true),
      received_(
          metrics::counter("parley_bus_received_total", "Messages received from Redis pub/sub")),
      gaps_(metrics::counter("parley_bus_gaps_total",
                             "Subscriptions told that messages may have been lost (reconnects)"))
{}

std::unique_ptr<subscription> subscriber_connection::subscribe(std::string_view channel, handler h,
                                                               gap_handler on_gap)
{
    auto e = std::make_shared<entry>();
    e->on_message = std::move(h);
    e->on_gap = std::move(on_gap);
    {
        std::lock_guard lock(channels_mutex_);
        auto it = channels_.find(channel);
        bool const first = it == channels_.end();
        // A new channel's gap handler is called once its SUBSCRIBE is in effect too: what was
        // published before that (e.g. since the subscriber read the store) was not received.
        if (first)
            it = channels_.emplace(std::string(channel), channel_state{nullptr, true}).first;
        auto& list = it->second.entries;
        auto next = list ? std::make_shared<entry_list>(*list) : std::make_shared<entry_list>();
        next->push_back(e);
        list = std::move(next);
        if (first) {
            std::lock_guard out(mutex_);
            if (connected_) // else the next connection subscribes it
                send_locked("SUBSCRIBE", channel);
        }
    }
    auto self = std::static_pointer_cast<subscriber_connection>(shared_from_this());
    return std::make_unique<redis_subscription>(self, std::string(channel), std::move(e));
}

void subscriber_connection::unsubscribe(std::string const& channel, std::shared_ptr<entry> const& e)
{
    {
        std::lock_guard lock(channels_mutex_);
        auto it = channels_.find(channel);
        if (it != channels_.end()) {
            auto next = std::make_shared<entry_list>(*it->second.entries);
            std::erase(*next, e);
            if (next->empty()) {
                channels_.erase(it);
                std::lock_guard out(mutex_);
                if (connected_)
                    send_locked("UNSUBSCRIBE", channel);
            } else {
                it->second.entries = std::move(next);
            }
        }
    }
    if (e->calling.load() == std::this_thread::get_id()) {
        e->active = false; // unsubscribing from inside its own handler
        return;
    }
    std::lock_guard call(e->call); // waits for a call in progress
    e->active = false;
}

void subscriber_connection::send_locked(std::string_view verb, std::string_view channel)
{
    std::string_view const args[] = {verb, channel};
    if (!fits_locked(encoded_size(args))) {
        resync_locked();
        return;
    }
    append_locked(args, 1);
}

void subscriber_connection::resync_locked()
{
    // Redis does not read what we send: drop the connection rather than grow, and start again
    // from the channel table (with gap calls) on the next one.
    outbox_.clear();
    unsent_replies_ = 0;
    connected_ = false;
    end_session_soon_locked(error::buffer_full, "the subscriber's outbound buffer is full");
}

void subscriber_connection::on_connected()
{
    std::lock_guard lock(channels_mutex_);
    std::lock_guard out(mutex_);
    std::vector<std::string_view> args;
    args.reserve(1 + std::min(channels_.size(), channels_per_command));
    args.push_back("SUBSCRIBE");
    auto flush = [&] {
        if (args.size() == 1 || !connected_)
            return;
        if (!fits_locked(encoded_size(args)))
            resync_locked();
        else
            append_locked(args, args.size() - 1);
        args.resize(1);
    };
    for (auto& [name, state] : channels_) {
        state.gap_pending = true;
        args.push_back(name);
        if (args.size() == 1 + channels_per_command)
            flush();
    }
    flush();
}

void subscriber_connection::on_disconnected_locked()
{
    // (UN)SUBSCRIBEs not sent are moot: the next connection subscribes the table.
    outbox_.clear();
    unsent_replies_ = 0;
}

void subscriber_connection::on_connect_failed_locked(error_code)
{
    outbox_.clear();
    unsent_replies_ = 0;
}

void subscriber_connection::queue_ping_locked()
{
    std::string_view const args[] = {"PING"};
    if (fits_locked(encoded_size(args)))
        append_locked(args, 1);
}

bool subscriber_connection::on_read(std::string_view bytes)
{
    // Everything the messages of this read send to a WebSocket session leaves in one write.
    ws::flush_scope batch;
    return reader_.consume(bytes, [this](std::span<node const> nodes) { return handle(nodes); });
}

bool subscriber_connection::handle(std::span<node const> nodes)
{
    auto const& root = nodes[0];
    if (root.type == reply::kind::array && nodes.size() >= 2 &&
        nodes[1].type == reply::kind::string) {
        auto const& kind = nodes[1].text;
        bool const triple = root.integer == 3 && nodes.size() == 4 &&
                            nodes[2].type == reply::kind::string &&
                            nodes[3].type != reply::kind::array;
        if (kind == "message" && triple && nodes[3].shared) {
            deliver(nodes[2].text, nodes[3].shared);
            return true;
        }
        if (kind == "subscribe" && triple) {
            replies_arrived(1);
            confirmed(nodes[2].text);
            return true;
        }
        if (kind == "unsubscribe" && triple) {
            replies_arrived(1);
            return true;
        }
        if (kind == "pong") {
            replies_arrived(1);
            return true;
        }
        if (kind == "pmessage")
            return true; // never asked for; ignored
        return false;
    }
    if (root.type == reply::kind::status && root.text == "PONG") { // subscribed to nothing
        replies_arrived(1);
        return true;
    }
    if (root.type == reply::kind::error)
        log::warn("redis refused a subscriber command",
                  {{"connection", options_.name}, {"error", root.text}});
    return false; // out of step: a new connection subscribes the table again
}

template <class F> void subscriber_connection::invoke(entry& e, std::string_view channel, F&& f)
{
    std::lock_guard call(e.call);
    if (!e.active)
        return;
    e.calling = std::this_thread::get_id();
    try {
        f();
    } catch (std::exception const& ex) {
        log::error("bus subscriber failed", {{"channel", channel}, {"error", ex.what()}});
    }
    e.calling = std::thread::id();
}

void subscriber_connection::deliver(std::string_view channel, payload const& message)
{
    received_.inc();
    std::shared_ptr<entry_list const> entries;
    {
        std::lock_guard lock(channels_mutex_);
        auto it = channels_.find(channel);
        if (it == channels_.end())
            return; // unsubscribed meanwhile
        entries = it->second.entries;
    }
    for (auto const& e : *entries)
        invoke(*e, channel, [&] { e->on_message(channel, message); });
}

void subscriber_connection::confirmed(std::string_view channel)
{
    std::shared_ptr<entry_list const> entries;
    {
        std::lock_guard lock(channels_mutex_);
        auto it = channels_.find(channel);
        if (it == channels_.end() || !it->second.gap_pending)
            return;
        it->second.gap_pending = false;
        entries = it->second.entries;
    }
    for (auto const& e : *entries) {
        if (!e->on_gap)
            continue;
        gaps_.inc();
        invoke(*e, channel, [&] { e->on_gap(channel); });
    }
}

} // namespace parley::bus::redis::detail
