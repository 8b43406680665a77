#include "frontend/static_files.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

namespace parley::frontend_app {

namespace {

std::optional<std::string> percent_decode(std::string_view in)
{
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size())
            return std::nullopt;
        auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9')
                return c - '0';
            if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
            if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
            return -1;
        };
        int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

std::string etag_of(std::string_view content)
{
    // FNV-1a, 64 bits: a cache validator, not a security measure.
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : content) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    char buf[24];
    std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
    return buf;
}

} // namespace

bool safe_url_path(std::string_view url_path)
{
    auto decoded = percent_decode(url_path);
    if (!decoded)
        return false;
    std::string_view rest = *decoded;
    if (rest.find('\0') != std::string_view::npos || rest.find('\\') != std::string_view::npos)
        return false;
    if (!rest.empty() && rest.front() == '/')
        return false;
    while (!rest.empty()) {
        auto slash = rest.find('/');
        auto segment = rest.substr(0, slash);
        if (segment == ".." || segment == "." ||
            (segment.empty() && slash != std::string_view::npos))
            return false;
        if (slash == std::string_view::npos)
            break;
        rest.remove_prefix(slash + 1);
    }
    return true;
}

std::string_view content_type_for(std::filesystem::path const& file)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> types{{
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
        {".map", "application/json"},
    }};
    auto ext = file.extension().string();
    for (auto const& [e, type] : types)
        if (e == ext)
            return type;
    return "application/octet-stream";
}

std::optional<static_file> read_static_file(std::filesystem::path const& root,
                                            std::string_view url_path)
{
    if (!safe_url_path(url_path))
        return std::nullopt;
    auto decoded = *percent_decode(url_path);
    std::error_code ec;
    auto const base = std::filesystem::canonical(root, ec);
    if (ec)
        return std::nullopt;
    auto const file = std::filesystem::canonical(base / decoded, ec);
    if (ec || !std::filesystem::is_regular_file(file, ec))
        return std::nullopt;
    // Inside the root after resolving symlinks.
    auto const rel = file.lexically_relative(base);
    if (rel.empty() || *rel.begin() == "..")
        return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream content;
    content << in.rdbuf();
    static_file out;
    out.content = std::move(content).str();
    out.content_type = std::string(content_type_for(file));
    out.etag = etag_of(out.content);
    return out;
}

} // namespace parley::frontend_app
