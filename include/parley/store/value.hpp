// SQL values, result rows and the store's exceptions (backend-neutral: SQLite and PostgreSQL).
// See parley/store/database.hpp for how to use the store.
//
//   store::value v = 42;                          // null, int64, double or text; bool -> 0/1
//   auto id   = row.get<std::int64_t>(0);         // typed getters by column index ...
//   auto bio  = row.get<std::optional<std::string>>("bio");   // ... or by column name
//   auto flag = row.get<bool>(3);                 // integer 0/1 (PostgreSQL booleans too)
// A getter of the wrong type (or NULL into a non-optional) throws store::type_error.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace parley::store {

// Any failure of the store: connection, SQL syntax, busy timeout, ...
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A row getter asked for a type the column does not hold (a bug in the caller, not bad input).
class type_error : public error {
public:
    using error::error;
};

enum class constraint_kind { unique, foreign_key, not_null, check, other };

// A constraint violation. kind() == unique for duplicate keys (a handler's 409), so handlers
// never parse messages.
class constraint_error : public error {
public:
    constraint_error(constraint_kind kind, std::string const& message) : error(message), kind_(kind)
    {}
    constraint_kind kind() const noexcept { return kind_; }

private:
    constraint_kind kind_;
};

enum class value_type { null, integer, real, text };

// One SQL value. Text is a byte string: it is stored and read back unchanged (no UTF-8 check).
class value {
public:
    using storage = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

    value() noexcept = default;
    value(std::nullptr_t) noexcept {}
    value(std::nullopt_t) noexcept {}
    value(bool b) noexcept : v_(std::int64_t{b ? 1 : 0}) {}
    template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>) value(T i) : v_(to_int64(i)) {}
    template <std::floating_point T> value(T d) noexcept : v_(static_cast<double>(d)) {}
    value(std::string s) noexcept : v_(std::move(s)) {}
    value(std::string_view s) : v_(std::string(s)) {}
    value(char const* s) : v_(std::string(s)) {}
    template <class T> value(std::optional<T> const& o) : value(o ? value(*o) : value()) {}

    value_type type() const noexcept { return static_cast<value_type>(v_.index()); }
    bool is_null() const noexcept { return v_.index() == 0; }
    storage const& get() const noexcept { return v_; }

    friend bool operator==(value const&, value const&) = default;

private:
    template <class T> static std::int64_t to_int64(T i)
    {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
            if (i > static_cast<T>(std::numeric_limits<std::int64_t>::max()))
                throw std::out_of_range("store::value: unsigned integer exceeds int64 range");
        }
        return static_cast<std::int64_t>(i);
    }

    storage v_;
};

// Bound parameters $1, $2, ... in order: `{user_id, name, std::optional<std::string>{}}`.
using params = std::vector<value>;

char const* to_string(value_type t) noexcept;

namespace detail {

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class> inline constexpr bool dependent_false = false;

[[noreturn]] void throw_type_error(std::size_t index, std::string_view column, char const* wanted,
                                   value const& got);
[[noreturn]] void throw_range_error(std::size_t index, std::string_view column, char const* wanted,
                                    std::int64_t got);

template <class T> T value_as(value const& v, std::size_t index, std::string_view column)
{
    if constexpr (is_optional<T>::value) {
        if (v.is_null())
            return std::nullopt;
        return value_as<typename T::value_type>(v, index, column);
    } else if constexpr (std::same_as<T, value>) {
        return v;
    } else if constexpr (std::same_as<T, bool>) {
        if (auto const* i = std::get_if<std::int64_t>(&v.get()))
            return *i != 0;
        throw_type_error(index, column, "bool (integer 0/1)", v);
    } else if constexpr (std::integral<T>) {
        auto const* i = std::get_if<std::int64_t>(&v.get());
        if (!i)
            throw_type_error(index, column, "integer", v);
        if constexpr (!std::same_as<T, std::int64_t>) {
            if (!std::in_range<T>(*i))
                throw_range_error(index, column, "a narrower integer", *i);
        }
        return static_cast<T>(*i);
    } else if constexpr (std::floating_point<T>) {
        if (auto const* d = std::get_if<double>(&v.get()))
            return static_cast<T>(*d);
        if (auto const* i = std::get_if<std::int64_t>(&v.get())) // SQL may hand back 2.0 as 2
            return static_cast<T>(*i);
        throw_type_error(index, column, "real", v);
    } else if constexpr (std::same_as<T, std::string>) {
        if (auto const* s = std::get_if<std::string>(&v.get()))
            return *s;
        throw_type_error(index, column, "text", v);
    } else {
        static_assert(dependent_false<T>, "row::get<T>: unsupported type");
    }
}

} // namespace detail

// One result row: values by column index, with the column names of the statement.
class row {
public:
    using names = std::shared_ptr<std::vector<std::string> const>;

    row(std::vector<value> values, names columns)
        : values_(std::move(values)), columns_(std::move(columns))
    {}

    std::size_t size() const noexcept { return values_.size(); }
    value const& at(std::size_t index) const; // throws std::out_of_range
    bool is_null(std::size_t index) const { return at(index).is_null(); }
    std::string_view column_name(std::size_t index) const;
    std::size_t index_of(std::string_view column) const; // throws std::out_of_range

    template <class T> T get(std::size_t index) const
    {
        return detail::value_as<T>(at(index), index, column_name(index));
    }
    template <class T> T get(std::string_view column) const { return get<T>(index_of(column)); }

private:
    std::vector<value> values_;
    names columns_;
};

} // namespace parley::store
