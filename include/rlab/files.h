// Files and directories: whole-file reads, atomic writes, rlab's data/cache/config dirs.
#pragma once

#include <iosfwd>
#include <string>

namespace rlab {

/// Reads a whole file. Throws InputError "<path>: cannot read: <reason>" (exit 3).
std::string read_file(const std::string& path);

/// Writes `content` to `path` atomically: a temporary file in the same directory, fsync, then
/// rename over `path`. A reader sees the old file or the new one, never a part. On failure
/// the temporary file is removed, `path` is untouched, and the error is that of throw_file_error:
/// InputError (exit 3) when the path itself is wrong, else EnvironmentError (exit 4).
/// A symbolic link to a file is followed: the file is replaced and the link stays. What cannot
/// be replaced is written in place, appending: a device, FIFO or socket (`/dev/null`, a pipe
/// from `>(…)`) and anything under /dev/ or /proc/ (`/dev/stdout` while stdout is a file).
void write_file_atomic(const std::string& path, const std::string& content);

/// A command's result: to `out` when `path` is "" or "-", else to `path` with write_file_atomic.
void write_output(std::ostream& out, const std::string& path, const std::string& text);

/// Throws the error for a file operation that failed with `err` ("<message>: <strerror>"): an
/// InputError (exit 3) when the path itself is wrong (a name longer than the file system
/// takes, a file where a folder is needed or the reverse, a loop of links), else an
/// EnvironmentError (exit 4: disk full, permissions, I/O).
[[noreturn]] void throw_file_error(const std::string& message, int err);

/// The user's home: $HOME, else (cron, `env -i`) the account's home from the password
/// database; EnvironmentError (exit 4) when neither exists. Never the current directory.
std::string home_dir();

/// Where rlab keeps its files: `$RLAB_HOME/{data,cache,config}` when RLAB_HOME is set, else
/// XDG (`$XDG_DATA_HOME/rlab` or ~/.local/share/rlab; `$XDG_CACHE_HOME/rlab` or ~/.cache/rlab;
/// `$XDG_CONFIG_HOME/rlab` or ~/.config/rlab), ~ being home_dir(). Nothing is created here.
struct DataDirs {
  std::string data;
  std::string cache;
  std::string config;
};
DataDirs data_dirs();

/// Directory of the running executable (from /proc/self/exe), "" if unknown.
std::string executable_dir();

/// The folder part of `path`: "a/b.yaml" -> "a", "b.yaml" -> ".", "/b" -> "/".
std::string dir_of(const std::string& path);

/// `path` as seen from the folder of `base_file` (a config file naming other files): an absolute
/// `path`, or a `base_file` without a folder, leaves `path` as it is.
std::string resolve_beside(const std::string& base_file, const std::string& path);

/// `path` against the current folder, not normalised: "a/b" -> "/cwd/a/b". An absolute or empty
/// `path` stays as it is, and so does any `path` when the current folder cannot be read.
std::string absolute_path(const std::string& path);

/// Whether anything (file, folder, device) exists at `path`.
bool path_exists(const std::string& path);

/// Appends `line` and a newline to `path` (created with its missing parent folders, mode 0644)
/// and fsyncs it: a journal line is on disk when this returns. EnvironmentError on failure.
void append_line_durable(const std::string& path, const std::string& line);

/// Creates `path` and its missing parents with `mode` (0755; 0700 for private folders such as
/// the cache); EnvironmentError naming the first component that cannot be created.
void make_dirs(const std::string& path, unsigned mode = 0755);

}  // namespace rlab
