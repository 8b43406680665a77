#include "realtime/connection.hpp"

#include "parley/json/json.hpp"
#include "parley/log/log.hpp"
#include "realtime/events.hpp"
#include "text.hpp"

#include <boost/json/value.hpp>
#include <string>

namespace parley::chat {

namespace {

namespace bj = boost::json;

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

std::optional<std::int64_t> optional_integer(bj::object const& frame, std::string_view name,
                                             std::int64_t min)
{
    auto const* v = frame.if_contains(name);
    if (!v || v->is_null())
        return std::nullopt;
    boost::system::error_code ec;
    auto const n = v->is_double() ? 0 : v->to_number<std::int64_t>(ec);
    if (v->is_double() || ec || n < min)
        throw bad_request("field '" + std::string(name) + "' must be an integer of at least " +
                          std::to_string(min));
    return n;
}

std::int64_t room_id_of(bj::object const& frame)
{
    auto id = optional_integer(frame, "room_id", 1);
    if (!id)
        throw bad_request("missing field 'room_id'");
    return *id;
}

std::string_view string_field(bj::object const& frame, std::string_view name)
{
    auto const* v = frame.if_contains(name);
    if (!v)
        throw bad_request("missing field '" + std::string(name) + "'");
    if (!v->is_string())
        throw bad_request("field '" + std::string(name) + "' must be a string");
    return v->get_string();
}

bool bool_field(bj::object const& frame, std::string_view name)
{
    auto const* v = frame.if_contains(name);
    if (!v)
        throw bad_request("missing field '" + std::string(name) + "'");
    if (!v->is_bool())
        throw bad_request("field '" + std::string(name) + "' must be true or false");
    return v->get_bool();
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
    auth_timer_ = std::make_shared<net::steady_timer>(app_.executor, app_.settings.auth_timeout);
    std::weak_ptr<ws::session> session = s.shared_from_this();
    std::weak_ptr<connection> self = shared_from_this();
    auth_timer_->async_wait([session, self](boost::system::error_code ec) {
        if (ec)
            return;
        auto c = self.lock();
        auto sess = session.lock();
        if (c && sess && !c->authenticated_)
            sess->close(ws::close_code::unauthorized, "authentication timeout");
    });
    co_return;
}

net::awaitable<void> connection::on_text(ws::session& s, std::string_view text)
{
    auto parsed = json::parse(text);
    bj::object const* frame = parsed && parsed->is_object() ? &parsed->get_object() : nullptr;
    bj::string const* type = nullptr;
    if (frame)
        if (auto const* t = frame->if_contains("type"); t && t->is_string())
            type = &t->get_string();

    if (!authenticated_) {
        // Nothing but a well-formed auth frame is accepted first.
        if (!type || *type != "auth") {
            s.close(ws::close_code::unauthorized,
                    "the first message must be {\"type\":\"auth\",\"token\":...}");
            co_return;
        }
        co_await authenticate(s, *frame);
        co_return;
    }
    try {
        if (!frame)
            throw bad_request("message is not a JSON object");
        if (!type)
            throw bad_request("missing field 'type'");
        if (*type == "message")
            co_await message(s, *frame);
        else if (*type == "typing")
            typing(s, *frame);
        else if (*type == "join")
            co_await join(s, *frame);
        else if (*type == "leave")
            leave(s, *frame);
        else if (*type == "ping")
            s.send_text(events::pong());
        else if (*type == "auth")
            throw bad_request("already authenticated");
        else
            throw bad_request("unknown type '" + std::string(utf8_prefix(*type, 64)) + "'");
    } catch (frame_error const& e) {
        send_error(s, e);
    }
}

net::awaitable<void> connection::authenticate(ws::session& s, bj::object const& frame)
{
    auto const* token = frame.if_contains("token");
    if (!token || !token->is_string()) {
        s.close(ws::close_code::unauthorized, "missing token");
        co_return;
    }
    auto who = app_.verifier->verify(token->get_string());
    if (!who) {
        log::info("websocket token refused", {{"reason", who.error().message()}});
        s.close(ws::close_code::unauthorized, "invalid or expired token");
        co_return;
    }
    user_ = std::move(*who);
    authenticated_ = true;
    auth_timer_->cancel();
    s.send_text(events::connected(*user_));
}

bool connection::joined(std::int64_t room_id) const
{
    std::lock_guard lock(rooms_mutex_);
    return rooms_.contains(room_id);
}

net::awaitable<void> connection::join(ws::session& s, bj::object const& frame)
{
    auto const room_id = room_id_of(frame);
    auto const last_seq = optional_integer(frame, "last_seq", 0);
    auto session = s.shared_from_this();
    std::weak_ptr<room_listener> listener =
        std::static_pointer_cast<room_listener>(shared_from_this());
    auto& app = app_;
    auto const user_id = user_->user_id;
    // In commit order (see store/message_writer.hpp): what was missed, then live events. The
    // session is in the room before `joined` goes out, so that events not sequenced by the
    // writer (typing, presence) sent after the client saw `joined` reach it too.
    auto attach = [&app, session, listener, room_id, user_id](join_result const& r) {
        if (!r.found)
            return;
        for (auto const& m : r.missed)
            session->send_text(events::new_message(m));
        app.hub.join(room_id, room_member{session, user_id, listener});
        session->send_text(events::joined(room_id, r.last_seq, r.truncated));
    };
    join_result result;
    try {
        // Named first: GCC 12 mishandles temporaries inside a co_await expression.
        join_op op{.room_id = room_id,
                   .user = *user_,
                   .last_seq = last_seq,
                   .max_replay = app_.settings.max_replay,
                   .attach = attach};
        auto pending = app_.writer->submit(std::move(op));
        auto written = co_await std::move(pending);
        result = std::get<join_result>(std::move(written));
    } catch (std::exception const& e) {
        log::error("join failed", {{"room_id", room_id}, {"error", e.what()}});
        throw frame_error{"unavailable", "could not join the room, try again", room_id};
    }
    if (!result.found)
        throw frame_error{"not_found", "Room not found", room_id};

    bool first;
    {
        std::lock_guard lock(rooms_mutex_);
        first = rooms_.insert(room_id).second;
    }
    if (first && app_.presence->add(room_id, user_id, user_->username)) {
        app_.hub.publish(room_id, events::user_joined(room_id, user_id, user_->username));
        app_.hub.publish(room_id, events::online_users(room_id, app_.presence->online(room_id)));
    } else {
        s.send_text(events::online_users(room_id, app_.presence->online(room_id)));
    }
}

void connection::announce_departure(std::int64_t room_id)
{
    app_.hub.publish(room_id, events::user_left(room_id, user_->user_id, user_->username));
    app_.hub.publish(room_id, events::online_users(room_id, app_.presence->online(room_id)));
}

void connection::depart(std::uint64_t session_id, std::int64_t room_id)
{
    app_.hub.leave(room_id, session_id);
    if (app_.presence->remove(room_id, user_->user_id))
        announce_departure(room_id);
}

void connection::leave(ws::session& s, bj::object const& frame)
{
    auto const room_id = room_id_of(frame);
    bool was_joined;
    {
        std::lock_guard lock(rooms_mutex_);
        was_joined = rooms_.erase(room_id) > 0;
    }
    if (!was_joined)
        throw frame_error{"not_joined", "not in this room", room_id};
    depart(s.id(), room_id);
    s.send_text(events::left(room_id));
}

net::awaitable<void> connection::message(ws::session& s, bj::object const& frame)
{
    auto const room_id = room_id_of(frame);
    auto const client_id = string_field(frame, "client_id");
    auto const id_chars = utf8_length(client_id);
    if (!id_chars || *id_chars < 1 || *id_chars > max_client_id_chars ||
        has_control_characters(client_id))
        throw frame_error{"bad_request", "client_id must be 1-64 printable characters", room_id};
    auto const content = string_field(frame, "content");
    auto const chars = utf8_length(content);
    if (!chars || *chars < 1 || *chars > max_content_chars || is_blank(content))
        throw frame_error{"bad_request", "content must be 1-4000 characters of text", room_id,
                          std::string(client_id)};
    if (!joined(room_id))
        throw frame_error{"not_joined", "join the room before sending to it", room_id,
                          std::string(client_id)};
    if (auto wait = app_.limiter.acquire(user_->user_id); wait.count() > 0) {
        s.send_text(events::error({.code = "rate_limited",
                                   .message = "too many messages; slow down",
                                   .room_id = room_id,
                                   .client_id = client_id,
                                   .retry_after_ms = wait.count()}));
        co_return;
    }
    post_op op{.room_id = room_id,
               .user_id = user_->user_id,
               .username = user_->username,
               .content = std::string(content),
               .client_id = std::string(client_id)};
    post_result result;
    try {
        auto pending = app_.writer->submit(std::move(op));
        auto written = co_await std::move(pending);
        result = std::get<post_result>(std::move(written));
    } catch (std::exception const& e) {
        log::error("message not stored", {{"room_id", room_id}, {"error", e.what()}});
        throw frame_error{"unavailable", "message not stored, retry with the same client_id",
                          room_id, std::string(client_id)};
    }
    if (result.outcome == post_result::no_room)
        throw frame_error{"not_found", "Room not found", room_id, std::string(client_id)};
    s.send_text(events::ack(result.message, result.outcome == post_result::duplicate));
}

void connection::typing(ws::session& s, bj::object const& frame)
{
    auto const room_id = room_id_of(frame);
    auto const is_typing = bool_field(frame, "is_typing");
    if (!joined(room_id))
        throw frame_error{"not_joined", "join the room before typing in it", room_id};
    auto const now = clock::now();
    if (is_typing) {
        auto [it, fresh] = last_typing_.try_emplace(room_id, now);
        if (!fresh) {
            if (now - it->second < app_.settings.typing_interval)
                return; // throttled: the others already know
            it->second = now;
        }
    } else {
        last_typing_.erase(room_id);
    }
    app_.hub.publish(room_id,
                     events::user_typing(room_id, user_->user_id, user_->username, is_typing));
}

void connection::on_close(ws::session& s, ws::close_code)
{
    if (auth_timer_)
        auth_timer_->cancel();
    if (!authenticated_)
        return;
    std::unordered_set<std::int64_t> rooms;
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
        if (rooms_.erase(room_id) == 0)
            return;
    }
    if (auto s = session_.lock())
        s->send_text(events::left(room_id, "removed"));
}

void evict_user(chat_app& app, std::int64_t room_id, std::int64_t user_id)
{
    app.hub.evict(room_id, user_id);
    std::string username;
    for (auto const& u : app.presence->online(room_id))
        if (u.user_id == user_id)
            username = u.username;
    if (app.presence->remove_all(room_id, user_id)) {
        app.hub.publish(room_id, events::user_left(room_id, user_id, username));
        app.hub.publish(room_id, events::online_users(room_id, app.presence->online(room_id)));
    }
}

} // namespace parley::chat
