// Fuzz target: the HTTP request parser (Beast's, with the server's limits) and the router, then
// what handlers read from a request: path and query parameters, JSON bodies, the bearer token,
// request ids and trace context, and an upgrade route (a WebSocket endpoint: the handshake checks
// and its accept function, router.upgrade("/ws", ws::endpoint(accept, options))).
//
// The input is a byte stream as a client would send it on one keep-alive connection: requests
// are parsed and answered one after the other (lib/src/http/request_parse.hpp) until the input
// ends or a request is refused. Checks, beyond "no crash, no sanitizer report":
//   - a refused request gets 400, 413 or 431 with a JSON {"error": ...} body;
//   - a routed request's answer is a status the API uses, errors as JSON {"error": ...};
//     anything but http::error escaping a handler is a bug (as the server would answer 500);
//   - an upgrade route answers 101 (with a 28-character Sec-WebSocket-Accept and something to
//     run on the connection) or a refusal as http::error, like any other route;
//   - 405 carries Allow; no response header contains CR or LF;
//   - the request id is a sane caller id or a fresh one; traceparent is well-formed;
//   - consumed bytes stay within the input and always advance.
#include "check.hpp"
#include "http/request_parse.hpp"
#include "parley/auth/token.hpp"
#include "parley/http/context.hpp"
#include "parley/http/error.hpp"
#include "parley/http/router.hpp"
#include "parley/http/upgrade.hpp"
#include "parley/json/json.hpp"
#include "parley/ws/session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/describe/class.hpp>
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

using namespace parley;

namespace {

struct create_body {
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::optional<bool> is_private;
};
BOOST_DESCRIBE_STRUCT(create_body, (), (name, description, is_private))

constexpr char public_pem[] = "-----BEGIN PUBLIC KEY-----\n"
                              "MCowBQYDK2VwAyEA2j0lTGDceDrn6xSsDTebPTsxMb1hG6y2FfJVk6DWILs=\n"
                              "-----END PUBLIC KEY-----\n";

net::awaitable<http::response> list_rooms(http::request_context& ctx)
{
    auto const limit = ctx.query_int("limit", 50, 1, 100);
    auto const before = ctx.query_int("before", 1, std::numeric_limits<std::int64_t>::max());
    auto const q = ctx.query("q");
    auto const* who = ctx.maybe_user();
    co_return http::json({{"limit", limit},
                          {"before", before ? *before : 0},
                          {"q", q.value_or("")},
                          {"user", who ? who->username : ""}});
}

net::awaitable<http::response> create_room(http::request_context& ctx)
{
    auto const& who = ctx.user();
    auto const body = ctx.json_body<create_body>();
    if (!body.name || body.name->empty() || body.name->size() > 100)
        throw http::bad_request("room name must be 1-100 characters");
    co_return http::json(http::status::created, {{"name", *body.name}, {"by", who.user_id}});
}

net::awaitable<http::response> get_room(http::request_context& ctx)
{
    co_return http::json({{"id", ctx.int_param("id")}});
}

net::awaitable<http::response> remove_member(http::request_context& ctx)
{
    auto const room = ctx.int_param("id");
    auto const user = ctx.int_param("user_id");
    if (room == user)
        throw http::conflict("odd but allowed");
    co_return http::no_content();
}

net::awaitable<http::response> get_user(http::request_context& ctx)
{
    co_return http::json({{"name", ctx.param("name")}});
}

net::awaitable<http::response> get_file(http::request_context& ctx)
{
    co_return http::text(http::status::ok, std::string(ctx.param("rest")));
}

net::awaitable<http::response> put_profile(http::request_context& ctx)
{
    auto body = ctx.json_object();
    auto const headers = ctx.propagation_headers();
    body["request_id"] = ctx.request_id();
    co_return http::json(body);
}

class refuse_all : public ws::handler {
public:
    net::awaitable<void> on_text(ws::session&, std::string_view) override { co_return; }
};

struct harness {
    harness()
    {
        verifier = std::make_shared<auth::token_verifier>();
        verifier->add_key(public_pem);
        authenticate = [v = verifier](std::string_view token) -> std::optional<auth::identity> {
            auto who = v->verify(token);
            if (!who)
                return std::nullopt;
            return *who;
        };
        routes.get("/rooms", list_rooms);
        routes.post("/rooms", create_room, {.max_body_bytes = 16 * 1024});
        routes.get("/rooms/{id:int}", get_room);
        routes.del("/rooms/{id:int}/members/{user_id:int}", remove_member);
        routes.get("/users/{name}", get_user);
        routes.get("/files/{rest:path}", get_file);
        routes.put("/profile", put_profile);
        auto accept = [](http::request_context& ctx) -> std::shared_ptr<ws::handler> {
            if (ctx.query("deny"))
                throw http::forbidden("denied");
            return std::make_shared<refuse_all>();
        };
        options.allowed_origins = {"http://localhost:8080"};
        options.subprotocols = {"parley.v1", "chat"};
        routes.upgrade("/ws", ws::endpoint(accept, options));
    }
    std::shared_ptr<auth::token_verifier> verifier;
    http::authenticator authenticate;
    http::router routes;
    ws::session_options options;
};

harness& the_harness()
{
    static harness* h = new harness; // never destroyed
    return *h;
}

void check_error_body(http::response const& res)
{
    auto parsed = json::parse(res.body);
    PARLEY_FUZZ_CHECK(parsed && parsed->is_object());
    auto const* message = parsed->as_object().if_contains("error");
    PARLEY_FUZZ_CHECK(message && message->is_string());
}

void check_headers(http::response const& res)
{
    for (auto const& [name, value] : res.headers) {
        PARLEY_FUZZ_CHECK(name.find_first_of("\r\n") == std::string::npos);
        PARLEY_FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
    }
}

bool sane_id(std::string_view id)
{
    if (id.empty() || id.size() > 128)
        return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

// Runs a handler's coroutine to its end; what it throws propagates (the caller turns
// http::error into its response; anything else is a bug: the server would answer 500).
template <class T> T run_to_end(net::io_context& io, net::awaitable<T> work)
{
    std::optional<T> out;
    std::exception_ptr failure;
    auto done = [&](std::exception_ptr e, T r) {
        failure = e;
        if (!e)
            out = std::move(r);
    };
    net::co_spawn(io, std::move(work), done);
    io.restart();
    io.run();
    if (failure)
        std::rethrow_exception(failure);
    PARLEY_FUZZ_CHECK(out);
    return std::move(*out);
}

http::response answer(net::io_context& io, http::request& req)
{
    auto& h = the_harness();
    http::request_context ctx(req, io.get_executor(), &h.authenticate);
    PARLEY_FUZZ_CHECK(sane_id(ctx.request_id()));
    if (auto id = req.headers.get("X-Request-ID"); id && sane_id(*id))
        PARLEY_FUZZ_CHECK(ctx.request_id() == *id);
    auto const propagation = ctx.propagation_headers();
    PARLEY_FUZZ_CHECK(propagation.get("traceparent")->size() == 55);

    auto const path = std::string(req.path());
    auto const match = h.routes.find(req.method, path);
    try {
        if (match.result == http::router::match::not_found)
            throw http::not_found("Not found");
        if (match.result == http::router::match::method_not_allowed) {
            PARLEY_FUZZ_CHECK(!match.allow.empty());
            throw http::error(http::status::method_not_allowed, "Method not allowed")
                .with_header("Allow", match.allow);
        }
        ctx.set_route(http::router::pattern(*match.target), match.params);
        if (auto const* upgrade = http::router::upgrade_of(*match.target)) {
            auto up = run_to_end(io, (*upgrade)(ctx));
            if (up.res.status == http::status::switching_protocols) {
                PARLEY_FUZZ_CHECK(up.res.headers.get("Sec-WebSocket-Accept")->size() == 28);
                PARLEY_FUZZ_CHECK(up.run != nullptr);
            }
            return std::move(up.res);
        }
        return run_to_end(io, http::router::handler_of(*match.target)(ctx));
    } catch (http::error const& e) {
        return e.to_response();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto& h = the_harness();
    std::string_view input(reinterpret_cast<char const*>(data), size);
    net::io_context io;
    http::detail::parse_limits const limits{.max_header_bytes = 2 * 1024,
                                            .max_body_bytes = 4 * 1024};
    for (int i = 0; i < 16 && !input.empty(); ++i) {
        auto outcome = http::detail::parse_request(input, h.routes, limits);
        if (outcome.result == http::detail::parse_outcome::incomplete)
            break;
        if (outcome.result == http::detail::parse_outcome::refused) {
            auto const s = outcome.error.status_code();
            PARLEY_FUZZ_CHECK(s == 400 || s == 413 || s == 431);
            check_error_body(outcome.error);
            break;
        }
        PARLEY_FUZZ_CHECK(outcome.consumed > 0 && outcome.consumed <= input.size());
        input.remove_prefix(outcome.consumed);
        PARLEY_FUZZ_CHECK(outcome.version == 10 || outcome.version == 11);

        auto res = answer(io, outcome.request);
        auto const s = res.status_code();
        PARLEY_FUZZ_CHECK(s == 101 || s == 200 || s == 201 || s == 204 || s == 400 || s == 401 ||
                          s == 403 || s == 404 || s == 405 || s == 409 || s == 426);
        if (s >= 400)
            check_error_body(res);
        if (s == 405)
            PARLEY_FUZZ_CHECK(res.headers.get("Allow").has_value());
        check_headers(res);
        if (!outcome.keep_alive || s == 101)
            break;
    }
    return 0;
}
