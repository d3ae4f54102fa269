// SystemZone: the C library's tz conversions under a temporarily set TZ.
#include "rlab/error.h"
#include "rlab/pomodoro_zone.h"
#include "rlab/text.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <vector>

namespace rlab::pomodoro {

namespace {

std::string tz_dir() {
  const char* d = std::getenv("TZDIR");
  return d != nullptr && *d != '\0' ? d : "/usr/share/zoneinfo";
}

// Sets TZ for the lifetime of the object (empty name: leaves the process's zone alone).
class ScopedTz {
 public:
  explicit ScopedTz(const std::string& name) : active_(!name.empty()) {
    if (!active_) return;
    const char* old = std::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv("TZ", name.c_str(), 1);
    ::tzset();
  }
  ~ScopedTz() {
    if (!active_) return;
    if (had_) {
      ::setenv("TZ", old_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  ScopedTz(const ScopedTz&) = delete;
  ScopedTz& operator=(const ScopedTz&) = delete;

 private:
  bool active_;
  bool had_ = false;
  std::string old_;
};

bool is_tzif(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::string(magic, 4) == "TZif";
}

void list_zones(const std::string& root, const std::string& rel, std::vector<std::string>& out,
                int depth) {
  if (depth > 3) return;
  DIR* d = ::opendir((root + "/" + rel).c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.empty() || n[0] == '.' || n == "posix" || n == "right") continue;
    const std::string r = rel.empty() ? n : rel + "/" + n;
    struct stat st {};
    if (::stat((root + "/" + r).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      list_zones(root, r, out, depth + 1);
    } else if (n[0] >= 'A' && n[0] <= 'Z') {
      out.push_back(r);
    }
  }
  ::closedir(d);
}

}  // namespace

std::string SystemZone::name() const { return name_.empty() ? "local" : name_; }

long long SystemZone::to_utc(const Civil& c) const {
  ScopedTz tz(name_);
  // mktime with tm_isdst = -1 resolves ambiguous times to one of the occurrences and skipped
  // times past the jump; ask for the standard-time reading first for a stable answer.
  std::tm tm{};
  tm.tm_year = c.year - 1900;
  tm.tm_mon = c.month - 1;
  tm.tm_mday = c.day;
  tm.tm_hour = c.hour;
  tm.tm_min = c.minute;
  tm.tm_sec = c.second;
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  // Repeated hour: mktime may pick either; take the earliest UTC instant with this local time.
  const long long local =
      days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  long long best = t;
  for (long long probe : {static_cast<long long>(t) - 3600, static_cast<long long>(t) - 1800}) {
    std::time_t pt = static_cast<std::time_t>(probe);
    std::tm lt{};
    ::localtime_r(&pt, &lt);
    if (probe + lt.tm_gmtoff == local && probe < best) best = probe;
  }
  return best;
}

int SystemZone::offset_at(long long utc) const {
  ScopedTz tz(name_);
  const std::time_t t = static_cast<std::time_t>(utc);
  std::tm lt{};
  ::localtime_r(&t, &lt);
  return static_cast<int>(lt.tm_gmtoff);
}

void check_zone_name(const std::string& name, const std::string& where) {
  if (name == "UTC") return;
  const bool safe = !name.empty() && name[0] != '/' && name.find("..") == std::string::npos &&
                    name.find_first_of(" ,:") == std::string::npos;
  if (safe && is_tzif(tz_dir() + "/" + name)) return;
  std::vector<std::string> zones;
  list_zones(tz_dir(), "", zones, 0);
  throw InputError(where + ": unknown time zone '" + name + "'" + did_you_mean(name, zones) +
                   " (an IANA name such as Europe/Berlin or Asia/Shanghai)");
}

}  // namespace rlab::pomodoro
