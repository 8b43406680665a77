#include "chat/fanout/room_events.hpp"

#include "chat/fanout/eviction.hpp"
#include "chat/state.hpp"
#include "parley/json/json.hpp"
#include "parley/ws/flush_scope.hpp"

#include <boost/json/object.hpp>
#include <charconv>
#include <set>

namespace parley::chat_app {

room_audience audience_of(room const& r, std::vector<std::int64_t> members)
{
    if (!r.is_private)
        return {.everyone = true, .admins = false, .users = {}};
    return {.everyone = false, .admins = true, .users = std::move(members)};
}

std::string encode(room_event_envelope const& e)
{
    std::string out;
    out.reserve(32 + e.audience.users.size() * 8 + e.event.size());
    out += e.audience.everyone ? '*' : e.audience.admins ? '+' : '-';
    out += e.kind;
    out += ' ';
    out += std::to_string(e.room_id);
    out += ' ';
    for (std::size_t i = 0; i < e.audience.users.size(); ++i) {
        if (i)
            out += ',';
        out += std::to_string(e.audience.users[i]);
    }
    out += '\n';
    out += e.event;
    return out;
}

std::optional<room_event_envelope> decode_room_event(std::string_view bytes)
{
    auto const newline = bytes.find('\n');
    if (newline == std::string_view::npos || newline < 5 || bytes[2] != ' ')
        return std::nullopt;
    room_event_envelope e;
    switch (bytes[0]) {
    case '*':
        e.audience.everyone = true;
        break;
    case '+':
        e.audience.admins = true;
        break;
    case '-':
        break;
    default:
        return std::nullopt;
    }
    e.kind = bytes[1];
    if (e.kind != 'a' && e.kind != 'u' && e.kind != 'r' && e.kind != 'd')
        return std::nullopt;
    auto const* p = bytes.data() + 3;
    auto const* const head_end = bytes.data() + newline;
    auto [after_id, ec] = std::from_chars(p, head_end, e.room_id);
    if (ec != std::errc() || after_id == head_end || *after_id != ' ')
        return std::nullopt;
    p = after_id + 1;
    while (p < head_end) {
        std::int64_t user = 0;
        auto [next, uec] = std::from_chars(p, head_end, user);
        if (uec != std::errc())
            return std::nullopt;
        e.audience.users.push_back(user);
        p = next;
        if (p < head_end) {
            if (*p != ',')
                return std::nullopt;
            ++p;
        }
    }
    e.event = bytes.substr(newline + 1);
    return e;
}

namespace {

void publish(chat_state& app, room_audience const& to, char kind, std::int64_t room_id,
             std::string event)
{
    auto payload = encode({.audience = to, .kind = kind, .room_id = room_id, .event = event});
    app.bus->publish(room_events_channel, bus::make_payload(std::move(payload)));
}

std::string room_frame(char const* type, room const& r)
{
    return json::serialize(boost::json::object{{"type", type}, {"room", json::write(r)}});
}

// Takes the audience's sessions on this process out of the room (`left`, reason "removed").
void evict_audience(chat_state& app, room_event_envelope const& e,
                    std::vector<registered_session> const& sessions)
{
    // For a public room everyone is the audience: only those in it have anything to leave.
    std::set<std::int64_t> leaving;
    if (e.audience.everyone) {
        for (auto const& u : app.presence.local(e.room_id))
            leaving.insert(u.user_id);
    } else {
        for (auto const& s : sessions)
            leaving.insert(s.user_id);
    }
    for (auto user_id : leaving)
        evict_user(app, e.room_id, user_id);
}

// Delivery on this process.
void deliver(chat_state& app, bus::payload const& payload)
{
    auto const e = decode_room_event(*payload);
    if (!e)
        return; // not ours
    auto const& a = e->audience;
    auto const sessions = app.sessions.select(a.everyone, a.admins, a.users);
    if (e->kind == 'r')
        evict_audience(app, *e, sessions);
    if (!sessions.empty()) {
        ws::flush_scope one_write_per_session;
        auto const frame = ws::frame::text(e->event); // encoded once for every local recipient
        for (auto const& s : sessions)
            if (auto live = s.session.lock())
                live->send(frame);
    }
    if (e->kind == 'd')
        evict_audience(app, *e, sessions);
}

} // namespace

void room_added(chat_state& app, room_audience const& to, room const& r)
{
    publish(app, to, 'a', r.id, room_frame("room_added", r));
}

void room_updated(chat_state& app, room_audience const& to, room const& r)
{
    publish(app, to, 'u', r.id, room_frame("room_updated", r));
}

void room_removed(chat_state& app, room_audience const& to, std::int64_t room_id)
{
    publish(app, to, 'r', room_id,
            json::serialize(boost::json::object{{"type", "room_removed"}, {"room_id", room_id}}));
}

void room_deleted(chat_state& app, room_audience const& to, std::int64_t room_id)
{
    publish(app, to, 'd', room_id,
            json::serialize(boost::json::object{{"type", "room_removed"}, {"room_id", room_id}}));
}

std::unique_ptr<bus::subscription> subscribe_room_events(std::shared_ptr<chat_state> const& app)
{
    std::weak_ptr<chat_state> weak = app;
    return app->bus->subscribe(room_events_channel,
                               [weak](std::string_view, bus::payload const& p) {
                                   if (auto a = weak.lock())
                                       deliver(*a, p);
                               });
}

} // namespace parley::chat_app
