#include "fs/private_files.hpp"

#include "parley/log/log.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace parley::fs {

namespace {

std::string octal(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

[[noreturn]] void fail(int error, std::string const& what, std::filesystem::path const& path)
{
    throw std::system_error(error, std::generic_category(), what + " " + path.string());
}

} // namespace

void create_private_directories(std::filesystem::path const& dir)
{
    if (dir.empty())
        return;
    // The missing folders, outermost first.
    std::vector<std::filesystem::path> missing;
    for (auto p = dir; !p.empty(); p = p.parent_path()) {
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0)
            break;
        if (errno != ENOENT)
            fail(errno, "cannot inspect", p);
        missing.push_back(p);
        if (p == p.parent_path())
            break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0700) != 0) {
            if (errno == EEXIST)
                continue; // another process made it meanwhile: leave it as it made it
            fail(errno, "cannot create", *it);
        }
        // mkdir applies the umask, which can only remove bits: 0700 or less. Make it exactly
        // 0700 so that the owner can always use it.
        if (::chmod(it->c_str(), 0700) != 0)
            fail(errno, "cannot set the mode of", *it);
    }
}

void tighten(std::filesystem::path const& path)
{
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return;
        fail(errno, "cannot inspect", path);
    }
    if (S_ISLNK(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) == 0)
        return;
    auto const mode = st.st_mode & 07700;
    if (::chmod(path.c_str(), mode) != 0)
        fail(errno, "cannot set the mode of", path);
    log::warn("tightened the permissions of a data file (it was readable by others)",
              {{"path", path.string()}, {"was", octal(st.st_mode)}, {"now", octal(mode)}});
}

void create_private_file(std::filesystem::path const& file)
{
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::fchmod(fd, 0600); // the umask may have removed owner bits
        ::close(fd);
        return;
    }
    if (errno != EEXIST)
        fail(errno, "cannot create", file);
    tighten(file);
}

} // namespace parley::fs
