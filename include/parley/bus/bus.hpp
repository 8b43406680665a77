// Pub/sub between the processes of a service: a message published on a channel reaches every
// subscriber of that channel in every process, once, in publish order per publisher. Delivery
// is at most once (Redis pub/sub semantics): the store stays the truth, subscribers backfill
// gaps from it.
//
//   auto sub = bus.subscribe("room:7", [](std::string_view channel, bus::payload const& p) { ...
//   }); bus.publish("room:7", bus::make_payload(text)); sub.reset();   // unsubscribes
//
// make_bus(url, executor) picks the implementation from PARLEY_BUS_URL: the in-process bus
// (make_local_bus()) serves one process (the default), the Redis bus (parley/bus/redis.hpp)
// serves replicas.
#pragma once

#include "parley/net.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace parley::bus {

// Immutable bytes, shared by every subscriber: a publish copies no payload.
using payload = std::shared_ptr<std::string const>;
inline payload make_payload(std::string text)
{
    return std::make_shared<std::string const>(std::move(text));
}

// Runs on a thread of the bus's choosing, never concurrently for one subscription. Must not block.
// The local bus calls it in the publishing thread; the Redis bus on its subscriber connection's
// strand (one I/O thread at a time, for every subscription of the bus).
using handler = std::function<void(std::string_view channel, payload const& message)>;

// Messages on `channel` may have been lost (the Redis bus reconnected and has subscribed again):
// read what was missed from the store. Called like the handler (same thread rules, never
// concurrently with it), after the new subscription is in effect, so that every message published
// after the call reaches the handler; the Redis bus also calls it once a channel's first
// SUBSCRIBE is in effect (what was published before was not received). The local bus never loses
// messages and never calls it.
using gap_handler = std::function<void(std::string_view channel)>;

// Alive while subscribed; destroying it unsubscribes (no call starts after the destructor).
class subscription {
public:
    virtual ~subscription() = default;
};

class bus {
public:
    virtual ~bus() = default;
    // Thread-safe; never blocks.
    virtual void publish(std::string_view channel, payload message) = 0;
    // Thread-safe. on_gap may be empty.
    virtual std::unique_ptr<subscription> subscribe(std::string_view channel, handler h,
                                                    gap_handler on_gap) = 0;
    std::unique_ptr<subscription> subscribe(std::string_view channel, handler h)
    {
        return subscribe(channel, std::move(h), gap_handler());
    }
};

// Delivers in the publishing thread, synchronously: no hop, no copy.
std::unique_ptr<bus> make_local_bus();

// The bus configured by `url` (the value of the variable named `variable`): empty selects the
// local bus; "redis://[[user]:password@]host[:port][/db]" the Redis bus, whose connections run on
// `executor` (its execution context must outlive the bus). Anything else throws config_error
// naming the variable (a password in the message is masked).
std::unique_ptr<bus> make_bus(std::string_view url, net::any_io_executor executor,
                              std::string_view variable = "PARLEY_BUS_URL");

} // namespace parley::bus
