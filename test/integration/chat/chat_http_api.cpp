// The chat service's HTTP API (the original's rows plus members and history paging) against the
// real binary, including every error row, and the batched statistics sent to the user service.
#include "chat_fixture.hpp"
#include "parley/http/server.hpp"

#include <mutex>

using namespace chat_test;

namespace {

net::awaitable<void> post_messages(std::uint16_t port, std::string token, std::int64_t room, int n)
{
    auto c = co_await login(port, token);
    co_await join(c, room);
    for (int i = 0; i < n; ++i) {
        auto const content = "m" + std::to_string(i + 1);
        auto const client_id = "h-" + std::to_string(i);
        co_await send_message(c, room, content, client_id);
        co_await next_of(c, "ack");
    }
    co_await c.close();
}

std::vector<std::int64_t> seqs_of(test::http_reply const& r)
{
    std::vector<std::int64_t> out;
    auto const list = r.json();
    for (auto const& m : list.as_array())
        out.push_back(m.at("seq").as_int64());
    return out;
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to)
{
    std::vector<std::int64_t> out;
    for (auto i = from; i <= to; ++i)
        out.push_back(i);
    return out;
}

// A stand-in user service that records the stats batches it gets.
struct fake_user_service {
    std::mutex mutex;
    std::vector<std::string> bodies;
    std::vector<std::string> tokens;
    int failures_left = 0; // answer 503 this many times first
};

net::awaitable<http::response> record_batch(fake_user_service* svc, http::request_context& ctx)
{
    std::lock_guard lock(svc->mutex);
    if (svc->failures_left > 0) {
        --svc->failures_left;
        co_return http::json(http::status::service_unavailable, http::error_body("down"));
    }
    svc->bodies.push_back(ctx.request().body);
    svc->tokens.emplace_back(ctx.request().headers.get("X-Parley-Service-Token").value_or(""));
    co_return http::json(boost::json::object{{"message", "ok"}});
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_http_api)

BOOST_AUTO_TEST_CASE(health_and_the_general_room)
{
    chat_server srv;
    auto h = srv.get("/health");
    BOOST_TEST(h.status == 200u);
    BOOST_TEST(h.json() == bj::parse(R"({"status":"healthy","service":"chat-service"})"));
    auto rooms = srv.get("/rooms");
    BOOST_TEST(rooms.status == 200u);
    BOOST_TEST_REQUIRE(rooms.json().as_array().size() == 1u);
    auto const general = rooms.json().as_array()[0];
    BOOST_TEST(general.at("name").as_string() == "General");
    BOOST_TEST(general.at("description").as_string() == "General chat room");
    BOOST_TEST(general.at("is_private").as_bool() == false);
    BOOST_TEST(general.at("created_at").as_string().ends_with("Z"));
    BOOST_TEST(srv.get("/rooms/1").json() == general);
}

BOOST_AUTO_TEST_CASE(create_room_and_its_errors)
{
    chat_server srv;
    auto const ann = srv.bearer(5, "ann");
    auto created =
        srv.send("POST", "/rooms", R"({"name":"Books","description":"about books"})", ann);
    BOOST_TEST(created.status == 201u);
    BOOST_TEST(created.json().at("message").as_string() == "Room created successfully");
    auto const room = created.json().at("room");
    BOOST_TEST(room.at("name").as_string() == "Books");
    BOOST_TEST(room.at("description").as_string() == "about books");
    BOOST_TEST(room.at("created_by").as_int64() == 5);
    BOOST_TEST(room.at("is_private").as_bool() == false);
    auto const id = room.at("id").as_int64();
    BOOST_TEST(srv.get("/rooms/" + std::to_string(id)).json() == room);
    BOOST_TEST(srv.get("/rooms").json().as_array().size() == 2u);

    auto no_token = srv.send("POST", "/rooms", R"({"name":"x"})");
    BOOST_TEST(no_token.status == 401u);
    BOOST_TEST(no_token.json().at("error").as_string() == "Unauthorized");
    auto bad_token = srv.send("POST", "/rooms", R"({"name":"x"})", "Bearer nope");
    BOOST_TEST(bad_token.status == 401u);
    auto no_name = srv.send("POST", "/rooms", R"({"description":"x"})", ann);
    BOOST_TEST(no_name.status == 400u);
    BOOST_TEST(no_name.json().at("error").as_string() == "Room name is required");
    BOOST_TEST(srv.get("/rooms").json().as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_public_room_name_that_exists_is_refused_with_409_ignoring_case)
{
    chat_server srv;
    auto const ann = srv.bearer(5, "ann");
    auto const bob = srv.bearer(6, "bob");
    BOOST_TEST(srv.send("POST", "/rooms", R"({"name":"Books"})", ann).status == 201u);
    for (std::string name : {"Books", "books", "BOOKS", "general"}) {
        auto again = srv.send("POST", "/rooms", R"({"name":")" + name + R"("})", bob);
        BOOST_TEST(again.status == 409u, name);
        BOOST_TEST(again.json().at("error").as_string() ==
                       "A public room named \"" + name + "\" already exists",
                   name);
    }
    BOOST_TEST(srv.get("/rooms").json().as_array().size() == 2u);
    // Private rooms are not listed for everyone, so their names are not refused or reserved.
    BOOST_TEST(srv.send("POST", "/rooms", R"({"name":"books","is_private":true})", bob).status ==
               201u);
    BOOST_TEST(srv.send("POST", "/rooms", R"({"name":"Secret","is_private":true})", bob).status ==
               201u);
    BOOST_TEST(srv.send("POST", "/rooms", R"({"name":"secret"})", ann).status == 201u);
}

BOOST_AUTO_TEST_CASE(unknown_rooms_are_404)
{
    chat_server srv;
    for (std::string path :
         {"/rooms/999", "/rooms/999/messages", "/rooms/999/online", "/rooms/abc", "/rooms/0"}) {
        auto r = srv.get(path);
        BOOST_TEST(r.status == 404u, path);
        BOOST_TEST(r.json().at("error").is_string());
    }
    BOOST_TEST(srv.get("/rooms/999").json().at("error").as_string() == "Room not found");
}

BOOST_AUTO_TEST_CASE(history_pages_with_limit_before_and_after)
{
    chat_server srv(env{{"PARLEY_CHAT_MESSAGES_PER_SECOND", "100000"},
                        {"PARLEY_CHAT_MESSAGE_BURST", "100000"}});
    test::run_coro([&] { return post_messages(srv.port(), srv.token(1, "u"), 1, 120); },
                   std::chrono::seconds(60));
    BOOST_TEST(seqs_of(srv.get("/rooms/1/messages")) == range(71, 120),
               boost::test_tools::per_element());
    BOOST_TEST(srv.get("/stats").json() == bj::parse(R"({"rooms":1,"messages":120})"));
    BOOST_TEST(seqs_of(srv.get("/rooms/1/messages?limit=100")) == range(21, 120),
               boost::test_tools::per_element());
    BOOST_TEST(seqs_of(srv.get("/rooms/1/messages?limit=5&before=11")) == range(6, 10),
               boost::test_tools::per_element());
    BOOST_TEST(seqs_of(srv.get("/rooms/1/messages?limit=5&after=3")) == range(4, 8),
               boost::test_tools::per_element());
    BOOST_TEST(seqs_of(srv.get("/rooms/1/messages?after=110")) == range(111, 120),
               boost::test_tools::per_element());
    BOOST_TEST(seqs_of(srv.get("/rooms/1/messages?after=10&before=14")) == range(11, 13),
               boost::test_tools::per_element());
    BOOST_TEST(srv.get("/rooms/1/messages?after=120").json().as_array().empty());
    auto first = srv.get("/rooms/1/messages?limit=1&after=0").json().as_array()[0];
    BOOST_TEST(first.at("content").as_string() == "m1");
    BOOST_TEST(first.at("username").as_string() == "u");
    BOOST_TEST(first.at("client_id").as_string() == "h-0");
    for (std::string q :
         {"limit=0", "limit=101", "limit=abc", "before=0", "after=-1", "after=x", "limit=1e3"}) {
        auto r = srv.get("/rooms/1/messages?" + q);
        BOOST_TEST(r.status == 400u, q);
        BOOST_TEST(r.json().at("error").is_string());
    }
}

BOOST_AUTO_TEST_CASE(members_are_managed_by_the_creator_or_an_admin)
{
    chat_server srv;
    auto const owner = srv.bearer(10, "owner");
    auto const stranger = srv.bearer(11, "stranger");
    auto const admin = srv.bearer(1, "admin", true);
    auto const room = srv.create_room("club", true, owner);
    auto const base = "/rooms/" + std::to_string(room) + "/members/";

    BOOST_TEST(srv.send("POST", base + "12", "").status == 401u);
    auto refused = srv.send("POST", base + "12", "", stranger);
    BOOST_TEST(refused.status == 404u); // the stranger cannot even see the private room
    auto added = srv.send("POST", base + "12", "", owner);
    BOOST_TEST(added.status == 201u);
    BOOST_TEST(added.json().at("user_id").as_int64() == 12);
    BOOST_TEST(srv.send("POST", base + "12", "", owner).status == 200u); // already a member
    BOOST_TEST(srv.send("POST", base + "13", "", admin).status == 201u);
    // A member who is not the creator may not add others, but may leave.
    auto const member = srv.bearer(12, "member");
    BOOST_TEST(srv.send("POST", base + "14", "", member).status == 403u);
    BOOST_TEST(srv.get("/rooms/" + std::to_string(room), member).status == 200u);
    auto members = srv.get("/rooms/" + std::to_string(room) + "/members", owner)
                       .json()
                       .at("members")
                       .as_array();
    BOOST_TEST(members.size() == 3u);
    BOOST_TEST(srv.send("DELETE", base + "13", "", member).status == 403u);
    BOOST_TEST(srv.send("DELETE", base + "12", "", member).status == 200u);
    BOOST_TEST(srv.get("/rooms/" + std::to_string(room), member).status == 404u);
    BOOST_TEST(srv.send("DELETE", base + "12", "", owner).status == 404u); // not a member any more
    BOOST_TEST(srv.send("POST", "/rooms/999/members/12", "", admin).status == 404u);
    // Public rooms list for everyone; private ones for members and admins.
    auto const listed = [&](std::string const& auth) {
        auto const list = srv.get("/rooms", auth).json();
        for (auto const& r : list.as_array())
            if (r.at("id").as_int64() == room)
                return true;
        return false;
    };
    BOOST_TEST(listed(owner));
    BOOST_TEST(listed(admin));
    BOOST_TEST(listed(srv.bearer(13, "thirteen")));
    BOOST_TEST(!listed(stranger));
    BOOST_TEST(!listed(""));
}

BOOST_AUTO_TEST_CASE(statistics_go_to_the_user_service_in_batches_and_survive_a_failure)
{
    fake_user_service users;
    users.failures_left = 1;
    auto routes = [&users](http::server& s) {
        s.routes().post("/stats/batch",
                        [&users](http::request_context& ctx) { return record_batch(&users, ctx); });
    };
    test::running_server user_service(routes);
    chat_server srv(
        env{{"PARLEY_USER_URL", "http://127.0.0.1:" + std::to_string(user_service.port())},
            {"PARLEY_CHAT_STATS_INTERVAL", "300ms"},
            {"PARLEY_SERVICE_TOKEN", "a-test-service-token-0123456789"}});
    srv.create_room("stats", false, srv.bearer(3, "carol"));
    test::run_coro([&] { return post_messages(srv.port(), srv.token(3, "carol"), 1, 7); });

    // Wait (bounded) for the counts to arrive; the first flush failed and was retried.
    std::int64_t messages = 0, rooms_created = 0;
    bool last_seen = false;
    for (int i = 0; i < 100 && (messages < 7 || rooms_created < 1); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::lock_guard lock(users.mutex);
        messages = rooms_created = 0;
        for (auto const& body : users.bodies) {
            auto const batch = bj::parse(body);
            for (auto const& inc : batch.at("increments").as_array()) {
                BOOST_TEST(inc.at("user_id").as_int64() == 3);
                if (auto const* m = inc.as_object().if_contains("messages_sent"))
                    messages += m->as_int64();
                if (auto const* r = inc.as_object().if_contains("rooms_created"))
                    rooms_created += r->as_int64();
                if (auto const* l = inc.as_object().if_contains("last_seen"))
                    last_seen = last_seen || l->as_bool();
            }
        }
    }
    std::lock_guard lock(users.mutex);
    BOOST_TEST(messages == 7);
    BOOST_TEST(rooms_created == 1);
    BOOST_TEST(last_seen);
    BOOST_TEST(users.failures_left == 0);
    BOOST_TEST(users.bodies.size() < 8u); // batched, not one call per message
    for (auto const& t : users.tokens)
        BOOST_TEST(t == "a-test-service-token-0123456789");
}

BOOST_AUTO_TEST_SUITE_END()
