#include "chat/setup.hpp"

#include "chat/fanout/commit_hook.hpp"
#include "chat/fanout/room_events.hpp"
#include "chat/realtime/events.hpp"
#include "chat/routes.hpp"
#include "chat/state.hpp"
#include "parley/auth/keys_config.hpp"
#include "parley/log/log.hpp"
#include "parley/store/from_config.hpp"

#include <filesystem>

namespace parley::chat_app {

namespace {

chat_settings settings_from(config const& cfg)
{
    chat_settings s;
    s.messages_per_second =
        static_cast<double>(cfg.integer({"PARLEY_CHAT_MESSAGES_PER_SECOND"}, 10, 1, 1'000'000));
    s.message_burst =
        static_cast<double>(cfg.integer({"PARLEY_CHAT_MESSAGE_BURST"}, 20, 1, 1'000'000));
    s.frames_per_second =
        static_cast<double>(cfg.integer({"PARLEY_CHAT_FRAMES_PER_SECOND"}, 20, 1, 1'000'000));
    s.frame_burst =
        static_cast<double>(cfg.integer({"PARLEY_CHAT_FRAME_BURST"}, 200, 1, 1'000'000));
    s.max_refused_frames = static_cast<std::size_t>(
        cfg.integer({"PARLEY_CHAT_MAX_REFUSED_FRAMES"}, 100, 1, 1'000'000));
    s.typing_interval = cfg.duration({"PARLEY_CHAT_TYPING_INTERVAL"}, s.typing_interval);
    s.presence_interval = cfg.duration({"PARLEY_CHAT_PRESENCE_INTERVAL"}, s.presence_interval);
    s.presence_heartbeat = cfg.duration({"PARLEY_CHAT_PRESENCE_HEARTBEAT"}, s.presence_heartbeat);
    if (s.presence_heartbeat < std::chrono::milliseconds(100))
        throw config_error("PARLEY_CHAT_PRESENCE_HEARTBEAT must be at least 100ms (a replica "
                           "writes and reads every replica's presence at each heartbeat)");
    s.max_replay =
        static_cast<std::size_t>(cfg.integer({"PARLEY_CHAT_MAX_REPLAY"}, 500, 0, 100'000));
    s.replay_budget =
        static_cast<std::size_t>(cfg.integer({"PARLEY_CHAT_REPLAY_BUDGET"}, 5000, 0, 10'000'000));
    s.auth_timeout = cfg.duration({"PARLEY_WS_AUTH_TIMEOUT"}, s.auth_timeout);
    s.max_batch = static_cast<std::size_t>(cfg.integer({"PARLEY_CHAT_MAX_BATCH"}, 512, 1, 100'000));
    s.reorder_wait = cfg.duration({"PARLEY_CHAT_REORDER_WAIT"}, s.reorder_wait);
    s.commit_linger = cfg.duration({"PARLEY_CHAT_COMMIT_LINGER"}, s.commit_linger);
    s.fanout_max_pause = cfg.duration({"PARLEY_CHAT_FANOUT_MAX_PAUSE"}, s.fanout_max_pause);
    s.recent_frames =
        static_cast<std::size_t>(cfg.integer({"PARLEY_CHAT_RECENT_FRAMES"}, 512, 0, 100'000));
    return s;
}

hub_options hub_options_from(chat_settings const& s, std::size_t io_threads)
{
    hub_options o;
    o.reorder_wait = s.reorder_wait;
    o.recent = s.recent_frames;
    o.lanes = io_threads; // a commit batch's rooms fan out on every I/O thread
    o.max_pause = s.fanout_max_pause;
    return o;
}

ws::session_options ws_options_from(config const& cfg)
{
    ws::session_options o;
    o.allowed_origins = cfg.list({"PARLEY_WS_ORIGINS"}, {});
    o.max_message_bytes = cfg.bytes({"PARLEY_WS_MAX_MESSAGE_BYTES"}, o.max_message_bytes);
    o.max_queued_frames = static_cast<std::size_t>(
        cfg.integer({"PARLEY_WS_MAX_QUEUED_FRAMES"}, static_cast<std::int64_t>(o.max_queued_frames),
                    1, 1'000'000));
    o.max_queued_bytes = cfg.bytes({"PARLEY_WS_MAX_QUEUED_BYTES"}, o.max_queued_bytes);
    o.ping_interval = cfg.duration({"PARLEY_WS_PING_INTERVAL"}, o.ping_interval);
    o.idle_timeout = cfg.duration({"PARLEY_WS_IDLE_TIMEOUT"}, o.idle_timeout);
    o.close_timeout = cfg.duration({"PARLEY_WS_CLOSE_TIMEOUT"}, o.close_timeout);
    o.no_delay = cfg.boolean({"PARLEY_WS_NODELAY"}, o.no_delay);
    return o;
}

// The bus between the chat replicas: PARLEY_BUS_URL (unset: in-process). Several replicas on the
// in-process bus would each deliver only their own messages: refused, like SQLite.
std::unique_ptr<bus::bus> bus_from_config(config const& cfg, net::any_io_executor executor)
{
    auto const url = cfg.string({"PARLEY_BUS_URL"}, "");
    auto const replicas = cfg.integer({"PARLEY_REPLICAS"}, 1, 1, 10'000);
    if (replicas > 1 && url.empty())
        throw config_error("PARLEY_REPLICAS=" + std::to_string(replicas) +
                           " needs a shared bus: PARLEY_BUS_URL is unset (the in-process bus "
                           "reaches only this process's sessions); set PARLEY_BUS_URL to a "
                           "redis:// URL, or run one replica");
    return bus::make_bus(url, std::move(executor), "PARLEY_BUS_URL");
}

// Presence across the replicas, when they share Redis (PARLEY_BUS_URL); none for one process on
// the in-process bus.
std::shared_ptr<presence_sync> presence_sync_from(service& svc, chat_state& app)
{
    auto where = bus::redis::configured_endpoint(svc.config.string({"PARLEY_BUS_URL"}, ""),
                                                 "PARLEY_BUS_URL");
    if (!where)
        return nullptr;
    auto const heartbeat = app.settings.presence_heartbeat;
    return std::make_shared<presence_sync>(
        app.executor, *where, *app.bus, app.presence, app.hub, svc.describe,
        presence_sync_options{.heartbeat = heartbeat, .ttl = 3 * heartbeat});
}

// The room hub's repairs: a room's new_message events after `after`, read from the store. Holds
// the state only while it reads (nothing once the state is gone).
net::awaitable<std::vector<sequenced_event>> missed_events(std::weak_ptr<chat_state> weak,
                                                           std::int64_t room_id, std::int64_t after,
                                                           std::size_t limit)
{
    std::vector<sequenced_event> out;
    auto app = weak.lock();
    if (!app)
        co_return out;
    history_query q;
    q.limit = static_cast<std::int64_t>(limit);
    q.after = after;
    auto pending = app->rooms.messages(room_id, q);
    auto rows = co_await std::move(pending);
    out.reserve(rows.size());
    for (auto const& m : rows)
        out.push_back({.seq = m.seq, .event = events::new_message(m)});
    co_return out;
}

// Nothing can post any more (the server has stopped): stop the presence announcer, take this
// replica's presence out of Redis, let the pending batches commit (their hook counts the stats),
// then send the stats.
net::awaitable<void> flush_stats_last(std::shared_ptr<chat_state> state)
{
    state->announcer->stop();
    if (state->presence_sync)
        co_await state->presence_sync->stop();
    co_await state->writer->wait_idle();
    co_await state->stats->stop();
}

} // namespace

chat_state::chat_state(service& svc)
    : settings(settings_from(svc.config)), executor(svc.runtime.executor()),
      db(store::open_database_from_config(svc.config, "chat")), rooms(db),
      bus(bus_from_config(svc.config, executor)),
      hub(*bus, executor, hub_options_from(settings, svc.runtime.options().io_threads)),
      verifier(
          std::make_shared<auth::token_verifier const>(auth::verifier_from_config(svc.config))),
      revocations(auth::revocations_from_auth(svc.config, svc.runtime)),
      limiter(settings.messages_per_second, settings.message_burst),
      frame_limiter(settings.frames_per_second, settings.frame_burst),
      // a budget per minute, refilled continuously (at least one token in the bucket)
      replay_limiter(static_cast<double>(settings.replay_budget) / 60.0 + 1e-9,
                     static_cast<double>(settings.replay_budget)),
      typing(settings.typing_interval), announcer(std::make_shared<presence_announcer>(
                                            executor, hub, presence, settings.presence_interval)),
      ws_options(ws_options_from(svc.config))
{
    db.migrate(chat_migrations());
    stats = std::make_shared<stats_flusher>(
        executor,
        stats_options{.user_service_url = svc.config.string({"PARLEY_USER_URL", "USER_SERVICE_URL"},
                                                            "http://127.0.0.1:5002"),
                      .service_token = auth::service_token_from_config(svc.config),
                      .interval = svc.config.duration({"PARLEY_CHAT_STATS_INTERVAL"},
                                                      std::chrono::milliseconds(1'000)),
                      .max_attempts = static_cast<int>(
                          svc.config.integer({"PARLEY_CHAT_STATS_MAX_ATTEMPTS"}, 10, 1, 1'000))});
    writer = message_writer::create(
        db, executor, process_writes, commit_hook(hub, *stats),
        store::batcher_options{.max_batch = settings.max_batch, .linger = settings.commit_linger});
}

chat_state::~chat_state() = default;

std::shared_ptr<chat_state> setup(service& svc)
{
    auto state = std::make_shared<chat_state>(svc);
    // The original chat service answered every token problem with 401 "Unauthorized".
    svc.server.set_authenticator(
        auth::authenticator_for(state->verifier, state->revocations),
        {.missing_token = "Unauthorized", .invalid_token = "Unauthorized"});
    // A revoked user's sessions close at once (docs/api.md, "Admin actions").
    std::weak_ptr<chat_state> weak = state;
    state->revocations->on_change([weak](std::vector<std::int64_t> const& users) {
        auto app = weak.lock();
        if (!app)
            return;
        for (auto user_id : users) {
            auto revoked = [&](std::int64_t issued_at) {
                return app->revocations->revoked(user_id, issued_at);
            };
            app->sessions.close_if(user_id, revoked, ws::close_code::unauthorized, "token revoked");
        }
    });
    state->hub.set_history([weak](std::int64_t room_id, std::int64_t after, std::size_t limit) {
        return missed_events(weak, room_id, after, limit);
    });
    state->room_events = subscribe_room_events(state);
    add_routes(svc.server.routes(), state);
    state->stats->start();
    state->announcer->start();
    state->presence_sync = presence_sync_from(svc, *state);
    if (state->presence_sync)
        state->presence_sync->start();
    // The last stats flush waits until the server has stopped (on_stopped: after every on_stop
    // hook, the server's drain among them) and the writer has committed what it held, so that
    // messages stored while sessions drained are counted too. The hook owns the state.
    svc.runtime.on_stopped([state] { return flush_stats_last(state); });
    log::info("chat ready", {{"database", std::string(state->db.backend_name())}});
    return state;
}

} // namespace parley::chat_app
