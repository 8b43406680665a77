// Files under one directory, safely: a request path is decoded and checked segment by segment
// (no "..", no NUL or backslash), then resolved and required to stay inside the directory, so
// neither "../" nor a symlink leads out of it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace parley::frontend_app {

struct static_file {
    std::string content;
    std::string content_type;
    std::string etag; // strong, quoted: a hash of the content
};

// The file under `root` for a URL path (percent-encoded, without the leading '/'), or nothing
// when the path is unsafe (nothing is read then) or names no regular file.
// Blocking: call off the I/O threads.
std::optional<static_file> read_static_file(std::filesystem::path const& root,
                                            std::string_view url_path);

// Whether a URL path is acceptable at all (decodes, no dot segments, no NUL or backslash).
bool safe_url_path(std::string_view url_path);

std::string_view content_type_for(std::filesystem::path const& file);

} // namespace parley::frontend_app
