#include "parley/store/value.hpp"

#include "parley/store/connection.hpp"

#include <string>

namespace parley::store {

char const* to_string(value_type t) noexcept
{
    switch (t) {
    case value_type::null:
        return "NULL";
    case value_type::integer:
        return "integer";
    case value_type::real:
        return "real";
    case value_type::text:
        return "text";
    }
    return "?";
}

namespace detail {

namespace {
std::string describe(std::size_t index, std::string_view column)
{
    auto s = "column " + std::to_string(index);
    if (!column.empty())
        s.append(" (").append(column).append(")");
    return s;
}
} // namespace

void throw_type_error(std::size_t index, std::string_view column, char const* wanted,
                      value const& got)
{
    auto message =
        "store: " + describe(index, column) + " is " + to_string(got.type()) + ", not " + wanted;
    if (got.is_null())
        message += " (read it as std::optional)";
    throw type_error(message);
}

void throw_range_error(std::size_t index, std::string_view column, char const* wanted,
                       std::int64_t got)
{
    throw type_error("store: " + describe(index, column) + " holds " + std::to_string(got) +
                     ", out of range for " + wanted);
}

} // namespace detail

value const& row::at(std::size_t index) const
{
    if (index >= values_.size())
        throw std::out_of_range("store: column index " + std::to_string(index) +
                                " out of range (row has " + std::to_string(values_.size()) +
                                " columns)");
    return values_[index];
}

std::string_view row::column_name(std::size_t index) const
{
    if (!columns_ || index >= columns_->size())
        return {};
    return (*columns_)[index];
}

std::size_t row::index_of(std::string_view column) const
{
    if (columns_) {
        for (std::size_t i = 0; i < columns_->size(); ++i)
            if ((*columns_)[i] == column)
                return i;
    }
    throw std::out_of_range("store: no column named '" + std::string(column) + "'");
}

std::int64_t connection::insert(std::string_view sql, params const& p)
{
    auto r = do_query_one(sql, p);
    if (!r || r->size() == 0 || r->at(0).type() != value_type::integer)
        throw error("store: insert() needs a statement ending in RETURNING id: " +
                    std::string(sql));
    return r->get<std::int64_t>(0);
}

} // namespace parley::store
