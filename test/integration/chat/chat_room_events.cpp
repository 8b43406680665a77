// Room list events (docs/protocol.md, "Room list events"; issue 14): room_added, room_updated
// and room_removed reach every connected session of the users they concern, joined to the room
// or not; and the routes behind them (PATCH and DELETE /rooms/{id}).
#include "chat_fixture.hpp"

using namespace chat_test;

namespace {

// The room list events a connected, joined-nowhere session has received so far.
net::awaitable<std::vector<bj::object>> room_events_of(ws::client& c)
{
    auto frames = co_await drain_until_pong(c);
    std::vector<bj::object> out;
    for (auto& f : frames) {
        auto const t = type_of(f);
        if (t == "room_added" || t == "room_updated" || t == "room_removed" || t == "left")
            out.push_back(std::move(f));
    }
    co_return out;
}

std::string types_of(std::vector<bj::object> const& frames)
{
    std::string out;
    for (auto const& f : frames)
        out += (out.empty() ? "" : ",") + type_of(f);
    return out;
}

struct sessions {
    std::vector<std::vector<bj::object>> events; // per session, in the order opened
};

// Opens one session per token (joined nowhere, or in `join_room` when > 0), runs `act` (HTTP
// calls) and returns what each session got.
template <class Act>
net::awaitable<sessions> observe(std::uint16_t port, std::vector<std::string> tokens,
                                 std::int64_t join_room, Act act)
{
    std::vector<ws::client> clients;
    for (auto const& t : tokens) {
        auto c = co_await login(port, t);
        if (join_room > 0)
            co_await join(c, join_room);
        co_await drain_until_pong(c);
        clients.push_back(std::move(c));
    }
    act();
    sessions out;
    for (auto& c : clients) {
        auto events = co_await room_events_of(c);
        out.events.push_back(std::move(events));
        co_await c.close();
    }
    co_return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_room_events)

BOOST_AUTO_TEST_CASE(a_public_room_created_reaches_every_connected_session)
{
    chat_server srv;
    // The creator, two sessions of ben, and cid.
    std::vector<std::string> tokens{srv.token(1, "ann"), srv.token(2, "ben"), srv.token(2, "ben"),
                                    srv.token(3, "cid")};
    std::int64_t room = 0;
    auto out = test::run_coro([&] {
        return observe(srv.port(), tokens, 0,
                       [&] { room = srv.create_room("lounge", false, srv.bearer(1, "ann")); });
    });
    BOOST_TEST_REQUIRE(out.events.size() == 4u);
    for (auto const& events : out.events) {
        BOOST_TEST_REQUIRE(events.size() == 1u, types_of(events));
        auto const& added = events[0];
        BOOST_TEST(type_of(added) == "room_added");
        BOOST_TEST(added.at("room").at("id").as_int64() == room);
        BOOST_TEST(added.at("room").at("name").as_string() == "lounge");
        BOOST_TEST(added.at("room").at("is_private").as_bool() == false);
        BOOST_TEST(added.at("room").at("created_by").as_int64() == 1);
    }
}

BOOST_AUTO_TEST_CASE(private_rooms_reach_their_members_and_admins_only)
{
    chat_server srv;
    auto const owner = srv.bearer(1, "owner");
    // owner, member-to-be, outsider, admin
    std::vector<std::string> tokens{srv.token(1, "owner"), srv.token(2, "member"),
                                    srv.token(3, "outsider"), srv.token(4, "root", true)};
    std::int64_t room = 0;
    auto created = test::run_coro([&] {
        return observe(srv.port(), tokens, 0, [&] { room = srv.create_room("den", true, owner); });
    });
    BOOST_TEST(types_of(created.events[0]) == "room_added");
    BOOST_TEST(types_of(created.events[1]) == "");
    BOOST_TEST(types_of(created.events[2]) == "");
    BOOST_TEST(types_of(created.events[3]) == "room_added");

    auto const members = "/rooms/" + std::to_string(room) + "/members/2";
    auto added = test::run_coro([&] {
        return observe(srv.port(), tokens, 0,
                       [&] { BOOST_TEST(srv.send("POST", members, "", owner).status == 201u); });
    });
    BOOST_TEST(types_of(added.events[0]) == "");
    BOOST_TEST_REQUIRE(types_of(added.events[1]) == "room_added");
    BOOST_TEST(added.events[1][0].at("room").at("id").as_int64() == room);
    BOOST_TEST(types_of(added.events[2]) == "");
    BOOST_TEST(types_of(added.events[3]) == "");

    // Removed while in the room: out of it at once, then told it is gone.
    std::vector<std::string> member_only{srv.token(2, "member")};
    auto removed = test::run_coro([&] {
        return observe(srv.port(), member_only, room,
                       [&] { BOOST_TEST(srv.send("DELETE", members, "", owner).status == 200u); });
    });
    BOOST_TEST_REQUIRE(types_of(removed.events[0]) == "left,room_removed");
    BOOST_TEST(removed.events[0][0].at("reason").as_string() == "removed");
    BOOST_TEST(removed.events[0][1].at("room_id").as_int64() == room);
}

BOOST_AUTO_TEST_CASE(a_rename_reaches_everyone_who_can_see_the_room)
{
    chat_server srv;
    auto const room = srv.create_room("old name", false, srv.bearer(1, "ann"));
    auto const path = "/rooms/" + std::to_string(room);
    std::vector<std::string> tokens{srv.token(2, "ben"), srv.token(3, "cid")};
    auto out = test::run_coro([&] {
        return observe(srv.port(), tokens, 0, [&] {
            auto r = srv.send("PATCH", path, R"({"name":"new name","description":"d"})",
                              srv.bearer(1, "ann"));
            BOOST_TEST(r.status == 200u, r.body);
            BOOST_TEST(r.json().at("room").at("name").as_string() == "new name");
        });
    });
    for (auto const& events : out.events) {
        BOOST_TEST_REQUIRE(types_of(events) == "room_updated");
        BOOST_TEST(events[0].at("room").at("name").as_string() == "new name");
        BOOST_TEST(events[0].at("room").at("description").as_string() == "d");
    }
    BOOST_TEST(srv.get(path).json().at("name").as_string() == "new name");
}

BOOST_AUTO_TEST_CASE(patch_room_is_for_the_creator_or_an_admin_and_validates)
{
    chat_server srv;
    auto const ann = srv.bearer(1, "ann");
    auto const room = srv.create_room("mine", false, ann);
    srv.create_room("taken", false, ann);
    auto const path = "/rooms/" + std::to_string(room);
    BOOST_TEST(srv.send("PATCH", path, R"({"name":"x"})").status == 401u);
    BOOST_TEST(srv.send("PATCH", path, R"({"name":"x"})", srv.bearer(2, "ben")).status == 403u);
    BOOST_TEST(srv.send("PATCH", path, R"({"name":"  "})", ann).status == 400u);
    BOOST_TEST(srv.send("PATCH", path, R"({"name":42})", ann).status == 400u);
    BOOST_TEST(srv.send("PATCH", path, R"({"is_private":true})", ann).status == 400u);
    BOOST_TEST(srv.send("PATCH", path, R"({"name":"TAKEN"})", ann).status == 409u);
    BOOST_TEST(srv.send("PATCH", "/rooms/999", R"({"name":"x"})", ann).status == 404u);
    BOOST_TEST(
        srv.send("PATCH", path, R"({"name":"by root"})", srv.bearer(9, "root", true)).status ==
        200u);
}

BOOST_AUTO_TEST_CASE(delete_room_is_for_admins_keeps_general_and_removes_the_room_for_everyone)
{
    chat_server srv;
    auto const admin = srv.bearer(9, "root", true);
    auto const room = srv.create_room("doomed", false, srv.bearer(1, "ann"));
    auto const path = "/rooms/" + std::to_string(room);
    BOOST_TEST(srv.send("DELETE", path, "").status == 401u);
    BOOST_TEST(srv.send("DELETE", path, "", srv.bearer(1, "ann")).status == 403u);
    BOOST_TEST(srv.send("DELETE", "/rooms/1", "", srv.bearer(1, "ann")).status == 403u);
    auto general = srv.send("DELETE", "/rooms/1", "", admin);
    BOOST_TEST(general.status == 409u);
    BOOST_TEST(test::error_of(general) == "The General room cannot be deleted");
    BOOST_TEST(srv.send("DELETE", "/rooms/0", "", admin).status == 404u);
    BOOST_TEST(srv.send("DELETE", "/rooms/999", "", admin).status == 404u);

    // ann is in the room, ben is not: both hear it is gone; then ann leaves it.
    std::vector<std::string> in_room{srv.token(1, "ann")};
    std::vector<std::string> elsewhere{srv.token(2, "ben")};
    sessions joined, outside;
    test::run_coro([&]() -> net::awaitable<void> {
        auto ann = co_await login(srv.port(), in_room[0]);
        auto ben = co_await login(srv.port(), elsewhere[0]);
        co_await join(ann, room);
        auto const hello = "hello";
        auto const id = "d-1";
        co_await send_message(ann, room, hello, id);
        co_await next_of(ann, "ack");
        co_await drain_until_pong(ann);
        auto r = srv.send("DELETE", path, "", admin);
        BOOST_TEST(r.status == 200u, r.body);
        BOOST_TEST(r.json().at("message").as_string() == "Room deleted");
        auto a = co_await room_events_of(ann);
        auto b = co_await room_events_of(ben);
        joined.events.push_back(std::move(a));
        outside.events.push_back(std::move(b));
        // Out of the room: a message to it is refused.
        auto const after = "after";
        auto const id2 = "d-2";
        co_await send_message(ann, room, after, id2);
        auto const refused = co_await next_of(ann, "error");
        BOOST_TEST(refused.at("code").as_string() == "not_joined");
    });
    BOOST_TEST(types_of(joined.events[0]) == "room_removed,left"); // "deleted" is said first
    BOOST_TEST(types_of(outside.events[0]) == "room_removed");
    BOOST_TEST(srv.get(path).status == 404u);
    BOOST_TEST(srv.get(path + "/messages").status == 404u);
    auto const listed = srv.get("/rooms").json();
    for (auto const& r : listed.as_array())
        BOOST_TEST(r.at("id").as_int64() != room);
}

BOOST_AUTO_TEST_SUITE_END()
