// File permission helpers for the tests of what Parley writes to disk (databases, keys).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <sys/stat.h>

namespace parley::test {

// The permission bits of `p` (e.g. 0600).
inline unsigned mode_of(std::filesystem::path const& p)
{
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
        throw std::runtime_error("stat " + p.string() + " failed");
    return st.st_mode & 07777;
}

// The process umask for one test, restored at its end.
struct umask_scope {
    explicit umask_scope(mode_t m) : previous(::umask(m)) {}
    ~umask_scope() { ::umask(previous); }
    mode_t previous;
};

} // namespace parley::test
