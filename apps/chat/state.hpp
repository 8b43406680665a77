// Everything the chat service's handlers share, built once by setup() (setup.cpp) and kept
// alive by the routes and the stop hook that use it.
#pragma once

#include "chat/fanout/room_hub.hpp"
#include "chat/realtime/presence.hpp"
#include "chat/realtime/presence_announcer.hpp"
#include "chat/realtime/presence_sync.hpp"
#include "chat/realtime/rate_limiter.hpp"
#include "chat/realtime/session_registry.hpp"
#include "chat/realtime/typing_throttle.hpp"
#include "chat/stats/stats_flusher.hpp"
#include "chat/store/chat_store.hpp"
#include "chat/store/message_writer.hpp"
#include "parley/auth/revocation.hpp"
#include "parley/auth/token.hpp"
#include "parley/bus/bus.hpp"
#include "parley/service/service.hpp"
#include "parley/store/database.hpp"
#include "parley/ws/session.hpp"

#include <chrono>
#include <memory>

namespace parley::chat_app {

// Limits of the API (the numbers).
inline constexpr std::size_t max_room_name_chars = 100;
inline constexpr std::size_t max_description_chars = 500;
inline constexpr std::size_t max_content_chars = 4000;
inline constexpr std::size_t max_client_id_chars = 64;

// The limits (docs/configuration.md, "Chat service"; docs/protocol.md, "Limits").
struct chat_settings {
    double messages_per_second = 10; // per user, sustained
    double message_burst = 20;
    double frames_per_second = 20; // every frame after auth, per user
    double frame_burst = 200;      // e.g. a reconnect joining every room at once
    // More than this many frames refused (rate_limited) within refused_window: close 4029.
    std::size_t max_refused_frames = 100;
    std::chrono::milliseconds refused_window{10'000};
    std::chrono::milliseconds typing_interval{2'000};   // one is_typing:true per user and room
    std::chrono::milliseconds presence_interval{1'000}; // one announcement per user and room
    // How often a replica renews its presence in Redis and reads the others' (with Redis).
    std::chrono::milliseconds presence_heartbeat{1'000};
    std::chrono::milliseconds auth_timeout{10'000}; // the auth frame must come this soon
    std::size_t max_replay = 500;                   // messages replayed on one join with last_seq
    std::size_t replay_budget = 5000;               // messages replayed per user per minute
    std::size_t max_batch = 512;                    // messages per group-commit transaction
    // Under load, a group commit starts at least this long after the previous one ended.
    std::chrono::milliseconds commit_linger{1};
    // A fan-out lane pauses after a drain for a few times what the drain took, at most this
    // long: under load a session gets the events of that time in one write.
    std::chrono::milliseconds fanout_max_pause{5};
    // How long a message from another replica that arrives before its predecessor waits for it
    // before the missing ones are read from the store.
    std::chrono::milliseconds reorder_wait{250};
    // Messages a room keeps to hand to a session whose join read the store just before them.
    std::size_t recent_frames = 512;
};

struct chat_state {
    chat_state(service& svc);
    ~chat_state();

    chat_settings settings;
    net::any_io_executor executor;
    store::database db;
    chat_store rooms;
    std::unique_ptr<bus::bus> bus;
    room_hub hub;
    chat_app::presence presence;
    std::shared_ptr<chat_app::presence_sync> presence_sync; // with Redis: across the replicas
    std::shared_ptr<message_writer> writer;
    std::shared_ptr<stats_flusher> stats;
    std::shared_ptr<auth::token_verifier const> verifier;
    std::shared_ptr<auth::revocation_list> revocations; // polled from auth
    rate_limiter limiter;                               // messages
    rate_limiter frame_limiter;                         // every frame
    rate_limiter replay_limiter;                        // replayed rows
    typing_throttle typing;
    session_registry sessions; // authenticated sessions by user
    std::shared_ptr<presence_announcer> announcer;
    std::unique_ptr<bus::subscription> room_events; // the "rooms" channel, once per process
    ws::session_options ws_options;
};

} // namespace parley::chat_app
