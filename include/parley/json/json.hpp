// JSON in and out of described structs, with errors that name the offending field.
//
//   struct create_room_body { std::string name; std::optional<std::string> description; };
//   BOOST_DESCRIBE_STRUCT(create_room_body, (), (name, description))
//   auto body = json::read<create_room_body>(value);  // throws json::read_error
//   boost::json::value out = json::write(body);       // {"name":..., "description":null}
//
// Supported members: std::string, bool, integers, double, std::optional<T> (absent or null when
// read; null when written), std::vector<T>, boost::json::value (anything) and other described
// structs. Written objects have the members in declaration order.
#pragma once

#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/system/result.hpp>
#include <concepts>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace parley::json {

namespace bj = boost::json;

// Invalid JSON text, or a valid document of the wrong shape: what() is a sentence for a client
// ("field 'name' must be a string"); field() is the dotted path, empty for the document.
class read_error : public std::runtime_error {
public:
    read_error(std::string field, std::string const& message)
        : std::runtime_error(message), field_(std::move(field))
    {}
    std::string const& field() const noexcept { return field_; }

private:
    std::string field_;
};

// Parses text into a value; the error is boost::json's (syntax, depth, ...), or exponent_overflow
// for a number too large for a double (Boost.JSON would write it back as `Infinity`, not JSON).
boost::system::result<bj::value> parse(std::string_view text);

// Compact serialisation.
std::string serialize(bj::value const& v);

namespace detail {

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_vector : std::false_type {};
template <class T, class A> struct is_vector<std::vector<T, A>> : std::true_type {};

[[noreturn]] void fail(std::string const& path, std::string_view expected);
std::string join(std::string const& path, std::string_view name);
std::string join(std::string const& path, std::size_t index);

template <class T> T read_at(bj::value const& v, std::string const& path);

template <class T> T read_object(bj::value const& v, std::string const& path)
{
    auto const* object = v.if_object();
    if (!object)
        fail(path, "an object");
    T out{};
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto member) {
            using member_type = std::remove_cvref_t<decltype(out.*member.pointer)>;
            auto const field_path = join(path, member.name);
            auto const* found = object->if_contains(member.name);
            if (!found) {
                if constexpr (is_optional<member_type>::value)
                    return;
                else
                    throw read_error(field_path, "missing field '" + field_path + "'");
            }
            out.*member.pointer = read_at<member_type>(*found, field_path);
        });
    return out;
}

template <class T> T read_at(bj::value const& v, std::string const& path)
{
    if constexpr (std::is_same_v<T, bj::value>) {
        return v;
    } else if constexpr (is_optional<T>::value) {
        if (v.is_null())
            return std::nullopt;
        return read_at<typename T::value_type>(v, path);
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string())
            fail(path, "a string");
        return std::string(v.get_string());
    } else if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_bool())
            fail(path, "true or false");
        return v.get_bool();
    } else if constexpr (std::is_integral_v<T>) {
        boost::system::error_code ec;
        auto n = v.to_number<T>(ec);
        if (ec)
            fail(path, "an integer in range");
        return n;
    } else if constexpr (std::is_floating_point_v<T>) {
        boost::system::error_code ec;
        auto n = v.to_number<T>(ec);
        if (ec)
            fail(path, "a number");
        return n;
    } else if constexpr (is_vector<T>::value) {
        auto const* array = v.if_array();
        if (!array)
            fail(path, "an array");
        T out;
        out.reserve(array->size());
        for (std::size_t i = 0; i < array->size(); ++i)
            out.push_back(read_at<typename T::value_type>((*array)[i], join(path, i)));
        return out;
    } else {
        static_assert(boost::describe::has_describe_members<T>::value,
                      "json::read needs BOOST_DESCRIBE_STRUCT for this type");
        return read_object<T>(v, path);
    }
}

template <class T> bj::value write_at(T const& v)
{
    if constexpr (std::is_same_v<T, bj::value>) {
        return v;
    } else if constexpr (is_optional<T>::value) {
        return v ? write_at(*v) : bj::value(nullptr);
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                         std::is_arithmetic_v<T>) {
        return bj::value(v);
    } else if constexpr (is_vector<T>::value) {
        bj::array out;
        out.reserve(v.size());
        for (auto const& item : v)
            out.push_back(write_at(item));
        return out;
    } else {
        static_assert(boost::describe::has_describe_members<T>::value,
                      "json::write needs BOOST_DESCRIBE_STRUCT for this type");
        bj::object out;
        out.reserve(boost::mp11::mp_size<
                    boost::describe::describe_members<T, boost::describe::mod_public>>::value);
        boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
            [&](auto member) { out.emplace(member.name, write_at(v.*member.pointer)); });
        return out;
    }
}

} // namespace detail

template <class T> T read(bj::value const& v)
{
    return detail::read_at<T>(v, {});
}

// Parses and reads in one step; invalid JSON is a read_error too.
template <class T> T read(std::string_view text)
{
    auto parsed = parse(text);
    if (!parsed)
        throw read_error({}, "body is not valid JSON");
    return read<T>(*parsed);
}

// A described struct as a JSON object (and the other supported types as their JSON values).
template <class T> bj::value write(T const& v)
{
    return detail::write_at(v);
}

} // namespace parley::json
