// SQL text as the store sees it: $N placeholders (PostgreSQL style, rewritten for SQLite).
#include "store/backend.hpp"

#include <algorithm>
#include <cctype>

namespace parley::store {

namespace {

// Calls on_placeholder(position, number) for each $N outside string literals, quoted identifiers
// and comments; throws store::error on a bare '?'.
template <class F> void scan_placeholders(std::string_view sql, F on_placeholder)
{
    std::string_view const out = sql;
    enum class state { code, single_quoted, double_quoted, line_comment, block_comment };
    auto st = state::code;
    for (std::size_t i = 0; i < out.size(); ++i) {
        char const c = out[i];
        char const next = i + 1 < out.size() ? out[i + 1] : '\0';
        switch (st) {
        case state::code:
            if (c == '\'')
                st = state::single_quoted;
            else if (c == '"')
                st = state::double_quoted;
            else if (c == '-' && next == '-')
                st = state::line_comment;
            else if (c == '/' && next == '*') {
                st = state::block_comment;
                ++i;
            } else if (c == '$' && std::isdigit(static_cast<unsigned char>(next))) {
                std::size_t number = 0;
                std::size_t j = i + 1;
                while (j < out.size() && std::isdigit(static_cast<unsigned char>(out[j])))
                    number = std::min<std::size_t>(number * 10 + (out[j++] - '0'), 1'000'000);
                on_placeholder(i, number);
            } else if (c == '?')
                throw error("store: use $1, $2, ... placeholders, not '?': " + std::string(sql));
            break;
        case state::single_quoted: // '' inside a literal leaves and re-enters: still correct
            if (c == '\'')
                st = state::code;
            break;
        case state::double_quoted:
            if (c == '"')
                st = state::code;
            break;
        case state::line_comment:
            if (c == '\n')
                st = state::code;
            break;
        case state::block_comment:
            if (c == '*' && next == '/') {
                st = state::code;
                ++i;
            }
            break;
        }
    }
}

} // namespace

std::string rewrite_placeholders(std::string_view sql)
{
    std::string out(sql);
    // ?NNN: same number, same meaning, same length
    scan_placeholders(sql, [&out](std::size_t at, std::size_t) { out[at] = '?'; });
    return out;
}

std::size_t highest_placeholder(std::string_view sql)
{
    std::size_t highest = 0;
    scan_placeholders(sql,
                      [&highest](std::size_t, std::size_t n) { highest = std::max(highest, n); });
    return highest;
}

} // namespace parley::store
