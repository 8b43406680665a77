#include "parley/service/service.hpp"

#include "parley/log/log.hpp"
#include "parley/service/instance.hpp"
#include "parley/service/internal.hpp"

#include <cstdio>
#include <optional>
#include <thread>

namespace parley {

runtime_options runtime_options_from(config const& cfg)
{
    runtime_options o;
    auto cores = static_cast<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()));
    o.io_threads = static_cast<std::size_t>(cfg.integer({"PARLEY_IO_THREADS"}, cores, 1, 256));
    o.worker_threads =
        static_cast<std::size_t>(cfg.integer({"PARLEY_WORKER_THREADS"}, cores, 1, 256));
    o.shutdown_deadline = cfg.duration({"PARLEY_SHUTDOWN_TIMEOUT"}, std::chrono::seconds(10));
    o.drain_delay = cfg.duration({"PARLEY_DRAIN_DELAY"}, std::chrono::milliseconds(0));
    return o;
}

http::server_options server_options_from(config const& cfg, service_info const& info)
{
    http::server_options o;
    o.name = info.name;
    o.address = cfg.string({"PARLEY_BIND"}, "0.0.0.0");
    // 0 asks for an ephemeral port (integration tests read the bound port from the log).
    o.port = static_cast<std::uint16_t>(
        cfg.integer({"PARLEY_PORT", "PORT"}, info.default_port, 0, 65535));
    o.cors_origins = cfg.list({"PARLEY_CORS_ORIGINS"}, info.default_cors_origins);
    o.max_body_bytes = cfg.bytes({"PARLEY_MAX_BODY_BYTES"}, o.max_body_bytes);
    o.request_timeout = cfg.duration({"PARLEY_REQUEST_TIMEOUT"}, o.request_timeout);
    o.idle_timeout = cfg.duration({"PARLEY_IDLE_TIMEOUT"}, o.idle_timeout);
    o.max_connections = static_cast<std::size_t>(cfg.integer(
        {"PARLEY_MAX_CONNECTIONS"}, static_cast<std::int64_t>(o.max_connections), 1, 10'000'000));
    o.max_connections_per_address = static_cast<std::size_t>(cfg.integer(
        {"PARLEY_MAX_CONNECTIONS_PER_ADDRESS"},
        static_cast<std::int64_t>(info.default_max_connections_per_address), 0, 10'000'000));
    return o;
}

std::optional<http::server_options> internal_options_from(config const& cfg,
                                                          service_info const& info)
{
    // -1: not set. 0 asks for an ephemeral port (tests read it from the second "listening" line).
    auto const port = cfg.integer({"PARLEY_INTERNAL_PORT"}, -1, 0, 65535);
    if (port < 0)
        return std::nullopt;
    auto o = server_options_from(cfg, info);
    o.address = cfg.string({"PARLEY_INTERNAL_BIND"}, o.address);
    o.port = static_cast<std::uint16_t>(port);
    return o;
}

int run_service(service_info info, std::function<void(service&)> setup)
{
    config cfg;
    std::unique_ptr<runtime> rt;
    std::unique_ptr<http::server> server;
    std::unique_ptr<http::server> internal; // PARLEY_INTERNAL_PORT: /metrics and /internal/*
    try {
        log::init(info.name,
                  log::parse_level(cfg.string({"PARLEY_LOG_LEVEL"}, "info"), log::level::info));
        cfg.production(); // validates PARLEY_ENV early
        rt = std::make_unique<runtime>(runtime_options_from(cfg));
        server = std::make_unique<http::server>(*rt, server_options_from(cfg, info));
        // First: its middleware counts every request.
        auto describe = expose_instance(*server, info.name);
        auto ready = std::make_shared<readiness>();
        expose_readiness(*server, *rt, ready);
        service svc{cfg, *rt, *server, info, *ready, std::move(describe)};
        setup(svc);
        auto internal_options = internal_options_from(cfg, info);
        server->listen();
        if (internal_options) {
            internal = make_internal_server(*rt, *server, std::move(*internal_options));
            internal->listen();
        }
    } catch (config_error const& e) {
        std::fprintf(stderr, "%s: configuration error: %s\n", info.name.c_str(), e.what());
        log::error("configuration error", {{"error", e.what()}});
        return 2;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "%s: failed to start: %s\n", info.name.c_str(), e.what());
        log::error("failed to start", {{"error", e.what()}});
        return 1;
    }
    log::info("started",
              {{"port", server->port()}, {"env", cfg.production() ? "production" : "development"}});
    return rt->run();
}

} // namespace parley
