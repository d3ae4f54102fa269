#include "rlab/files.h"

#include "rlab/error.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <vector>

namespace rlab {

namespace {
// Largest file read_file returns (a pipe may never end).
constexpr std::size_t kMaxReadBytes = std::size_t{1} << 30;
}  // namespace

std::string read_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputError(path + ": cannot read: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw InputError(path + ": cannot read: is a directory");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    throw InputError(path + ": cannot read: is a device, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read: " + std::strerror(errno));
  // Read in blocks up to a limit: a pipe (<(yes)) may never end.
  std::string text;
  // A regular file's size is known: one allocation instead of a string that doubles (and
  // copies itself) as it grows. The size is only a hint; the loop reads to the end either way.
  if (S_ISREG(st.st_mode) && st.st_size > 0 &&
      static_cast<unsigned long long>(st.st_size) <= kMaxReadBytes)
    text.reserve(static_cast<std::size_t>(st.st_size));
  std::vector<char> block(1 << 16);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    text.append(block.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxReadBytes) {
      throw InputError(path + ": cannot read: larger than " + std::to_string(kMaxReadBytes >> 20) +
                       " MiB");
    }
  }
  if (in.bad()) throw InputError(path + ": cannot read: i/o error");
  return text;
}

void write_output(std::ostream& out, const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    out << text;
  } else {
    write_file_atomic(path, text);
  }
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string resolve_beside(const std::string& base_file, const std::string& path) {
  const auto slash = base_file.rfind('/');
  if (slash == std::string::npos || (!path.empty() && path[0] == '/')) return path;
  return base_file.substr(0, slash + 1) + path;
}

std::string absolute_path(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof buf) == nullptr) return path;
  return std::string(buf) + "/" + path;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void append_line_durable(const std::string& path, const std::string& line) {
  make_dirs(dir_of(path));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw_file_error(path + ": cannot open for appending", errno);
  const std::string data = line + "\n";
  const ssize_t n = ::write(fd, data.data(), data.size());
  const bool ok = n == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) throw EnvironmentError(path + ": cannot append: " + std::strerror(saved));
}

namespace {
std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
}  // namespace

void throw_file_error(const std::string& message, int err) {
  const std::string text = message + ": " + std::strerror(err);
  if (err == ENAMETOOLONG || err == ENOTDIR || err == EISDIR || err == ELOOP) {
    throw InputError(text);
  }
  throw EnvironmentError(text);
}

namespace {

// Writes all of `content` to fd, retrying short writes and EINTR; false with errno set on
// failure.
bool write_all(int fd, const std::string& content) {
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

// Writes to something that must not be replaced by a rename, in place.
void write_in_place(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw_file_error(path + ": cannot write", errno);
  if (!write_all(fd, content)) {
    const int saved = errno;
    ::close(fd);
    throw EnvironmentError(path + ": cannot write: " + std::strerror(saved));
  }
  if (::close(fd) != 0 && errno != EINTR)
    throw EnvironmentError(path + ": cannot write: close: " + std::strerror(errno));
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

void write_file_atomic(const std::string& given, const std::string& content) {
  // Renaming a file over /dev/null (as root) would replace the device for every program.
  if (starts_with(given, "/dev/") || starts_with(given, "/proc/")) {
    write_in_place(given, content);
    return;
  }
  std::string path = given;
  struct stat link {};
  if (::lstat(given.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    char* real = ::realpath(given.c_str(), nullptr);  // null: a dangling link is replaced
    if (real != nullptr) {
      path = real;
      std::free(real);
    }
  }
  struct stat target {};
  if (::stat(path.c_str(), &target) == 0 && !S_ISREG(target.st_mode) && !S_ISDIR(target.st_mode)) {
    write_in_place(path, content);
    return;
  }
  // The temporary file lives in the target's directory so that rename() is atomic (same file
  // system); its name starts with '.' and ends in a random suffix from mkstemp.
  std::string tmpl = dir_of(path) + "/." + base_of(path) + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw_file_error(path + ": cannot write", errno);
  const std::string tmp(name.data());
  auto fail = [&](const char* what) {
    const int saved = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw EnvironmentError(path + ": cannot write: " + what + ": " + std::strerror(saved));
  };
  if (!write_all(fd, content)) fail("write");
  // Keep the permissions of the file being replaced; a new file gets 0644 less the umask.
  struct stat st {};
  mode_t mode = 0644;
  if (::stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode &= ~mask;
  }
  if (::fchmod(fd, mode) != 0) fail("chmod");
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    throw EnvironmentError(path + ": cannot write: close: " + std::strerror(saved));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    throw_file_error(path + ": cannot write: rename", saved);
  }
  // Make the rename itself durable.
  const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}
}  // namespace

std::string home_dir() {
  const std::string home = env_or("HOME", "");
  if (!home.empty()) return home;
  // cron and `env -i` start jobs without HOME: the account's own home, never the directory
  // the job happened to start in (a timer started there would be idle everywhere else).
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr && found->pw_dir[0] == '/') {
    return found->pw_dir;
  }
  throw EnvironmentError(
      "no home directory: HOME is not set and user id " + std::to_string(::getuid()) +
      " has no home in the password database; set HOME, RLAB_HOME or the XDG_*_HOME variables");
}

DataDirs data_dirs() {
  const std::string rlab_home = env_or("RLAB_HOME", "");
  if (!rlab_home.empty()) {
    return {rlab_home + "/data", rlab_home + "/cache", rlab_home + "/config"};
  }
  auto dir = [](const char* var, const char* under_home) {
    const std::string v = env_or(var, "");
    return (v.empty() ? home_dir() + under_home : v) + "/rlab";
  };
  return {dir("XDG_DATA_HOME", "/.local/share"), dir("XDG_CACHE_HOME", "/.cache"),
          dir("XDG_CONFIG_HOME", "/.config")};
}

std::string executable_dir() {
  std::vector<char> buf(4096);
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return "";
  return dir_of(std::string(buf.data(), static_cast<std::size_t>(n)));
}

void make_dirs(const std::string& path, unsigned mode) {
  std::string cur;
  std::stringstream ss(path);
  std::string part;
  if (!path.empty() && path[0] == '/') cur = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += part + "/";
    if (::mkdir(cur.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      throw_file_error(cur + ": cannot create directory", errno);
    }
  }
}

}  // namespace rlab
