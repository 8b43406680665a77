// Routes: method + path pattern -> handler. Patterns are literal segments and parameters:
//   /rooms                /rooms/{id:int}          /files/{rest:path} (the rest of the path)
//   /users/{name}         (any one non-empty segment)
// Lookup answers 404 for no path match and 405 (with Allow) for a path matched by other methods.
#pragma once

#include "parley/http/context.hpp"
#include "parley/http/message.hpp"
#include "parley/http/upgrade.hpp"
#include "parley/net.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::http {

using handler = std::function<net::awaitable<response>(request_context&)>;

// A handler that takes the service's state first, bound to it:
//   net::awaitable<http::response> list_rooms(chat_app& app, http::request_context& ctx);
//   router.get("/rooms", http::bind<list_rooms>(app));
// (The lambda is not a coroutine: it returns the handler's awaitable.)
template <auto Handler, class State> handler bind(State& state)
{
    return [&state](request_context& ctx) { return Handler(state, ctx); };
}
template <auto Handler, class State> handler bind(std::shared_ptr<State> const& state)
{
    return [state](request_context& ctx) { return Handler(*state, ctx); };
}

struct route_options {
    // Larger bodies are refused with 413 before they are read; 0 means the server's default.
    std::size_t max_body_bytes = 0;
};

class router {
public:
    router();
    ~router();
    router(router&&) noexcept;
    router& operator=(router&&) noexcept;

    void add(method m, std::string_view pattern, handler h, route_options options = {});
    void get(std::string_view pattern, handler h, route_options o = {})
    {
        add(method::get, pattern, std::move(h), o);
    }
    void post(std::string_view pattern, handler h, route_options o = {})
    {
        add(method::post, pattern, std::move(h), o);
    }
    void put(std::string_view pattern, handler h, route_options o = {})
    {
        add(method::put, pattern, std::move(h), o);
    }
    void patch(std::string_view pattern, handler h, route_options o = {})
    {
        add(method::patch, pattern, std::move(h), o);
    }
    void del(std::string_view pattern, handler h, route_options o = {})
    {
        add(method::delete_, pattern, std::move(h), o);
    }

    // A GET that upgrades the connection (parley/http/upgrade.hpp), e.g. a WebSocket endpoint:
    //   router.upgrade("/ws", ws::endpoint(accept, options));
    void upgrade(std::string_view pattern, upgrade_handler h);

    struct route;
    struct match {
        enum kind { found, not_found, method_not_allowed } result = not_found;
        route const* target = nullptr;
        std::vector<path_param> params; // views into the path given to find()
        std::string allow;              // for 405: "GET, POST"
    };
    match find(method m, std::string_view path) const;

    // Accessors of a matched route, for the server.
    static std::string_view pattern(route const& r);
    static handler const& handler_of(route const& r);
    static route_options const& options_of(route const& r);
    static upgrade_handler const* upgrade_of(route const& r);

private:
    std::vector<std::unique_ptr<route>> routes_;
};

} // namespace parley::http
