#include "chat/realtime/connection.hpp"

#include "chat/realtime/events.hpp"
#include "parley/json/json.hpp"
#include "parley/log/log.hpp"
#include "parley/text/utf8.hpp"

#include <boost/json/value.hpp>
#include <string>

namespace parley::chat_app {

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
            s.send_text(events::pong());
        } else if (*type == "auth") {
            throw bad_request("already authenticated");
        } else {
            throw bad_request(
                "unknown type '" +
                std::string(type->subview(0, std::min<std::size_t>(type->size(), 64))) + "'");
        }
    } catch (frame_error const& e) {
        send_error(s, e);
    }
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
    s.close_at(clock::time_point::max(), ws::close_code::none, {});
    s.send_text(events::connected(*user_));
}

bool connection::joined(std::int64_t room_id) const
{
    std::lock_guard lock(rooms_mutex_);
    return rooms_.contains(room_id);
}

net::awaitable<void> connection::join(ws::session& s, join_frame const& frame)
{
    auto const room_id = valid_room_id(frame.room_id);
    auto const last_seq = frame.last_seq;
    if (last_seq && *last_seq < 0)
        throw bad_request("field 'last_seq' must be an integer of at least 0");
    auto session = s.shared_from_this();
    std::weak_ptr<room_listener> listener =
        std::static_pointer_cast<room_listener>(shared_from_this());
    auto& app = *app_;
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
                   .max_replay = app_->settings.max_replay,
                   .attach = attach};
        auto pending = app_->writer->submit(std::move(op));
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
    if (first && app_->presence->add(room_id, user_id, user_->username)) {
        app_->hub.publish(room_id, events::user_joined(room_id, user_id, user_->username));
        app_->hub.publish(room_id, events::online_users(room_id, app_->presence->online(room_id)));
    } else {
        s.send_text(events::online_users(room_id, app_->presence->online(room_id)));
    }
}

void connection::announce_departure(std::int64_t room_id)
{
    app_->hub.publish(room_id, events::user_left(room_id, user_->user_id, user_->username));
    app_->hub.publish(room_id, events::online_users(room_id, app_->presence->online(room_id)));
}

void connection::depart(std::uint64_t session_id, std::int64_t room_id)
{
    app_->hub.leave(room_id, session_id);
    if (app_->presence->remove(room_id, user_->user_id))
        announce_departure(room_id);
}

void connection::leave(ws::session& s, leave_frame const& frame)
{
    auto const room_id = valid_room_id(frame.room_id);
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
    if (!joined(room_id))
        throw frame_error{"not_joined", "join the room before sending to it", room_id,
                          std::string(client_id)};
    if (auto wait = app_->limiter.acquire(user_->user_id); wait.count() > 0) {
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
    s.send_text(events::ack(result.message, result.outcome == post_result::duplicate));
}

void connection::typing(ws::session& s, typing_frame const& frame)
{
    auto const room_id = valid_room_id(frame.room_id);
    auto const is_typing = frame.is_typing;
    if (!joined(room_id))
        throw frame_error{"not_joined", "join the room before typing in it", room_id};
    auto const now = clock::now();
    if (is_typing) {
        auto [it, fresh] = last_typing_.try_emplace(room_id, now);
        if (!fresh) {
            if (now - it->second < app_->settings.typing_interval)
                return; // throttled: the others already know
            it->second = now;
        }
    } else {
        last_typing_.erase(room_id);
    }
    // Everyone in the room but the typist.
    app_->hub.publish(room_id,
                      events::user_typing(room_id, user_->user_id, user_->username, is_typing),
                      {.skip_user = user_->user_id});
}

void connection::on_close(ws::session& s, ws::close_code)
{
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

} // namespace parley::chat_app
