// Liveness and readiness, for load balancers and Kubernetes probes, on every service:
//
//   GET /live   200 {"status":"alive"}: the process answers; depends on nothing else.
//   GET /ready  200 {"status":"ready"};
//               503 {"status":"draining"} from the start of a graceful stop (PARLEY_DRAIN_DELAY);
//               503 {"status":"unavailable","failing":["bus"]} while a required dependency is down.
//
// run_service registers both; a service names what it cannot serve without in its setup:
//   svc.readiness.require("bus", [&bus] { return bus.connected(); });
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace parley {

class runtime;
namespace http {
class server;
}

class readiness {
public:
    // `check` is cheap and never blocks (a flag, a last-success time); called per probe.
    void require(std::string name, std::function<bool()> check);
    // The names of the dependencies whose check fails now.
    std::vector<std::string> failing() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<std::string, std::function<bool()>>> checks_;
};

// Adds GET /live and GET /ready to `server`.
void expose_readiness(http::server& server, runtime const& rt, std::shared_ptr<readiness> r);

} // namespace parley
