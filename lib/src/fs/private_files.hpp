// Files that hold secrets or personal data (SQLite databases with password hashes and e-mail
// addresses, token keys) are readable by their owner only: new files 0600, new folders 0700,
// whatever the umask. An existing file or folder Parley owns with looser bits is tightened (its
// group and other bits cleared, logged once per path); one owned by another user is left alone.
#pragma once

#include <filesystem>

namespace parley::fs {

// Creates `dir` and any missing parents; each folder created here is made 0700. Existing folders
// are not changed (a data directory may be a mount point or a folder chosen by the operator).
// Throws std::system_error.
void create_private_directories(std::filesystem::path const& dir);

// Clears the group and other bits of `path` when it exists and belongs to this process's user.
// A missing path is not an error. Throws std::system_error on other failures.
void tighten(std::filesystem::path const& path);

// Creates `file` empty with mode 0600 unless it exists (never following a symlink), and tightens
// it when it does. Throws std::system_error.
void create_private_file(std::filesystem::path const& file);

} // namespace parley::fs
