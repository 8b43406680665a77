#include "chat/realtime/connection.hpp"

#include "chat/realtime/events.hpp"
#include "parley/json/json.hpp"
#include "parley/log/log.hpp"
#include "parley/text/utf8.hpp"

#include <algorithm>
#include <boost/json/value.hpp>
#include <string>

namespace parley::chat_app {

namespace {

namespace bj = boost::json;

// A connection's rooms, kept sorted.
void add_room(std::vector<std::int64_t>& rooms, std::int64_t room_id)
{
    auto const at = std::lower_bound(rooms.begin(), rooms.end(), room_id);
    if (at == rooms.end() || *at != room_id)
        rooms.insert(at, room_id);
}

bool remove_room(std::vector<std::int64_t>& rooms, std::int64_t room_id)
{
    auto const at = std::lower_bound(rooms.begin(), rooms.end(), room_id);
    if (at == rooms.end() || *at != room_id)
        return false;
    rooms.erase(at);
    return true;
}

// A recoverable mistake in a frame: answered with an error frame, the connection stays.
struct frame_error {
    frame_error(std::string_view c, std::string m, std::int64_t room = 0, std::string client = {})
        : code(c), message(std::move(m)), room_id(room), client_id(std::move(client))
    {}
    std::string_view code;
    std::string message;
    std::int64_t room_id = 0;
    std::string client_id;
};

frame_error bad_request(std::string message)
{
    return {"bad_request", std::move(message)};
}

// Reads a frame into its struct (docs/protocol.md); a missing or mistyped field is a bad_request.
template <class Frame> Frame read_frame(bj::value const& v)
{
    try {
        return json::read<Frame>(v);
    } catch (json::read_error const& e) {
        throw bad_request(e.what());
    }
}

std::int64_t valid_room_id(std::int64_t id)
{
    if (id < 1)
        throw bad_request("field 'room_id' must be an integer of at least 1");
    return id;
}

// At most `max_bytes` of `s`, cut at a code point boundary: an error frame quoting client text
// must stay valid UTF-8 (a browser fails the connection with 1007 otherwise).
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes)
{
    if (s.size() <= max_bytes)
        return s;
    std::size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return s.substr(0, n);
}

void send_error(ws::session& s, frame_error const& e)
{
    s.send_text(events::error(
        {.code = e.code, .message = e.message, .room_id = e.room_id, .client_id = e.client_id}));
}

} // namespace

net::awaitable<void> connection::on_open(ws::session& s)
{
    session_ = s.weak_from_this();
    s.close_at(clock::now() + app_->settings.auth_timeout, ws::close_code::unauthorized,
               "authentication timeout");
    co_return;
}

net::awaitable<void> connection::on_text(ws::session& s, std::string_view text)
{
    auto const parsed = json::parse(text);
    bj::object const* frame = parsed && parsed->is_object() ? &parsed->get_object() : nullptr;
    bj::string const* type = nullptr;
    if (frame)
        if (auto const* t = frame->if_contains("type"); t && t->is_string())
            type = &t->get_string();

    if (!authenticated_) {
        // Nothing but a well-formed auth frame is accepted first.
        auto const* token = frame ? frame->if_contains("token") : nullptr;
        if (!type || *type != "auth") {
            s.close(ws::close_code::unauthorized,
                    "the first message must be {\"type\":\"auth\",\"token\":...}");
            co_return;
        }
        if (!token || !token->is_string()) {
            s.close(ws::close_code::unauthorized, "missing token");
            co_return;
        }
        authenticate(s, token->get_string());
        co_return;
    }
    // Every frame after the first costs one of the user's frame tokens, whatever its type.
    if (auto wait = app_->frame_limiter.acquire(user_->user_id); wait.count() > 0) {
        std::int64_t room_id = 0;
        std::string_view client_id;
        if (frame) {
            if (auto const* r = frame->if_contains("room_id"); r && r->is_int64())
                room_id = r->get_int64();
            if (auto const* c = frame->if_contains("client_id"); c && c->is_string() &&
                                                                 c->get_string().size() <= 64 &&
                                                                 text::valid_utf8(c->get_string()))
                client_id = c->get_string();
        }
        refuse(s, wait, room_id, client_id);
        co_return;
    }
    try {
        if (!frame)
            throw bad_request("message is not a JSON object");
        if (!type)
            throw bad_request("missing field 'type'");
        // Frames are named before co_await: GCC 12 mishandles temporaries in co_await.
        if (*type == "message") {
            auto const m = read_frame<message_frame>(*parsed);
            co_await message(s, m);
        } else if (*type == "typing") {
            typing(s, read_frame<typing_frame>(*parsed));
        } else if (*type == "join") {
            auto const j = read_frame<join_frame>(*parsed);
            co_await join(s, j);
        } else if (*type == "leave") {
            leave(s, read_frame<leave_frame>(*parsed));
        } else if (*type == "ping") {
            pong(s);
        } else if (*type == "auth") {
            auto const* token = frame->if_contains("token");
            if (!token || !token->is_string())
                throw bad_request("field 'token' must be a string");
            reauthenticate(s, token->get_string());
        } else {
            throw bad_request("unknown type '" + std::string(utf8_prefix(*type, 64)) + "'");
        }
    } catch (frame_error const& e) {
        send_error(s, e);
    }
}

void connection::refuse(ws::session& s, std::chrono::milliseconds retry_after, std::int64_t room_id,
                        std::string_view client_id)
{
    auto const now = clock::now();
    if (now - refused_since_ >= app_->settings.refused_window) {
        refused_since_ = now;
        refused_ = 0;
    }
    if (++refused_ > app_->settings.max_refused_frames) {
        // It ignores rate_limited: no more error frames, the connection goes.
        s.close(ws::close_code::rate_limited, "rate limit exceeded");
        return;
    }
    s.send_text(events::error({.code = "rate_limited",
                               .message = "too many messages; slow down",
                               .room_id = room_id,
                               .client_id = client_id,
                               .retry_after_ms = retry_after.count()}));
}

void connection::close_at_expiry(ws::session& s)
{
    auto const left =
        std::chrono::seconds(user_->expires_at) - std::chrono::duration_cast<std::chrono::seconds>(
                                                      auth::token_clock::now().time_since_epoch());
    auto const when = clock::now() + std::max<clock::duration>(left, clock::duration::zero());
    s.close_at(when, ws::close_code::unauthorized, "token expired");
}

void connection::authenticate(ws::session& s, std::string_view token)
{
    auto who = app_->verifier->verify(token);
    if (!who) {
        log::info("websocket token refused", {{"reason", who.error().message()}});
        s.close(ws::close_code::unauthorized, "invalid or expired token");
        return;
    }
    user_ = std::move(*who);
    authenticated_ = true;
    app_->sessions.add(s.id(), {.session = s.weak_from_this(),
                                .user_id = user_->user_id,
                                .is_admin = user_->is_admin,
                                .issued_at = user_->issued_at});
    // Checked after registering: a revocation arriving in between closes it through the registry.
    if (app_->revocations->revoked(*user_)) {
        s.close(ws::close_code::unauthorized, "token revoked");
        return;
    }
    close_at_expiry(s);
    s.send_text(events::connected(*user_));
}

void connection::reauthenticate(ws::session& s, std::string_view token)
{
    auto who = app_->verifier->verify(token);
    if (!who) {
        log::info("websocket re-authentication refused", {{"reason", who.error().message()}});
        throw frame_error{"unauthorized",
                          "invalid or expired token; the session keeps its current one"};
    }
    if (who->user_id != user_->user_id) {
        s.close(ws::close_code::unauthorized, "the token is for another user");
        return;
    }
    if (app_->revocations->revoked(*who)) {
        s.close(ws::close_code::unauthorized, "token revoked");
        return;
    }
    user_ = std::move(*who);
    app_->sessions.update(s.id(), user_->is_admin, user_->issued_at);
    close_at_expiry(s);
    s.send_text(events::authenticated(*user_));
}

bool connection::joined(std::int64_t room_id) const
{
    std::lock_guard lock(rooms_mutex_);
    return std::binary_search(rooms_.begin(), rooms_.end(), room_id);
}

net::awaitable<void> connection::join(ws::session& s, join_frame const& frame)
{
    auto const room_id = valid_room_id(frame.room_id);
    auto const last_seq = frame.last_seq;
    if (last_seq && *last_seq < 0)
        throw bad_request("field 'last_seq' must be an integer of at least 0");
    if (joined(room_id)) {
        co_await rejoin(s, room_id);
        co_return;
    }
    auto session = s.shared_from_this();
    std::weak_ptr<room_listener> listener =
        std::static_pointer_cast<room_listener>(shared_from_this());
    auto& app = *app_;
    auto const user_id = user_->user_id;
    // In commit order (see store/message_writer.hpp): what was missed, then live events. The
    // session is in the room before `joined` goes out, so that events not sequenced by the
    // writer (typing, presence) sent after the client saw `joined` reach it too.
    std::weak_ptr<connection> self = shared_from_this();
    auto attach = [&app, session, listener, self, room_id, user_id](join_result const& r) {
        if (!r.found)
            return;
        // In the room for evicted() and on_close() from here on (before the hub can deliver or
        // evict), not only once this coroutine resumes.
        if (auto c = self.lock()) {
            std::lock_guard lock(c->rooms_mutex_);
            add_room(c->rooms_, room_id);
        }
        for (auto const& m : r.missed)
            session->send_text(events::new_message(m));
        // From another replica, the room may have delivered messages newer than this join's read
        // (the hub sends them) or not yet those up to it (the hub skips them for this session).
        auto const upto =
            app.hub.join(room_id, room_member{session, user_id, listener, r.last_seq});
        session->send_text(events::joined(room_id, upto, r.truncated));
    };
    // What may be replayed: at most max_replay, and what is left of the user's replay budget
    // (taken now, the unused part given back); the rest the client pages over HTTP (truncated).
    std::size_t const allowance =
        last_seq ? app.replay_limiter.take_up_to(user_id, app.settings.max_replay) : 0;
    join_result result;
    try {
        // Named first: GCC 12 mishandles temporaries inside a co_await expression.
        join_op op{.room_id = room_id,
                   .user = *user_,
                   .last_seq = last_seq,
                   .max_replay = allowance,
                   .attach = attach};
        auto pending = app_->writer->submit(std::move(op));
        auto written = co_await std::move(pending);
        result = std::get<join_result>(std::move(written));
    } catch (std::exception const& e) {
        app.replay_limiter.give_back(user_id, allowance);
        log::error("join failed", {{"room_id", room_id}, {"error", e.what()}});
        throw frame_error{"unavailable", "could not join the room, try again", room_id};
    }
    app.replay_limiter.give_back(user_id, allowance - std::min(allowance, result.missed.size()));
    if (!result.found)
        throw frame_error{"not_found", "Room not found", room_id};

    if (!joined(room_id))
        co_return; // removed from the room (`left` sent) or closed while the join completed
    if (app_->presence.add(room_id, user_id, user_->username) &&
        app_->announcer->changed(room_id, user_id, user_->username, true))
        co_return; // the room, this session included, heard user_joined and online_users
    s.send_text(events::online_users(room_id, app_->presence.online(room_id)));
}

// A join of a room this session is in already: no second subscription, no presence events and
// no replay (every message since the first join has reached the session live, exactly once);
// only `joined` with the room's newest seq, after everything up to it (commit order).
net::awaitable<void> connection::rejoin(ws::session& s, std::int64_t room_id)
{
    auto session = s.shared_from_this();
    // After the room's lane has sent the messages up to r.last_seq (this batch's among them).
    auto answer = [&hub = app_->hub, session, room_id](join_result const& r) {
        if (r.found)
            hub.send_after({&room_id, 1}, *session,
                           ws::frame::text(events::joined(room_id, r.last_seq, false)));
    };
    join_result result;
    try {
        join_op op{.room_id = room_id,
                   .user = *user_,
                   .last_seq = std::nullopt,
                   .max_replay = 0,
                   .attach = answer};
        auto pending = app_->writer->submit(std::move(op));
        auto written = co_await std::move(pending);
        result = std::get<join_result>(std::move(written));
    } catch (std::exception const& e) {
        log::error("join failed", {{"room_id", room_id}, {"error", e.what()}});
        throw frame_error{"unavailable", "could not join the room, try again", room_id};
    }
    if (!result.found)
        throw frame_error{"not_found", "Room not found", room_id};
}

void connection::depart(std::uint64_t session_id, std::int64_t room_id)
{
    app_->hub.leave(room_id, session_id);
    if (app_->presence.remove(room_id, user_->user_id))
        app_->announcer->changed(room_id, user_->user_id, user_->username, false);
}

void connection::leave(ws::session& s, leave_frame const& frame)
{
    auto const room_id = valid_room_id(frame.room_id);
    bool was_joined;
    {
        std::lock_guard lock(rooms_mutex_);
        was_joined = remove_room(rooms_, room_id);
    }
    if (!was_joined)
        throw frame_error{"not_joined", "not in this room", room_id};
    depart(s.id(), room_id);
    s.send_text(events::left(room_id));
}

net::awaitable<void> connection::message(ws::session& s, message_frame const& frame)
{
    auto const room_id = valid_room_id(frame.room_id);
    std::string_view const client_id = frame.client_id;
    auto const id_chars = text::utf8_length(client_id);
    if (!id_chars || *id_chars < 1 || *id_chars > max_client_id_chars ||
        text::has_control_characters(client_id))
        throw frame_error{"bad_request", "client_id must be 1-64 printable characters", room_id};
    std::string_view const content = frame.content;
    auto const chars = text::utf8_length(content);
    if (!chars || *chars < 1 || *chars > max_content_chars || text::is_blank(content))
        throw frame_error{"bad_request", "content must be 1-4000 characters of text", room_id,
                          std::string(client_id)};
    if (text::has_control_characters_in_text(content))
        throw frame_error{"bad_request",
                          "content must not contain control characters (newline and tab are "
                          "allowed)",
                          room_id, std::string(client_id)};
    if (!joined(room_id))
        throw frame_error{"not_joined", "join the room before sending to it", room_id,
                          std::string(client_id)};
    if (auto wait = app_->limiter.acquire(user_->user_id); wait.count() > 0) {
        refuse(s, wait, room_id, client_id);
        co_return;
    }
    post_op op{.room_id = room_id,
               .user_id = user_->user_id,
               .username = user_->username,
               .content = std::string(content),
               .client_id = std::string(client_id)};
    post_result result;
    try {
        auto pending = app_->writer->submit(std::move(op));
        auto written = co_await std::move(pending);
        result = std::get<post_result>(std::move(written));
    } catch (std::exception const& e) {
        log::error("message not stored", {{"room_id", room_id}, {"error", e.what()}});
        throw frame_error{"unavailable", "message not stored, retry with the same client_id",
                          room_id, std::string(client_id)};
    }
    if (result.outcome == post_result::no_room)
        throw frame_error{"not_found", "Room not found", room_id, std::string(client_id)};
    // After the room's fan-out of it: the sender's own copy comes first.
    app_->hub.send_after(
        {&room_id, 1}, s,
        ws::frame::text(events::ack(result.message, result.outcome == post_result::duplicate)));
}

void connection::pong(ws::session& s)
{
    std::vector<std::int64_t> rooms;
    {
        std::lock_guard lock(rooms_mutex_);
        rooms = rooms_;
    }
    // After every event already on its way to the session's rooms: a client can take the pong
    // as a barrier (what it was sent before, it has).
    app_->hub.send_after(rooms, s, ws::frame::text(events::pong()));
}

void connection::typing(ws::session& s, typing_frame const& frame)
{
    auto const room_id = valid_room_id(frame.room_id);
    auto const is_typing = frame.is_typing;
    if (!joined(room_id))
        throw frame_error{"not_joined", "join the room before typing in it", room_id};
    if (!app_->typing.forward(user_->user_id, room_id, is_typing))
        return; // throttled: the others already know (realtime/typing_throttle.hpp)
    // Everyone in the room but the typist.
    app_->hub.publish(room_id,
                      events::user_typing(room_id, user_->user_id, user_->username, is_typing),
                      {.skip_user = user_->user_id});
}

void connection::on_close(ws::session& s, ws::close_code)
{
    if (!authenticated_)
        return;
    app_->sessions.remove(s.id());
    std::vector<std::int64_t> rooms;
    {
        std::lock_guard lock(rooms_mutex_);
        rooms.swap(rooms_);
    }
    for (auto room_id : rooms)
        depart(s.id(), room_id);
}

void connection::evicted(std::int64_t room_id)
{
    {
        std::lock_guard lock(rooms_mutex_);
        if (!remove_room(rooms_, room_id))
            return;
    }
    if (auto s = session_.lock())
        s->send_text(events::left(room_id, "removed"));
}

} // namespace parley::chat_app
