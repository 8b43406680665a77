// Fuzz target: JSON body binding (include/parley/json/json.hpp json::read<T>), the one way every
// handler reads a request body (ctx.json_body<T>()).
//
// Byte 0 picks the struct, the rest is the body. The structs have the shapes the services bind
// (the auth, user and chat bodies, copied here because they are private to their handlers) and
// one with every supported member type. Checks: nothing but json::read_error comes out; a
// read_error names a field that exists in the struct (or the document); a value read
// successfully, written back as JSON and read again, is equal to itself (doubles within 2 ulps).
#include "check.hpp"
#include "parley/json/json.hpp"

#include <boost/describe/class.hpp>
#include <boost/json.hpp>
#include <boost/mp11/algorithm.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace parley;
namespace bj = boost::json;

namespace shapes {

// apps/auth/handlers/accounts.cpp
struct register_body {
    std::optional<std::string> username, email, password;
};
BOOST_DESCRIBE_STRUCT(register_body, (), (username, email, password))

// apps/chat/handlers/rooms.cpp
struct create_room_body {
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::optional<bool> is_private;
};
BOOST_DESCRIBE_STRUCT(create_room_body, (), (name, description, is_private))

// apps/user/handlers/stats.cpp
struct batch_item {
    std::int64_t user_id = 0;
    std::optional<std::int64_t> messages_sent;
    std::optional<std::int64_t> rooms_created;
    std::optional<bool> last_seen;
};
BOOST_DESCRIBE_STRUCT(batch_item, (), (user_id, messages_sent, rooms_created, last_seen))

struct batch_body {
    std::vector<batch_item> increments;
};
BOOST_DESCRIBE_STRUCT(batch_body, (), (increments))

// Every member type json::read supports.
struct inner {
    std::string name;
    std::optional<std::vector<std::int32_t>> numbers;
};
BOOST_DESCRIBE_STRUCT(inner, (), (name, numbers))

struct everything {
    bool flag = false;
    std::int8_t i8 = 0;
    std::uint8_t u8 = 0;
    std::int16_t i16 = 0;
    std::uint32_t u32 = 0;
    std::int64_t i64 = 0;
    std::uint64_t u64 = 0;
    double real = 0;
    std::string text;
    std::optional<std::string> maybe;
    std::vector<std::string> list;
    std::vector<std::vector<bool>> grid;
    std::optional<inner> child;
    std::vector<inner> children;
    bj::value anything;
};
BOOST_DESCRIBE_STRUCT(everything, (),
                      (flag, i8, u8, i16, u32, i64, u64, real, text, maybe, list, grid, child,
                       children, anything))

} // namespace shapes

namespace {

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_vector : std::false_type {};
template <class T> struct is_vector<std::vector<T>> : std::true_type {};

// The JSON a value reads back from (json::read's inverse).
template <class T> bj::value write(T const& v)
{
    if constexpr (std::is_same_v<T, bj::value>) {
        return v;
    } else if constexpr (is_optional<T>::value) {
        return v ? write(*v) : bj::value(nullptr);
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                         std::is_arithmetic_v<T>) {
        return bj::value(v);
    } else if constexpr (is_vector<T>::value) {
        bj::array a;
        for (auto const& item : v)
            a.push_back(write(item));
        return a;
    } else {
        bj::object o;
        boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
            [&](auto member) { o[member.name] = write(v.*member.pointer); });
        return o;
    }
}

// Every dotted path a read_error may name for T ("children[3].name" -> "children.name").
template <class T> void paths(std::string const& prefix, std::vector<std::string>& out)
{
    if constexpr (is_optional<T>::value || is_vector<T>::value) {
        paths<typename T::value_type>(prefix, out);
    } else if constexpr (boost::describe::has_describe_members<T>::value) {
        boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
            [&](auto member) {
                using member_type =
                    std::remove_cvref_t<decltype(std::declval<T>().*member.pointer)>;
                auto const path =
                    prefix.empty() ? std::string(member.name) : prefix + "." + member.name;
                out.push_back(path);
                paths<member_type>(path, out);
            });
    }
}

std::string without_indexes(std::string const& field)
{
    std::string out;
    bool in_index = false;
    for (char c : field) {
        if (c == '[')
            in_index = true;
        else if (c == ']')
            in_index = false;
        else if (!in_index)
            out += c;
    }
    return out;
}

// Equal, but for doubles within 2 ulps: Boost.JSON 1.81 does not always parse decimal text to
// the nearest double (1.5e200 reads as 1.5000000000000001e200, which it then writes and reads
// back as 1.5e200); its correctly rounded mode came in 1.83.
bool near_equal(bj::value const& a, bj::value const& b)
{
    if (a.is_double() && b.is_double()) {
        double x = a.get_double();
        for (int i = 0; i < 2 && x != b.get_double(); ++i)
            x = std::nextafter(x, b.get_double());
        return x == b.get_double();
    }
    if (a.kind() != b.kind())
        return false;
    if (a.is_array()) {
        auto const &x = a.get_array(), &y = b.get_array();
        if (x.size() != y.size())
            return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!near_equal(x[i], y[i]))
                return false;
        return true;
    }
    if (a.is_object()) {
        auto const &x = a.get_object(), &y = b.get_object();
        if (x.size() != y.size())
            return false;
        for (auto const& [key, item] : x) {
            auto const* other = y.if_contains(key);
            if (!other || !near_equal(item, *other))
                return false;
        }
        return true;
    }
    return a == b;
}

template <class T> void read_as(std::string_view body)
{
    T value;
    try {
        value = json::read<T>(body);
    } catch (json::read_error const& e) {
        PARLEY_FUZZ_CHECK(std::string_view(e.what()).size() > 0);
        if (!e.field().empty()) {
            std::vector<std::string> known;
            paths<T>({}, known);
            auto const field = without_indexes(e.field());
            bool found = false;
            for (auto const& k : known)
                found = found || k == field;
            PARLEY_FUZZ_CHECK(found);
        }
        return;
    }
    auto const written = write(value);
    auto const again = json::read<T>(json::serialize(written));
    PARLEY_FUZZ_CHECK(near_equal(write(again), written));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size < 1)
        return 0;
    std::string_view const body(reinterpret_cast<char const*>(data + 1), size - 1);
    switch (data[0] % 4) {
    case 0:
        read_as<shapes::register_body>(body);
        break;
    case 1:
        read_as<shapes::create_room_body>(body);
        break;
    case 2:
        read_as<shapes::batch_body>(body);
        break;
    case 3:
        read_as<shapes::everything>(body);
        break;
    }
    return 0;
}
