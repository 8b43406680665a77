// Small stand-ins for the auth, user and chat services, built from parley::http::server in the
// test process: each answers every path with what it received, so that a test can check what
// the gateway forwarded. The real gateway binary runs against them.
#pragma once

#include "parley/auth/token.hpp"
#include "parley/http/server.hpp"
#include "parley/service/instance.hpp"
#include "parley/ws/session.hpp"
#include "support/http.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace parley::test::gateway {

// What the fake saw (and a status to answer with), as JSON.
inline net::awaitable<http::response> echo(std::string service, http::request_context& ctx)
{
    auto const& req = ctx.request();
    auto header = [&](std::string_view name) {
        return std::string(req.headers.get(name).value_or(""));
    };
    boost::json::object seen{
        {"service", service},
        {"method", req.method_name},
        {"target", req.target},
        {"body", req.body},
        {"authorization", header("Authorization")},
        {"content_type", header("Content-Type")},
        {"request_id", header("X-Request-ID")},
        {"traceparent", header("traceparent")},
        {"forwarded_for", header("X-Forwarded-For")},
        {"service_token", header("X-Parley-Service-Token")},
    };
    auto status = http::status::ok;
    if (req.method == http::method::post && req.target == "/register")
        status = http::status::created;
    if (req.target == "/users/999")
        co_return http::json(http::status::not_found, http::error_body("User not found"));
    auto res = http::json(status, seen);
    res.headers.set("X-Upstream", service);
    res.headers.set("Connection", "keep-alive"); // hop-by-hop: must not pass the gateway
    co_return res;
}

inline net::awaitable<http::response> healthy(std::string service, http::request_context&)
{
    co_return http::json({{"status", "healthy"}, {"service", service}});
}

inline net::awaitable<http::response> fixed(boost::json::value body, http::request_context&)
{
    co_return http::json(body);
}

// The fake chat's WebSocket: greets, echoes with a prefix, closes with the code asked for
// ("close:4001"), sends a burst of messages at once ("burst:10000", see burst_message) or
// floods until closed ("flood", 64 KiB messages, total in ws_record::flooded_bytes), and records
// how the gateway's side ended.
struct ws_record {
    std::mutex mutex;
    std::vector<int> closes;
    std::vector<std::string> origins;
    std::vector<std::string> forwarded_for; // X-Forwarded-For of each upgrade
    std::vector<std::string> request_ids;   // X-Request-ID of each upgrade
    std::vector<std::string> received;
    std::atomic<std::uint64_t> flooded_bytes{0};
};

// Message i of a burst: every 100th is 60 KiB, every 1000th 100 KiB (a 64-bit length), the
// others 5 to 54 bytes.
inline std::string burst_message(int i)
{
    auto const size = i % 1000 == 999 ? 100 * 1024 : i % 100 == 99 ? 60 * 1024 : i % 50;
    return "b" + std::to_string(i) + ":" + std::string(size, static_cast<char>('a' + i % 26));
}

// Keeps up to 8 MiB queued until the session is closed or 1 GiB went out.
inline net::awaitable<void> flood(std::shared_ptr<ws::session> s, std::shared_ptr<ws_record> r)
{
    auto const chunk = ws::frame::text(std::string(64 * 1024, 'f'));
    net::steady_timer pause(co_await net::this_coro::executor);
    for (std::uint64_t sent = 0; sent < (1ull << 30);) {
        while (s->queued_bytes() < 8 * 1024 * 1024) {
            if (!s->send(chunk))
                co_return;
            sent += 64 * 1024;
            r->flooded_bytes += 64 * 1024;
        }
        pause.expires_after(std::chrono::milliseconds(2));
        co_await pause.async_wait(use_tuple);
    }
}

class echo_ws : public ws::handler {
public:
    explicit echo_ws(std::shared_ptr<ws_record> r) : record_(std::move(r)) {}
    net::awaitable<void> on_open(ws::session& s) override
    {
        s.send(ws::frame::text(R"({"type":"hello"})"));
        co_return;
    }
    net::awaitable<void> on_text(ws::session& s, std::string_view text) override
    {
        {
            std::lock_guard lock(record_->mutex);
            record_->received.emplace_back(text);
        }
        if (text.rfind("close:", 0) == 0) {
            s.close(static_cast<ws::close_code>(std::stoi(std::string(text.substr(6)))),
                    "asked to");
        } else if (text.rfind("burst:", 0) == 0) {
            auto const n = std::stoi(std::string(text.substr(6)));
            for (int i = 0; i < n; ++i)
                s.send(ws::frame::text(burst_message(i)));
        } else if (text == "flood") {
            auto ex = co_await net::this_coro::executor;
            auto flooding = flood(s.shared_from_this(), record_);
            net::co_spawn(ex, std::move(flooding), net::detached);
        } else
            s.send(ws::frame::text("echo:" + std::string(text)));
        co_return;
    }
    void on_close(ws::session&, ws::close_code code) override
    {
        std::lock_guard lock(record_->mutex);
        record_->closes.push_back(static_cast<int>(code));
    }

private:
    std::shared_ptr<ws_record> record_;
};

// One fake service on 127.0.0.1:<ephemeral>.
class fake_service {
public:
    explicit fake_service(std::string name, std::shared_ptr<ws_record> ws = nullptr,
                          boost::json::value stats = nullptr, ws::session_options ws_options = {})
        : server_(
              [name, ws, stats, ws_options](http::server& s) {
                  expose_instance(s, name + "-service");
                  auto answer = [name](http::request_context& ctx) { return echo(name, ctx); };
                  auto health = [name](http::request_context& ctx) { return healthy(name, ctx); };
                  s.routes().get("/health", health);
                  if (!stats.is_null()) {
                      auto count = [stats](http::request_context& ctx) {
                          return fixed(stats, ctx);
                      };
                      s.routes().get(name == "auth" ? "/users/count" : "/stats", count);
                  }
                  for (auto m : {http::method::get, http::method::post, http::method::put,
                                 http::method::delete_})
                      s.routes().add(m, "/{rest:path}", answer);
                  if (ws) {
                      auto accept =
                          [ws](http::request_context& ctx) -> std::shared_ptr<ws::handler> {
                          std::lock_guard lock(ws->mutex);
                          auto const& h = ctx.request().headers;
                          ws->origins.emplace_back(h.get("Origin").value_or(""));
                          ws->forwarded_for.emplace_back(h.get("X-Forwarded-For").value_or(""));
                          ws->request_ids.emplace_back(h.get("X-Request-ID").value_or(""));
                          return std::make_shared<echo_ws>(ws);
                      };
                      s.routes().upgrade("/ws", ws::endpoint(accept, ws_options));
                  }
              },
              {},
              {.io_threads = 1, .worker_threads = 1, .shutdown_deadline = std::chrono::seconds(1)})
    {}
    std::uint16_t port() const { return server_.port(); }
    std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

private:
    running_server server_;
};

// A port with nothing listening (bound, then closed).
inline std::uint16_t closed_port()
{
    running_server s([](http::server&) {});
    auto p = s.port();
    s.stop();
    return p;
}

// The real gateway binary against the given upstream addresses; dev keys in its data dir so
// that tests can sign tokens.
struct gateway_under_test {
    gateway_under_test(std::string auth, std::string user, std::string chat,
                       std::map<std::string, std::string> extra = {})
        : keys(auth::load_or_create_dev_keys(data.path() + "/keys")),
          process(binary_path("gateway"), [&] {
              std::map<std::string, std::string> env{
                  {"PARLEY_DATA_DIR", data.path()},
                  {"PARLEY_PORT", "0"},
                  {"PARLEY_BIND", "127.0.0.1"},
                  {"PARLEY_AUTH_URL", auth},
                  {"PARLEY_USER_URL", user},
                  {"PARLEY_CHAT_URL", chat},
                  {"PARLEY_FRONTEND_URL", "127.0.0.1:" + std::to_string(closed_port())},
                  {"PARLEY_IO_THREADS", "2"}};
              for (auto& [k, v] : extra)
                  env[k] = v;
              return env;
          }())
    {}
    std::uint16_t port() const { return process.port(); }
    std::string token(bool admin, std::string name = "ann") const
    {
        auth::token_signer signer(keys.private_pem);
        return signer.sign({.user_id = admin ? 1 : 7, .username = name, .is_admin = admin});
    }

    temp_directory data;
    auth::key_pair keys;
    service_process process;
};

} // namespace parley::test::gateway
