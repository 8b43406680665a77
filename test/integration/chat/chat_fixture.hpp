// A real parley-chat process with its own data directory and token keys, plus WebSocket helpers
// for the chat protocol. Shared by the chat integration suites.
#pragma once

#include "parley/auth/token.hpp"
#include "parley/json/json.hpp"
#include "parley/net.hpp"
#include "parley/ws/client.hpp"
#include "support/http.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

namespace chat_test {

using namespace parley;
namespace bj = boost::json;

inline std::string write_file(std::string const& path, std::string const& text)
{
    std::ofstream(path) << text;
    return path;
}

using env = std::map<std::string, std::string>;

struct chat_server {
    explicit chat_server(std::map<std::string, std::string> extra = {})
        : keys(auth::generate_ed25519()), signer(keys.private_pem),
          public_key_file(write_file(dir.path() + "/jwt.pub.pem", keys.public_pem)),
          process(test::binary_path("chat"), environment(std::move(extra)))
    {}

    ~chat_server()
    {
        // A crashed server (or one that exits badly, e.g. a sanitizer report) explains itself.
        int status = -1;
        try {
            status = process.stop(); // the exit status also when a test stopped it already
        } catch (std::exception const&) {
        }
        if (status != 0 && !(killed && status == -9)) {
            std::cerr << "parley-chat exited with " << status << "; its log:\n"
                      << process.log() << "\n";
            BOOST_ERROR("parley-chat did not exit cleanly");
        }
    }

    std::map<std::string, std::string> environment(std::map<std::string, std::string> extra) const
    {
        std::map<std::string, std::string> env{
            {"PARLEY_DATA_DIR", dir.path()},
            {"PARLEY_JWT_PUBLIC_KEY_FILE", public_key_file},
            {"PARLEY_USER_URL", "http://127.0.0.1:9"}, // no user service: flushes fail quietly
            {"PARLEY_AUTH_URL", "http://127.0.0.1:9"}, // no auth: no revocations (polls fail)
        };
        env.merge(test::database_environment("chat")); // PARLEY_TEST_BACKEND=postgres
        for (auto& [k, v] : extra)
            env[k] = v;
        return env;
    }

    std::string token(std::int64_t user_id, std::string const& username, bool admin = false) const
    {
        return signer.sign({.user_id = user_id, .username = username, .is_admin = admin});
    }
    std::string bearer(std::int64_t user_id, std::string const& username, bool admin = false) const
    {
        return "Bearer " + token(user_id, username, admin);
    }
    std::uint16_t port() const { return process.port(); }

    test::http_reply get(std::string const& target, std::string const& auth = {}) const
    {
        test::header_list h;
        if (!auth.empty())
            h.emplace_back("Authorization", auth);
        return test::http_call(port(), "GET", target, {}, h);
    }
    test::http_reply send(std::string const& method, std::string const& target,
                          std::string const& body, std::string const& auth = {}) const
    {
        test::header_list h{{"Content-Type", "application/json"}};
        if (!auth.empty())
            h.emplace_back("Authorization", auth);
        return test::http_call(port(), method, target, body, h);
    }
    // Creates a room through the API and returns its id.
    std::int64_t create_room(std::string const& name, bool is_private,
                             std::string const& auth) const
    {
        auto r =
            send("POST", "/rooms",
                 json::serialize(bj::object{{"name", name}, {"is_private", is_private}}), auth);
        BOOST_TEST_REQUIRE(r.status == 201u, r.body);
        return r.json().at("room").at("id").as_int64();
    }

    bool killed = false; // by the test (kill -9): its exit status is no failure
    test::temp_directory dir;
    auth::key_pair keys;
    auth::token_signer signer;
    std::string public_key_file;
    test::service_process process;
};

inline bj::object parse_object(std::string const& text)
{
    auto v = bj::parse(text);
    BOOST_TEST_REQUIRE(v.is_object(), text);
    return v.as_object();
}

inline std::string type_of(bj::object const& o)
{
    auto const* t = o.if_contains("type");
    return t && t->is_string() ? std::string(t->as_string()) : std::string();
}

// The next frame as a JSON object; throws when the connection ended.
inline net::awaitable<bj::object> next_frame(ws::client& c)
{
    auto text = co_await c.read();
    if (!text)
        throw std::runtime_error("connection ended with close code " +
                                 std::to_string(static_cast<int>(c.close_code())));
    co_return parse_object(*text);
}

// The next frame of the given type; frames of other types are skipped (and collected in
// `skipped` when given).
// (GCC 12: pass literals or named strings, never std::string temporaries, to these coroutines.)
inline net::awaitable<bj::object> next_of(ws::client& c, std::string_view type,
                                          std::vector<bj::object>* skipped = nullptr)
{
    for (;;) {
        auto f = co_await next_frame(c);
        if (type_of(f) == type)
            co_return f;
        if (skipped)
            skipped->push_back(std::move(f));
    }
}

inline net::awaitable<ws::client> connect(std::uint16_t port, ws::client_options const& options)
{
    auto ex = co_await net::this_coro::executor;
    std::string host = "127.0.0.1";
    std::string target = "/ws";
    auto opts = options;
    auto pending = ws::client::connect(ex, host, port, target, std::move(opts));
    auto c = co_await std::move(pending);
    co_return c;
}

inline net::awaitable<ws::client> connect(std::uint16_t port)
{
    ws::client_options const options;
    auto c = co_await connect(port, options);
    co_return c;
}

// Connected and authenticated.
inline net::awaitable<ws::client> login(std::uint16_t port, std::string const& token)
{
    auto c = co_await connect(port);
    auto auth_frame = json::serialize(bj::object{{"type", "auth"}, {"token", token}});
    co_await c.send_text(auth_frame);
    auto hello = co_await next_frame(c);
    (void)0;
    if (type_of(hello) != "connected")
        throw std::runtime_error("expected connected, got " + json::serialize(hello));
    co_return c;
}

inline net::awaitable<bj::object> join(ws::client& c, std::int64_t room_id,
                                       std::optional<std::int64_t> last_seq = {},
                                       std::vector<bj::object>* before = nullptr)
{
    bj::object f{{"type", "join"}, {"room_id", room_id}};
    if (last_seq)
        f["last_seq"] = *last_seq;
    auto text = json::serialize(f);
    co_await c.send_text(text);
    co_return co_await next_of(c, "joined", before);
}

inline net::awaitable<void> send_message(ws::client& c, std::int64_t room_id,
                                         std::string_view content, std::string_view client_id)
{
    auto text = json::serialize(bj::object{
        {"type", "message"}, {"room_id", room_id}, {"content", content}, {"client_id", client_id}});
    co_await c.send_text(text);
}

// Proves that nothing is queued for the client: a ping's pong comes next, skipping nothing but
// the given types. Returns the frames skipped.
inline net::awaitable<std::vector<bj::object>> drain_until_pong(ws::client& c)
{
    co_await c.send_text(R"({"type":"ping"})");
    std::vector<bj::object> skipped;
    co_await next_of(c, "pong", &skipped);
    co_return skipped;
}

inline std::size_t count_type(std::vector<bj::object> const& frames, std::string const& type)
{
    std::size_t n = 0;
    for (auto const& f : frames)
        n += type_of(f) == type;
    return n;
}

} // namespace chat_test
