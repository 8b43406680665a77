// Pub/sub between the processes of a service: a message published on a channel reaches every
// subscriber of that channel in every process, once, in publish order per publisher. Delivery
// is at most once (Redis pub/sub semantics): the store stays the truth, subscribers backfill
// gaps from it.
//
//   auto sub = bus.subscribe("room:7", [](std::string_view channel, bus::payload const& p) { ...
//   }); bus.publish("room:7", bus::make_payload(text)); sub.reset();   // unsubscribes
//
// make_local_bus() serves one process (the default); a Redis implementation serves replicas.
#pragma once

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
using handler = std::function<void(std::string_view channel, payload const& message)>;

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
    virtual std::unique_ptr<subscription> subscribe(std::string_view channel, handler h) = 0;
};

// Delivers in the publishing thread, synchronously: no hop, no copy.
std::unique_ptr<bus> make_local_bus();

} // namespace parley::bus
