// The real-time protocol (docs/protocol.md) against the real parley-chat binary, with real
// WebSocket clients.
#include "chat_fixture.hpp"

#include <set>

using namespace chat_test;

namespace {

constexpr std::int64_t general = 1;

// --- authentication ------------------------------------------------------------------------

net::awaitable<bj::object> auth_and_hello(std::uint16_t port, std::string token)
{
    auto c = co_await connect(port);
    auto auth_frame = json::serialize(bj::object{{"type", "auth"}, {"token", token}});
    co_await c.send_text(auth_frame);
    auto hello = co_await next_frame(c);
    co_await c.close();
    co_return hello;
}

// Sends `first` as the first frame and returns the close code the server ends with.
net::awaitable<int> close_code_after(std::uint16_t port, std::string first)
{
    auto c = co_await connect(port);
    if (!first.empty())
        co_await c.send_text(first);
    while (co_await c.read()) {
    }
    co_return static_cast<int>(c.close_code());
}

net::awaitable<unsigned> origin_status(std::uint16_t port, std::string origin)
{
    ws::client_options o;
    o.headers.set("Origin", origin);
    try {
        auto c = co_await connect(port, o);
        co_await c.close();
    } catch (ws::handshake_error const& e) {
        co_return e.status();
    }
    co_return 101u;
}

// --- delivery --------------------------------------------------------------------------------

struct delivery_outcome {
    bj::object ack;
    std::vector<bj::object> received; // new_message frames of each reader, in reader order
    std::size_t outsider_messages = 0;
};

net::awaitable<delivery_outcome> deliver_to_members(std::uint16_t port,
                                                    std::vector<std::string> tokens,
                                                    std::int64_t room, std::int64_t other_room)
{
    // tokens[0] sends, tokens[1..2] are in the room, tokens[3] is in another room.
    auto sender = co_await login(port, tokens[0]);
    auto a = co_await login(port, tokens[1]);
    auto b = co_await login(port, tokens[2]);
    auto outsider = co_await login(port, tokens[3]);
    co_await join(sender, room);
    co_await join(a, room);
    co_await join(b, room);
    co_await join(outsider, other_room);
    co_await send_message(sender, room, "hello <b>room</b> \xF0\x9F\x91\x8B", "m-1");

    delivery_outcome out;
    std::vector<bj::object> before_ack;
    out.ack = co_await next_of(sender, "ack", &before_ack);
    for (auto const& f : before_ack)
        if (type_of(f) == "new_message")
            out.received.push_back(f);
    auto from_a = co_await next_of(a, "new_message");
    auto from_b = co_await next_of(b, "new_message");
    out.received.push_back(from_a);
    out.received.push_back(from_b);
    auto skipped = co_await drain_until_pong(outsider);
    out.outsider_messages = count_type(skipped, "new_message");
    co_return out;
}

net::awaitable<std::vector<std::int64_t>> seqs_in_order(std::uint16_t port,
                                                        std::string sender_token,
                                                        std::string reader_token, std::int64_t room,
                                                        int n)
{
    auto sender = co_await login(port, sender_token);
    auto reader = co_await login(port, reader_token);
    co_await join(sender, room);
    co_await join(reader, room);
    for (int i = 0; i < n; ++i) {
        auto const content = "message " + std::to_string(i);
        auto const client_id = "order-" + std::to_string(i);
        co_await send_message(sender, room, content, client_id);
    }
    std::vector<std::int64_t> seqs;
    while (seqs.size() < std::size_t(n)) {
        auto m = co_await next_of(reader, "new_message");
        BOOST_TEST(m.at("content").as_string() == "message " + std::to_string(seqs.size()));
        seqs.push_back(m.at("seq").as_int64());
    }
    co_return seqs;
}

struct retry_outcome {
    bj::object first_ack;
    bj::object second_ack;
    std::size_t echoes = 0; // new_message frames the retry caused
    bj::object next_ack;    // of a new message after the retry
};

net::awaitable<retry_outcome> retry_same_client_id(std::uint16_t port, std::string token,
                                                   std::int64_t room)
{
    auto c = co_await login(port, token);
    co_await join(c, room);
    retry_outcome out;
    co_await send_message(c, room, "only once", "retry-1");
    std::vector<bj::object> skipped;
    out.first_ack = co_await next_of(c, "ack", &skipped);
    co_await send_message(c, room, "only once", "retry-1");
    out.second_ack = co_await next_of(c, "ack", &skipped);
    auto rest = co_await drain_until_pong(c);
    out.echoes = count_type(skipped, "new_message") + count_type(rest, "new_message");
    // The retry used no seq: the next message takes the one after the stored one.
    co_await send_message(c, room, "the next one", "retry-2");
    out.next_ack = co_await next_of(c, "ack");
    co_return out;
}

struct catch_up_outcome {
    std::int64_t seen_before = 0;
    std::vector<std::int64_t> replayed;
    bj::object joined;
    std::int64_t live_seq = 0;
};

net::awaitable<catch_up_outcome> catch_up(std::uint16_t port, std::string reader_token,
                                          std::string sender_token, std::int64_t room)
{
    catch_up_outcome out;
    auto sender = co_await login(port, sender_token);
    co_await join(sender, room);
    {
        auto reader = co_await login(port, reader_token);
        co_await join(reader, room);
        co_await send_message(sender, room, "before", "cu-0");
        co_await next_of(sender, "ack"); // or the loop below takes this ack for its first
        auto const seen = co_await next_of(reader, "new_message");
        out.seen_before = seen.at("seq").as_int64();
        co_await reader.close();
    }
    for (int i = 1; i <= 5; ++i) {
        auto const content = "missed " + std::to_string(i);
        auto const client_id = "cu-" + std::to_string(i);
        co_await send_message(sender, room, content, client_id);
        co_await next_of(sender, "ack");
    }
    auto reader = co_await login(port, reader_token);
    std::vector<bj::object> before;
    out.joined = co_await join(reader, room, out.seen_before, &before);
    for (auto const& f : before)
        if (type_of(f) == "new_message")
            out.replayed.push_back(f.at("seq").as_int64());
    co_await send_message(sender, room, "live", "cu-live");
    auto const live = co_await next_of(reader, "new_message");
    out.live_seq = live.at("seq").as_int64();
    co_return out;
}

// --- private rooms -----------------------------------------------------------------------------

struct private_outcome {
    bj::object outsider_join;
    std::size_t outsider_messages = 0;
    bj::object member_join;
    bj::object member_message;
    bj::object removed_frame;
    std::size_t after_removal_messages = 0;
};

net::awaitable<private_outcome> private_room(chat_server const& srv, std::int64_t room,
                                             std::string owner_auth)
{
    auto const port = srv.port();
    private_outcome out;
    auto const owner_token = srv.token(10, "owner");
    auto const outsider_token = srv.token(11, "outsider");
    auto const member_token = srv.token(12, "member");
    auto owner = co_await login(port, owner_token);
    auto outsider = co_await login(port, outsider_token);
    co_await join(owner, room);
    auto frame = json::serialize(bj::object{{"type", "join"}, {"room_id", room}});
    co_await outsider.send_text(frame);
    out.outsider_join = co_await next_of(outsider, "error");

    // The owner adds a member (HTTP), who may join from then on.
    auto added = srv.send("POST", "/rooms/" + std::to_string(room) + "/members/12", "", owner_auth);
    BOOST_TEST(added.status == 201u, added.body);
    auto member = co_await login(port, member_token);
    out.member_join = co_await join(member, room);
    co_await send_message(owner, room, "secret", "p-1");
    out.member_message = co_await next_of(member, "new_message");
    auto const outsider_frames = co_await drain_until_pong(outsider);
    out.outsider_messages = count_type(outsider_frames, "new_message");

    // Removed: the member's session leaves the room at once and hears nothing more.
    auto removed =
        srv.send("DELETE", "/rooms/" + std::to_string(room) + "/members/12", "", owner_auth);
    BOOST_TEST(removed.status == 200u, removed.body);
    out.removed_frame = co_await next_of(member, "left");
    co_await send_message(owner, room, "after removal", "p-2");
    co_await next_of(owner, "ack");
    auto const member_frames = co_await drain_until_pong(member);
    out.after_removal_messages = count_type(member_frames, "new_message");
    co_return out;
}

// --- typing and presence -----------------------------------------------------------------------

struct typing_outcome {
    bj::object seen_by_other;
    std::size_t typist_saw = 0;
    std::size_t throttled_forwarded = 0;
};

net::awaitable<typing_outcome> typing(std::uint16_t port, std::string typist_token,
                                      std::string other_token)
{
    typing_outcome out;
    auto typist = co_await login(port, typist_token);
    auto other = co_await login(port, other_token);
    co_await join(typist, general);
    co_await join(other, general);
    // The frame's username is ignored: the server takes the user from the token.
    co_await typist.send_text(
        R"({"type":"typing","room_id":1,"is_typing":true,"username":"mallory"})");
    out.seen_by_other = co_await next_of(other, "user_typing");
    auto const typist_frames = co_await drain_until_pong(typist);
    out.typist_saw = count_type(typist_frames, "user_typing");
    co_await typist.send_text(R"({"type":"typing","room_id":1,"is_typing":true})"); // within 2 s
    co_await drain_until_pong(typist);
    auto const other_frames = co_await drain_until_pong(other);
    out.throttled_forwarded = count_type(other_frames, "user_typing");
    co_return out;
}

struct presence_outcome {
    bj::object joined_event;
    bj::object online_event;
    test::http_reply online_http;
    bj::object left_event;
    bj::object online_after;
};

net::awaitable<presence_outcome> presence(chat_server const& srv)
{
    presence_outcome out;
    auto const port = srv.port();
    auto const watcher_token = srv.token(30, "watcher");
    auto const visitor_token = srv.token(31, "visitor");
    auto watcher = co_await login(port, watcher_token);
    co_await join(watcher, general);
    auto const own_events = co_await drain_until_pong(watcher); // its own user_joined, online_users
    BOOST_TEST(count_type(own_events, "user_joined") == 1u);
    {
        auto visitor = co_await login(port, visitor_token);
        co_await join(visitor, general);
        out.joined_event = co_await next_of(watcher, "user_joined");
        out.online_event = co_await next_of(watcher, "online_users");
        out.online_http = srv.get("/rooms/1/online");
        co_await visitor.close(); // a disconnect counts as leaving
    }
    out.left_event = co_await next_of(watcher, "user_left");
    out.online_after = co_await next_of(watcher, "online_users");
    co_return out;
}

// tom arrives (announced), leaves at once (held: within the presence interval) and comes back;
// maria joined while he was away and got a list without him. She must get one with him.
net::awaitable<std::vector<std::size_t>> back_within_the_interval(chat_server const& srv)
{
    auto const port = srv.port();
    auto const tom_token = srv.token(41, "tom");
    auto const maria_token = srv.token(42, "maria");
    {
        auto first = co_await login(port, tom_token);
        co_await join(first, general);
        co_await first.close();
    }
    auto maria = co_await login(port, maria_token);
    co_await join(maria, general);
    auto tom = co_await login(port, tom_token);
    co_await join(tom, general);
    // The sizes of the lists maria gets, until one has tom (or the connection ends).
    std::vector<std::size_t> sizes;
    for (;;) {
        auto f = co_await next_of(maria, "online_users");
        auto const& users = f.at("users").as_array();
        sizes.push_back(users.size());
        for (auto const& u : users)
            if (u.at("user_id").as_int64() == 41)
                co_return sizes;
    }
}

// --- slow consumers ----------------------------------------------------------------------------

struct slow_outcome {
    int slow_close_code = 0;
    std::size_t fast_received = 0;
    std::int64_t fast_last_seq = 0;
};

net::awaitable<slow_outcome> slow_consumer(std::uint16_t port, std::string sender_token,
                                           std::string fast_token, std::string slow_token,
                                           std::int64_t room, int n)
{
    slow_outcome out;
    auto sender = co_await login(port, sender_token);
    auto fast = co_await login(port, fast_token);
    auto slow = co_await login(port, slow_token);
    co_await join(sender, room);
    co_await join(fast, room);
    co_await join(slow, room); // and then never reads
    std::string const big(3000, 'x');
    // The fast reader and the sender keep reading while the sender floods.
    for (int i = 0; i < n; ++i) {
        auto const client_id = "flood-" + std::to_string(i);
        co_await send_message(sender, room, big, client_id);
        co_await next_of(sender, "ack");
        auto m = co_await next_of(fast, "new_message");
        ++out.fast_received;
        out.fast_last_seq = m.at("seq").as_int64();
    }
    while (co_await slow.read()) {
    }
    out.slow_close_code = static_cast<int>(slow.close_code());
    co_return out;
}

// --- malformed input -------------------------------------------------------------------------

// One masked client frame (FIN set) with any opcode, for frames ws::client would not send.
std::string masked_frame(std::uint8_t opcode, std::string const& payload)
{
    std::string f;
    f.push_back(static_cast<char>(0x80 | opcode));
    auto const n = payload.size();
    if (n < 126) {
        f.push_back(static_cast<char>(0x80 | n));
    } else if (n < 65536) {
        f.push_back(static_cast<char>(0x80 | 126));
        f.push_back(static_cast<char>(n >> 8));
        f.push_back(static_cast<char>(n & 0xFF));
    } else {
        f.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            f.push_back(static_cast<char>((std::uint64_t(n) >> (8 * i)) & 0xFF));
    }
    char const mask[4] = {0x11, 0x22, 0x33, 0x44};
    f.append(mask, 4);
    for (std::size_t i = 0; i < n; ++i)
        f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
    return f;
}

// Sends each text frame and collects the answer to it (an error frame), then proves the
// connection still works.
net::awaitable<std::vector<bj::object>> recoverable_errors(std::uint16_t port, std::string token,
                                                           std::vector<std::string> frames)
{
    auto c = co_await login(port, token);
    co_await join(c, general);
    std::vector<bj::object> answers;
    for (auto const& f : frames) {
        co_await c.send_text(f);
        auto answer = co_await next_of(c, "error");
        answers.push_back(std::move(answer));
    }
    co_await drain_until_pong(c);
    co_return answers;
}

net::awaitable<int> close_code_after_raw(std::uint16_t port, std::string token, std::string raw)
{
    auto c = co_await login(port, token);
    co_await c.send_raw(raw);
    while (co_await c.read()) {
    }
    co_return static_cast<int>(c.close_code());
}

net::awaitable<std::size_t> rate_limited_count(std::uint16_t port, std::string token, int n,
                                               std::size_t* acks)
{
    auto c = co_await login(port, token);
    co_await join(c, general);
    for (int i = 0; i < n; ++i) {
        auto const content = "fast " + std::to_string(i);
        auto const client_id = "rl-" + std::to_string(i);
        co_await send_message(c, general, content, client_id);
    }
    std::size_t limited = 0;
    *acks = 0;
    while (limited + *acks < std::size_t(n)) {
        auto f = co_await next_frame(c);
        if (type_of(f) == "ack")
            ++*acks;
        else if (type_of(f) == "error") {
            BOOST_TEST(f.at("code").as_string() == "rate_limited");
            BOOST_TEST(f.at("retry_after_ms").as_int64() > 0);
            ++limited;
        }
    }
    co_return limited;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_protocol)

BOOST_AUTO_TEST_CASE(auth_frame_gets_connected_with_the_tokens_user)
{
    chat_server srv;
    auto hello =
        test::run_coro([&] { return auth_and_hello(srv.port(), srv.token(7, "ann", true)); });
    BOOST_TEST(type_of(hello) == "connected");
    BOOST_TEST(hello.at("user").at("user_id").as_int64() == 7);
    BOOST_TEST(hello.at("user").at("username").as_string() == "ann");
    BOOST_TEST(hello.at("user").at("is_admin").as_bool() == true);
}

BOOST_AUTO_TEST_CASE(bad_token_missing_auth_and_auth_timeout_close_with_4001)
{
    chat_server srv(env{{"PARLEY_WS_AUTH_TIMEOUT", "300ms"}});
    auto const port = srv.port();
    // A token signed by another key, a malformed one, no token, another frame first, no frame.
    auth::token_signer stranger(auth::generate_ed25519().private_pem);
    auto const foreign = stranger.sign({.user_id = 1, .username = "x"});
    auto close_for = [&](std::string first) {
        return test::run_coro([&] { return close_code_after(port, first); });
    };
    BOOST_TEST(close_for(R"({"type":"auth","token":")" + foreign + R"("})") == 4001);
    BOOST_TEST(close_for(R"({"type":"auth","token":"not.a.jwt"})") == 4001);
    BOOST_TEST(close_for(R"({"type":"auth"})") == 4001);
    BOOST_TEST(close_for(R"({"type":"join","room_id":1})") == 4001);
    BOOST_TEST(close_for("not json") == 4001);
    BOOST_TEST(close_for("") == 4001); // silence: the auth deadline
    auth::token_signer expired_signer(srv.keys.private_pem, {.lifetime = std::chrono::seconds(1)});
    auto const old = expired_signer.sign({.user_id = 1, .username = "x"},
                                         auth::token_clock::now() - std::chrono::hours(1));
    BOOST_TEST(close_for(R"({"type":"auth","token":")" + old + R"("})") == 4001);
}

BOOST_AUTO_TEST_CASE(foreign_origin_is_refused_before_the_handshake)
{
    chat_server srv(env{{"PARLEY_WS_ORIGINS", "http://app.example"}});
    auto const port = srv.port();
    auto status_for = [&](std::string origin) {
        return test::run_coro([&] { return origin_status(port, origin); });
    };
    BOOST_TEST(status_for("http://evil.example") == 403u);
    BOOST_TEST(status_for("http://app.example") == 101u);
}

BOOST_AUTO_TEST_CASE(message_reaches_every_member_once_and_no_one_else)
{
    chat_server srv;
    auto const owner = srv.bearer(50, "owner");
    auto const other_room = srv.create_room("elsewhere", false, owner);
    std::vector<std::string> tokens{srv.token(1, "sender"), srv.token(2, "a"), srv.token(3, "b"),
                                    srv.token(4, "c")};
    auto out =
        test::run_coro([&] { return deliver_to_members(srv.port(), tokens, general, other_room); });
    BOOST_TEST(out.ack.at("client_id").as_string() == "m-1");
    BOOST_TEST(out.ack.at("seq").as_int64() == 1);
    BOOST_TEST(out.received.size() == 3u); // the sender's own copy, a, b
    for (auto const& m : out.received) {
        BOOST_TEST(m.at("seq").as_int64() == 1);
        BOOST_TEST(m.at("room_id").as_int64() == general);
        BOOST_TEST(m.at("user_id").as_int64() == 1);
        BOOST_TEST(m.at("username").as_string() == "sender");
        BOOST_TEST(m.at("content").as_string() == "hello <b>room</b> \xF0\x9F\x91\x8B");
        BOOST_TEST(m.at("client_id").as_string() == "m-1");
        BOOST_TEST(m.at("id").as_int64() == out.ack.at("id").as_int64());
        BOOST_TEST(m.at("timestamp").as_string().ends_with("Z"));
        BOOST_TEST(m.at("is_file").as_bool() == false);
    }
    BOOST_TEST(out.outsider_messages == 0u);
    // Stored too: history has it.
    auto history = srv.get("/rooms/1/messages").json().as_array();
    BOOST_TEST_REQUIRE(history.size() == 1u);
    BOOST_TEST(history[0].at("seq").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(messages_arrive_in_contiguous_seq_order)
{
    chat_server srv(env{{"PARLEY_CHAT_MESSAGES_PER_SECOND", "100000"},
                        {"PARLEY_CHAT_MESSAGE_BURST", "100000"},
                        {"PARLEY_CHAT_FRAMES_PER_SECOND", "100000"},
                        {"PARLEY_CHAT_FRAME_BURST", "100000"}});
    auto seqs = test::run_coro([&] {
        return seqs_in_order(srv.port(), srv.token(1, "s"), srv.token(2, "r"), general, 200);
    });
    for (std::size_t i = 0; i < seqs.size(); ++i)
        BOOST_TEST(seqs[i] == std::int64_t(i + 1));
}

BOOST_AUTO_TEST_CASE(retrying_a_client_id_stores_one_message_and_acks_the_same_seq)
{
    chat_server srv;
    auto out = test::run_coro(
        [&] { return retry_same_client_id(srv.port(), srv.token(1, "s"), general); });
    BOOST_TEST(out.first_ack.at("seq").as_int64() == out.second_ack.at("seq").as_int64());
    BOOST_TEST(out.first_ack.at("id").as_int64() == out.second_ack.at("id").as_int64());
    BOOST_TEST(out.second_ack.at("duplicate").as_bool() == true);
    BOOST_TEST(out.echoes == 1u); // the first send's broadcast, nothing for the retry
    BOOST_TEST(out.next_ack.at("seq").as_int64() == out.first_ack.at("seq").as_int64() + 1);
    BOOST_TEST(srv.get("/rooms/1/messages").json().as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(rejoining_with_last_seq_replays_what_was_missed_in_order)
{
    chat_server srv;
    auto out = test::run_coro([&] {
        return catch_up(srv.port(), srv.token(2, "reader"), srv.token(1, "sender"), general);
    });
    BOOST_TEST(out.seen_before == 1);
    BOOST_TEST(out.replayed == (std::vector<std::int64_t>{2, 3, 4, 5, 6}),
               boost::test_tools::per_element());
    BOOST_TEST(out.joined.at("last_seq").as_int64() == 6);
    BOOST_TEST(!out.joined.contains("truncated"));
    BOOST_TEST(out.live_seq == 7);
}

BOOST_AUTO_TEST_CASE(private_rooms_reach_members_only)
{
    chat_server srv;
    auto const owner_auth = srv.bearer(10, "owner");
    auto const room = srv.create_room("secret", true, owner_auth);
    auto out = test::run_coro([&] { return private_room(srv, room, owner_auth); });
    BOOST_TEST(out.outsider_join.at("code").as_string() == "not_found");
    BOOST_TEST(out.outsider_messages == 0u);
    BOOST_TEST(out.member_join.at("room_id").as_int64() == room);
    BOOST_TEST(out.member_message.at("content").as_string() == "secret");
    BOOST_TEST(out.removed_frame.at("room_id").as_int64() == room);
    BOOST_TEST(out.removed_frame.at("reason").as_string() == "removed");
    BOOST_TEST(out.after_removal_messages == 0u);
    // Nor over HTTP: not listed, not found, no history, no presence for outsiders.
    auto const outsider = srv.bearer(11, "outsider");
    auto const path = "/rooms/" + std::to_string(room);
    BOOST_TEST(srv.get(path, outsider).status == 404u);
    BOOST_TEST(srv.get(path).status == 404u);
    BOOST_TEST(srv.get(path + "/messages", outsider).status == 404u);
    BOOST_TEST(srv.get(path + "/online", outsider).status == 404u);
    BOOST_TEST(srv.get(path + "/messages", owner_auth).json().as_array().size() == 2u);
    auto const listed = srv.get("/rooms", outsider).json();
    for (auto const& r : listed.as_array())
        BOOST_TEST(r.at("id").as_int64() != room);
    BOOST_TEST(srv.get(path, srv.bearer(99, "admin", true)).status == 200u);
}

BOOST_AUTO_TEST_CASE(typing_reaches_the_others_with_the_tokens_user_and_is_throttled)
{
    chat_server srv;
    auto out = test::run_coro(
        [&] { return typing(srv.port(), srv.token(20, "typist"), srv.token(21, "other")); });
    BOOST_TEST(out.seen_by_other.at("user_id").as_int64() == 20);
    BOOST_TEST(out.seen_by_other.at("username").as_string() == "typist");
    BOOST_TEST(out.seen_by_other.at("is_typing").as_bool() == true);
    BOOST_TEST(out.seen_by_other.at("room_id").as_int64() == general);
    BOOST_TEST(out.typist_saw == 0u);
    BOOST_TEST(out.throttled_forwarded == 0u);
}

BOOST_AUTO_TEST_CASE(presence_events_and_the_online_list_follow_joins_and_disconnects)
{
    chat_server srv;
    auto out = test::run_coro([&] { return presence(srv); });
    BOOST_TEST(out.joined_event.at("user_id").as_int64() == 31);
    BOOST_TEST(out.joined_event.at("message").as_string() == "visitor joined the room");
    BOOST_TEST(out.online_event.at("users").as_array().size() == 2u);
    BOOST_TEST(out.online_http.status == 200u);
    auto online = out.online_http.json().as_array();
    BOOST_TEST_REQUIRE(online.size() == 2u);
    BOOST_TEST(online[1].at("username").as_string() == "visitor");
    BOOST_TEST(online[1].at("joined_at").as_string().ends_with("Z"));
    BOOST_TEST(out.left_event.at("user_id").as_int64() == 31);
    BOOST_TEST(out.left_event.at("message").as_string() == "visitor left the room");
    auto after = out.online_after.at("users").as_array();
    BOOST_TEST_REQUIRE(after.size() == 1u);
    BOOST_TEST(after[0].at("user_id").as_int64() == 30);
}

BOOST_AUTO_TEST_CASE(
    a_user_back_within_the_presence_interval_reaches_the_list_of_who_joined_meanwhile)
{
    chat_server srv;
    // Within 5 s: the held interval (1 s) ends and the list goes out again.
    auto sizes = test::run_coro([&] { return back_within_the_interval(srv); }, 5s);
    BOOST_TEST(!sizes.empty());
}

BOOST_AUTO_TEST_CASE(a_slow_consumer_is_cut_off_with_4008_while_the_others_keep_receiving)
{
    chat_server srv(env{{"PARLEY_WS_MAX_QUEUED_BYTES", "256KiB"},
                        {"PARLEY_CHAT_MESSAGES_PER_SECOND", "100000"},
                        {"PARLEY_CHAT_MESSAGE_BURST", "100000"},
                        {"PARLEY_CHAT_FRAMES_PER_SECOND", "100000"},
                        {"PARLEY_CHAT_FRAME_BURST", "100000"},
                        // the cut-off client reads only at the end: let it find the close frame
                        {"PARLEY_WS_CLOSE_TIMEOUT", "120s"}});
    constexpr int n = 4000; // 12 MB: more than the kernel's socket buffers and the queue hold
    auto out = test::run_coro(
        [&] {
            return slow_consumer(srv.port(), srv.token(1, "s"), srv.token(2, "fast"),
                                 srv.token(3, "slow"), general, n);
        },
        std::chrono::seconds(120));
    BOOST_TEST(out.slow_close_code == 4008);
    BOOST_TEST(out.fast_received == std::size_t(n));
    BOOST_TEST(out.fast_last_seq == n);
}

BOOST_AUTO_TEST_CASE(recoverable_mistakes_get_error_frames_and_the_connection_stays)
{
    chat_server srv;
    std::string const long_content(4001, 'a');
    std::vector<std::string> frames{
        "not json",
        "[1,2,3]",
        R"({"no_type":1})",
        R"({"type":"dance"})",
        R"({"type":"join"})",
        R"({"type":"join","room_id":"1"})",
        R"({"type":"join","room_id":-4})",
        R"({"type":"join","room_id":999})",
        R"({"type":"message","room_id":1,"client_id":"x"})",
        R"({"type":"message","room_id":1,"content":"hi"})",
        R"({"type":"message","room_id":1,"content":"","client_id":"x"})",
        R"({"type":"message","room_id":1,"content":"   ","client_id":"x"})",
        R"({"type":"message","room_id":1,"content":")" + long_content + R"(","client_id":"x"})",
        R"({"type":"message","room_id":1,"content":"hi","client_id":")" + std::string(65, 'c') +
            R"("})",
        R"({"type":"message","room_id":1,"content":42,"client_id":"x"})",
        R"({"type":"message","room_id":7,"content":"hi","client_id":"x"})",
        R"({"type":"typing","room_id":1})",
        R"({"type":"typing","room_id":7,"is_typing":true})",
        R"({"type":"leave","room_id":7})",
        R"({"type":"auth","token":"x"})", // a re-authentication with a bad token
    };
    auto answers =
        test::run_coro([&] { return recoverable_errors(srv.port(), srv.token(1, "u"), frames); });
    std::vector<std::string> codes;
    for (auto const& a : answers) {
        codes.emplace_back(a.at("code").as_string());
        BOOST_TEST(!a.at("message").as_string().empty());
    }
    std::vector<std::string> expected{"bad_request", "bad_request", "bad_request", "bad_request",
                                      "bad_request", "bad_request", "bad_request", "not_found",
                                      "bad_request", "bad_request", "bad_request", "bad_request",
                                      "bad_request", "bad_request", "bad_request", "not_joined",
                                      "bad_request", "not_joined",  "not_joined",  "unauthorized"};
    BOOST_TEST(codes == expected, boost::test_tools::per_element());
    BOOST_TEST(srv.get("/rooms/1/messages").json().as_array().empty()); // nothing was stored
}

BOOST_AUTO_TEST_CASE(fatal_frames_close_with_their_codes)
{
    chat_server srv;
    auto const port = srv.port();
    auto const token = srv.token(1, "u");
    auto code_for = [&](std::string raw) {
        return test::run_coro([&] { return close_code_after_raw(port, token, raw); });
    };
    BOOST_TEST(code_for(masked_frame(0x2, "binary")) == 1003);
    BOOST_TEST(code_for(masked_frame(0x1, std::string(70 * 1024, 'a'))) == 1009);
    BOOST_TEST(code_for(masked_frame(0x1, "\xC3\x28 bad utf-8")) == 1007);
    BOOST_TEST(code_for(std::string("\x81\x02hi", 4)) == 1002); // unmasked client frame
    BOOST_TEST(code_for(masked_frame(0x3, "reserved opcode")) == 1002);
    // The server is fine afterwards.
    BOOST_TEST(srv.get("/health").status == 200u);
}

BOOST_AUTO_TEST_CASE(sending_faster_than_the_rate_limit_gets_rate_limited_errors)
{
    chat_server srv; // 10 per second, burst 20
    std::size_t acks = 0;
    auto limited = test::run_coro(
        [&] { return rate_limited_count(srv.port(), srv.token(1, "u"), 40, &acks); });
    BOOST_TEST(limited > 0u);
    BOOST_TEST(acks >= 20u);
    BOOST_TEST(acks + limited == 40u);
    BOOST_TEST(srv.get("/rooms/1/messages?limit=100").json().as_array().size() == acks);
}

BOOST_AUTO_TEST_SUITE_END()
