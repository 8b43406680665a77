// Fuzz target: the chat protocol's frame handler (apps/chat/realtime/connection.cpp), the real
// chat service built in-process by its own setup (chat_app::setup: SQLite store, group-commit
// writer, in-process bus, room hub, presence, rate limiters) with the WebSocket sessions
// replaced by in-memory ones. Each session's handler is a chat_app::connection on the state
// setup returns, as the /ws upgrade route makes it. A text message reaches the handler exactly
// as a session delivers it (valid UTF-8, at most max_message_bytes, one at a time, none after
// the session closed). The rate limits are set out of reach: they depend on the clock, and a
// fuzzer sending thousands of frames a second as four users would meet nothing else.
//
// Input: byte 0 = flags (bit 0: authenticate first with a valid token; bit 1: an observer
// session sits in room 1 and receives the fan-out; bits 2-3: which user the fuzzed session is),
// then text messages separated by '\n'. Checks, beyond "no crash, no sanitizer report":
//   - every frame the server sends any session is one final text frame of valid UTF-8 holding a
//     JSON object with a string "type" (a browser fails the connection otherwise);
//   - a close (now or at a deadline) uses a code a server may send, with a reason of at most 123
//     bytes of UTF-8;
//   - the handler never throws (the session would close 1011: a bug).
#include "chat/realtime/connection.hpp"
#include "chat/setup.hpp"
#include "chat/state.hpp"
#include "check.hpp"
#include "parley/auth/revocation.hpp"
#include "parley/auth/token.hpp"
#include "parley/config/config.hpp"
#include "parley/http/router.hpp"
#include "parley/http/server.hpp"
#include "parley/json/json.hpp"
#include "parley/log/log.hpp"
#include "parley/runtime/runtime.hpp"
#include "parley/service/readiness.hpp"
#include "parley/service/service.hpp"
#include "parley/text/utf8.hpp"
#include "ws/codec.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

using namespace parley;

namespace {

std::atomic<std::uint64_t> next_session_id{1};

// What a ws::session is to the handler, in memory: frames are checked and counted.
class memory_session final : public ws::session {
public:
    bool send(ws::frame f) override
    {
        if (!f)
            return false;
        check_frame(f.wire());
        if (closed_)
            return false;
        ++frames_;
        return true;
    }
    void close(ws::close_code code, std::string_view reason) override
    {
        check_close(code, reason);
        if (!closed_)
            code_ = code;
        closed_ = true;
    }
    // No clock runs here: a deadline (authentication, token expiry) is checked, never reached.
    void close_at(clock::time_point, ws::close_code code, std::string_view reason) override
    {
        check_close(code, reason);
    }
    std::uint64_t id() const noexcept override { return id_; }
    std::string const& remote_address() const noexcept override { return remote_; }
    std::string const& subprotocol() const noexcept override { return subprotocol_; }
    std::size_t queued_bytes() const noexcept override { return 0; }

    bool closed() const noexcept { return closed_; }
    ws::close_code code() const noexcept { return code_; }

private:
    static void check_close(ws::close_code code, std::string_view reason)
    {
        PARLEY_FUZZ_CHECK(ws::detail::valid_close_code(static_cast<std::uint16_t>(code)));
        PARLEY_FUZZ_CHECK(reason.size() <= 123 && text::valid_utf8(reason));
    }

    static void check_frame(std::string_view wire)
    {
        ws::detail::frame_parser p(ws::detail::role::client, 16 * 1024 * 1024);
        std::size_t used = 0;
        auto const e = p.parse(wire, used);
        PARLEY_FUZZ_CHECK(e == ws::detail::parse_event::text);
        PARLEY_FUZZ_CHECK(used == wire.size());
        auto const v = json::parse(p.message());
        PARLEY_FUZZ_CHECK(v && v->is_object());
        auto const* type = v->as_object().if_contains("type");
        PARLEY_FUZZ_CHECK(type && type->is_string());
    }

    std::uint64_t id_ = next_session_id.fetch_add(1);
    std::string remote_ = "127.0.0.1:40000";
    std::string subprotocol_;
    bool closed_ = false;
    ws::close_code code_ = ws::close_code::none;
    std::size_t frames_ = 0;
};

// A fresh data directory, removed when the process exits (libFuzzer exits at the end of a run;
// the service is never destroyed).
std::string data_directory()
{
    std::string base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    static std::string dir = base + "/parley-fuzz-chat-XXXXXX";
    PARLEY_FUZZ_CHECK(::mkdtemp(dir.data()) != nullptr);
    std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    });
    return dir;
}

// Runs the io_context on this thread until `done` (the store thread posts completions to it).
void run_until(net::io_context& io, bool const& done)
{
    io.restart();
    while (!done)
        io.run_one();
    io.poll();
}

// Runs a request handler's coroutine to its end on the service's io_context.
template <class T> T run_to_end(net::io_context& io, net::awaitable<T> work)
{
    std::optional<T> out;
    bool done = false;
    auto finished = [&](std::exception_ptr e, T r) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (http::error const& ex) {
                std::fprintf(stderr, "handler refused: %u %s\n", ex.to_response().status_code(),
                             ex.what());
            } catch (std::exception const& ex) {
                std::fprintf(stderr, "handler threw: %s\n", ex.what());
            }
            std::abort();
        }
        out = std::move(r);
        done = true;
    };
    net::co_spawn(io, std::move(work), finished);
    run_until(io, done);
    return std::move(*out);
}

struct chat_under_fuzz {
    chat_under_fuzz()
        : dir(data_directory()), keys(auth::generate_ed25519()), signer(keys.private_pem),
          cfg({{"PARLEY_DATA_DIR", dir},
               {"PARLEY_JWT_PUBLIC_KEY", keys.public_pem},
               // Nothing listens there: the stats flusher and the revocation poller (whose
               // intervals are long anyway) must not reach a real service on this machine.
               {"PARLEY_USER_URL", "http://127.0.0.1:9"},
               {"PARLEY_AUTH_URL", "http://127.0.0.1:9"},
               {"PARLEY_CHAT_STATS_INTERVAL", "3600s"},
               {"PARLEY_REVOCATION_POLL_INTERVAL", "1m"},
               {"PARLEY_CHAT_MESSAGES_PER_SECOND", "1000000"},
               {"PARLEY_CHAT_MESSAGE_BURST", "1000000"},
               {"PARLEY_CHAT_FRAMES_PER_SECOND", "1000000"},
               {"PARLEY_CHAT_FRAME_BURST", "1000000"},
               {"PARLEY_CHAT_REPLAY_BUDGET", "10000000"}}),
          rt({.io_threads = 1, .worker_threads = 1, .handle_signals = false}),
          server(rt, {.name = "chat-service"}), info{.name = "chat-service"}, svc{cfg,    rt,
                                                                                  server, info,
                                                                                  ready,  {}}
    {
        log::init("chat-fuzz", log::level::error);
        state = chat_app::setup(svc);
        PARLEY_FUZZ_CHECK(state != nullptr);
        // What ctx.user() sees in the service: the authenticator setup gives the server.
        authenticate = auth::authenticator_for(state->verifier, state->revocations);
        check_websocket_route();
        // Room 1 is the public room the chat database starts with ("General"); room 2 is
        // private, owned by user 1 (the admin). The seeds use both, and 99 (no such room).
        PARLEY_FUZZ_CHECK(create_room(R"({"name":"secret","is_private":true})") == 2);
    }

    std::string token(std::int64_t user_id) const
    {
        static char const* const names[] = {"", "admin", "ann", "bob", "cé"};
        return signer.sign(
            {.user_id = user_id, .username = names[user_id], .is_admin = user_id == 1});
    }

    // /ws is the chat service's upgrade route, and it accepts a valid upgrade request.
    void check_websocket_route()
    {
        auto const match = server.routes().find(http::method::get, "/ws");
        PARLEY_FUZZ_CHECK(match.result == http::router::match::found);
        auto const* upgrade = http::router::upgrade_of(*match.target);
        PARLEY_FUZZ_CHECK(upgrade != nullptr);
        http::request req;
        req.method = http::method::get;
        req.method_name = "GET";
        req.target = "/ws";
        req.headers.set("Upgrade", "websocket");
        req.headers.set("Connection", "Upgrade");
        req.headers.set("Sec-WebSocket-Version", "13");
        req.headers.set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        http::request_context ctx(req, rt.executor(), &authenticate);
        ctx.set_route(http::router::pattern(*match.target), match.params);
        auto const up = run_to_end(rt.io(), (*upgrade)(ctx));
        PARLEY_FUZZ_CHECK(up.res.status == http::status::switching_protocols);
        PARLEY_FUZZ_CHECK(up.run != nullptr);
    }

    // The new room's id.
    std::int64_t create_room(std::string body)
    {
        auto const match = server.routes().find(http::method::post, "/rooms");
        PARLEY_FUZZ_CHECK(match.result == http::router::match::found);
        http::request req;
        req.method = http::method::post;
        req.method_name = "POST";
        req.target = "/rooms";
        req.headers.set("Authorization", "Bearer " + token(1));
        req.headers.set("Content-Type", "application/json");
        req.body = std::move(body);
        http::request_context ctx(req, rt.executor(), &authenticate);
        ctx.set_route(http::router::pattern(*match.target), match.params);
        auto const res = run_to_end(rt.io(), http::router::handler_of(*match.target)(ctx));
        PARLEY_FUZZ_CHECK(res.status_code() == 201);
        auto const answer = json::parse(res.body); // {"message": ..., "room": {"id": ...}}
        PARLEY_FUZZ_CHECK(answer && answer->is_object());
        auto const* room = answer->as_object().if_contains("room");
        PARLEY_FUZZ_CHECK(room && room->is_object());
        auto const* id = room->as_object().if_contains("id");
        PARLEY_FUZZ_CHECK(id && id->is_int64());
        return id->get_int64();
    }

    // The handler of a new session: what the /ws route's accept makes (apps/chat/routes.cpp).
    std::shared_ptr<ws::handler> open_handler()
    {
        return std::make_shared<chat_app::connection>(state);
    }

    std::string dir;
    auth::key_pair keys;
    auth::token_signer signer;
    config cfg;
    runtime rt;
    http::server server;
    service_info info;
    readiness ready;
    service svc;
    std::shared_ptr<chat_app::chat_state> state;
    http::authenticator authenticate;
};

chat_under_fuzz& the_chat()
{
    static chat_under_fuzz* c = new chat_under_fuzz; // never destroyed: libFuzzer exits
    return *c;
}

// Delivers one message as a session would; false once the session is closed.
net::awaitable<bool> deliver(ws::handler& h, memory_session& s, std::string_view message)
{
    if (s.closed())
        co_return false;
    if (message.size() > the_chat().state->ws_options.max_message_bytes ||
        !text::valid_utf8(message))
        co_return true; // the session would have closed with 1009 / 1007 before the handler
    try {
        co_await h.on_text(s, message);
    } catch (std::exception const& e) {
        std::fprintf(stderr, "on_text threw: %s\n", e.what());
        std::abort();
    }
    co_return !s.closed();
}

net::awaitable<void> script(std::string_view input, bool authenticate, bool observe,
                            std::int64_t user_id)
{
    auto& chat = the_chat();
    auto observer = std::make_shared<memory_session>();
    auto observer_handler = chat.open_handler();
    if (observe) {
        co_await observer_handler->on_open(*observer);
        auto const auth_frame =
            json::serialize(boost::json::object{{"type", "auth"}, {"token", chat.token(3)}});
        co_await deliver(*observer_handler, *observer, auth_frame);
        co_await deliver(*observer_handler, *observer, R"({"type":"join","room_id":1})");
    }

    auto session = std::make_shared<memory_session>();
    auto handler = chat.open_handler();
    co_await handler->on_open(*session);
    if (authenticate) {
        auto const auth_frame =
            json::serialize(boost::json::object{{"type", "auth"}, {"token", chat.token(user_id)}});
        co_await deliver(*handler, *session, auth_frame);
    }
    while (!input.empty()) {
        auto const newline = input.find('\n');
        auto const text = input.substr(0, newline);
        input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
        if (!co_await deliver(*handler, *session, text))
            break;
    }
    handler->on_close(*session, session->closed() ? session->code() : ws::close_code::normal);
    if (observe)
        observer_handler->on_close(*observer, ws::close_code::normal);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size < 1)
        return 0;
    auto& chat = the_chat();
    bool const authenticate = data[0] & 1;
    bool const observe = data[0] & 2;
    std::int64_t const user_id = 1 + ((data[0] >> 2) & 3);
    std::string_view const input(reinterpret_cast<char const*>(data + 1), size - 1);
    bool done = false;
    auto finished = [&](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (std::exception const& ex) {
                std::fprintf(stderr, "session script failed: %s\n", ex.what());
            }
            std::abort();
        }
        done = true;
    };
    net::co_spawn(chat.rt.io(), script(input, authenticate, observe, user_id), finished);
    run_until(chat.rt.io(), done);
    return 0;
}
