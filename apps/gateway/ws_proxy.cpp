#include "gateway/ws_proxy.hpp"

#include "parley/log/log.hpp"
#include "parley/ws/client.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <optional>

namespace parley::gateway_app {

namespace {

struct host_port {
    std::string host;
    std::uint16_t port = 0;
};

// "http://host:port/..." or "host:port" (the forms http::client accepts).
std::optional<host_port> parse_address(std::string_view a)
{
    if (auto scheme = a.find("://"); scheme != std::string_view::npos)
        a.remove_prefix(scheme + 3);
    a = a.substr(0, a.find('/'));
    auto colon = a.rfind(':');
    if (colon == std::string_view::npos)
        return host_port{std::string(a), 80};
    host_port out;
    out.host = std::string(a.substr(0, colon));
    if (out.host.size() > 1 && out.host.front() == '[')
        out.host = out.host.substr(1, out.host.size() - 2);
    try {
        auto port = std::stoul(std::string(a.substr(colon + 1)));
        if (port == 0 || port > 65535)
            return std::nullopt;
        out.port = static_cast<std::uint16_t>(port);
    } catch (std::exception const&) {
        return std::nullopt;
    }
    return out;
}

// A code the browser may be sent: "no close frame" becomes 1001 (go away, reconnect).
ws::close_code to_browser(ws::close_code upstream)
{
    return upstream == ws::close_code::none ? ws::close_code::going_away : upstream;
}

class ws_proxy : public ws::handler, public std::enable_shared_from_this<ws_proxy> {
public:
    ws_proxy(gateway_state& g, http::fields headers) : gateway_(g), headers_(std::move(headers)) {}

    net::awaitable<void> on_open(ws::session& s) override
    {
        executor_ = co_await net::this_coro::executor;
        deadline_.emplace(executor_);
        deadline_->expires_at(net::steady_timer::time_point::max());
        auto const& addresses = gateway_.chat.addresses;
        auto const start = gateway_.next_chat.fetch_add(1);
        for (std::size_t i = 0; i < addresses.size() && !upstream_; ++i) {
            auto target = parse_address(addresses[(start + i) % addresses.size()]);
            if (!target)
                continue;
            try {
                ws::client_options options;
                options.headers = headers_;
                options.handshake_timeout = gateway_.ws_connect_timeout;
                upstream_.emplace(co_await ws::client::connect(executor_, target->host,
                                                               target->port, "/ws", options));
            } catch (ws::handshake_error const& e) {
                // The chat service refused this browser (its Origin): so does the gateway.
                if (e.status() == 403 || e.status() == 401) {
                    s.close(ws::close_code::policy_violation, "refused by the chat service");
                    co_return;
                }
            } catch (std::exception const&) {
                // Down or unreachable: the next address.
            }
        }
        if (!upstream_) {
            log::warn("chat service unavailable for a WebSocket", {{"remote", s.remote_address()}});
            s.close(ws::close_code::try_again_later, "Service unavailable");
            co_return;
        }
        net::co_spawn(executor_, pump(shared_from_this(), s.shared_from_this()), report_failure);
    }

    net::awaitable<void> on_text(ws::session& s, std::string_view message) override
    {
        if (!upstream_ || upstream_ended_)
            co_return;
        try {
            co_await upstream_->send_text(message);
        } catch (std::exception const&) {
            // The upstream broke: the pump sees it end and closes the browser's side.
        }
    }

    void on_close(ws::session&, ws::close_code code) override
    {
        browser_closed_ = true;
        if (upstream_ && !upstream_ended_)
            net::co_spawn(executor_, close_upstream(shared_from_this(), code), report_failure);
    }

private:
    static void report_failure(std::exception_ptr e)
    {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (std::exception const& ex) {
            log::error("websocket proxy failed", {{"error", ex.what()}});
        }
    }

    // Upstream -> browser until the upstream ends (or the close deadline passes).
    net::awaitable<void> pump(std::shared_ptr<ws_proxy> self, std::shared_ptr<ws::session> s)
    {
        using namespace net::experimental::awaitable_operators;
        co_await (relay(*s) || close_deadline());
        upstream_ended_ = true;
        if (!browser_closed_)
            s->close(to_browser(upstream_->close_code()), upstream_->close_reason());
    }

    net::awaitable<void> relay(ws::session& s)
    {
        // After the browser closed, sends are dropped; reading goes on until the upstream's
        // close reply.
        while (auto message = co_await upstream_->read())
            s.send(ws::frame::text(*message));
    }

    // Returns when the upstream had its chance to answer our close (then relay is cancelled).
    net::awaitable<void> close_deadline()
    {
        for (;;) {
            auto [ec] = co_await deadline_->async_wait(use_tuple);
            if (!ec)
                co_return;
            auto cs = co_await net::this_coro::cancellation_state;
            if (cs.cancelled() != net::cancellation_type::none)
                co_return;
            // Re-armed by close_upstream: wait for the new expiry.
        }
    }

    net::awaitable<void> close_upstream(std::shared_ptr<ws_proxy> self, ws::close_code code)
    {
        deadline_->expires_after(std::chrono::seconds(5));
        auto const passed = code == ws::close_code::none ? ws::close_code::going_away : code;
        co_await upstream_->send_close(passed);
    }

    gateway_state& gateway_;
    http::fields headers_;
    net::any_io_executor executor_;
    std::optional<net::steady_timer> deadline_;
    std::optional<ws::client> upstream_;
    bool upstream_ended_ = false;
    bool browser_closed_ = false;
};

} // namespace

std::shared_ptr<ws::handler> accept_ws_proxy(gateway_state& g, http::request_context& ctx)
{
    // What the chat service should know about the browser: its Origin (checked there too), its
    // address, and the request id of the upgrade.
    http::fields headers = ctx.propagation_headers();
    auto const& req = ctx.request();
    if (auto origin = req.headers.get("Origin"))
        headers.set("Origin", *origin);
    headers.set("X-Forwarded-For", client_address(req, *g.chat.proxies));
    return std::make_shared<ws_proxy>(g, std::move(headers));
}

} // namespace parley::gateway_app
