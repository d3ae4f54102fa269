// `rlab pomodoro`: plan a day, run a focus timer from a state file, keep a history in Open
// Pomodoro Format, a mood/energy journal in JSON Lines, and reports/exports over them.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/pomodoro.h"
#include "rlab/pomodoro_zone.h"
#include "rlab/text.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <thread>

extern char** environ;

namespace rlab {

namespace {

using nlohmann::json;
namespace pd = pomodoro;

// ---------------------------------------------------------------------------------------------
// Options of every subcommand (one struct; each subcommand uses its part).

struct Options {
  std::string file;
  // plan
  std::string date;
  bool partial = false;
  std::string ics;
  std::string journal;
  bool no_journal = false;
  std::optional<int> deep_slot;
  std::string output;
  // timer
  std::string task;
  std::string type;
  std::string tags;
  std::optional<double> duration;
  std::optional<double> ago;
  bool wait = false;
  std::string status_format;
  std::optional<double> break_minutes;
  // export / report
  bool export_ics = false;
  bool export_timew = false;
  std::string from;
  std::string to;
  std::string by = "day";
  std::string plan_file;
  // journal
  std::optional<int> mood;
  std::optional<int> energy;
  std::string note;
  std::string at;
  std::optional<int> min_samples;
  std::optional<int> days;
  std::string svg;
};

// ---------------------------------------------------------------------------------------------
// Settings: profiles, hooks, goal (config file section `pomodoro`, all optional).

struct Settings {
  std::map<std::string, pd::Profile> profiles = pd::default_profiles();
  std::map<std::string, std::vector<std::string>> hooks;
  int daily_goal = 8;
  bool notify = true;
  std::string timezone;  // "" = the system's local zone
  std::string timezone_where;
  std::string default_type = "classic";
  int deep_min_samples = 3;
  std::string history_path;
  std::string journal_path;
};

const std::vector<std::string> kKeys = {
    "profiles", "hooks", "daily_goal", "notify", "timezone", "default_type",    "history",
    "journal",  "date",  "window",     "fixed",  "tasks",    "deep_min_samples"};

std::string expand_home(const std::string& p) {
  if (p.size() >= 1 && p[0] == '~' && (p.size() == 1 || p[1] == '/')) {
    return home_dir() + p.substr(1);
  }
  return p;
}

std::string state_dir() { return data_dirs().data + "/pomodoro"; }

pd::Profile read_profile(const ConfigNode& n, pd::Profile base) {
  if (!n.is_map())
    n.fail("'" + n.path() + "' must be a map of work, short_break, long_break, long_break_every");
  n.check_keys({"work", "short_break", "long_break", "long_break_every"});
  if (n.has("work")) base.work = static_cast<int>(n["work"].as_int(1, 600));
  if (n.has("short_break")) base.short_break = static_cast<int>(n["short_break"].as_int(0, 600));
  if (n.has("long_break")) base.long_break = static_cast<int>(n["long_break"].as_int(0, 600));
  if (n.has("long_break_every")) {
    base.long_break_every = static_cast<int>(n["long_break_every"].as_int(1, 100));
  }
  return base;
}

Settings read_settings(const ConfigNode& s) {
  Settings st;
  st.history_path = state_dir() + "/history";
  st.journal_path = state_dir() + "/journal.jsonl";
  if (!s.defined()) return st;
  s.check_keys(kKeys);
  if (s.has("profiles")) {
    const ConfigNode p = s["profiles"];
    if (!p.is_map()) p.fail("'profiles' must be a map of profile name to lengths");
    for (const std::string& name : p.keys()) {
      const auto it = st.profiles.find(name);
      st.profiles[name] =
          read_profile(p[name], it != st.profiles.end() ? it->second : pd::Profile{});
    }
  }
  if (s.has("hooks")) {
    const ConfigNode h = s["hooks"];
    h.check_keys({"on_start", "on_finish", "on_break_end"});
    for (const std::string& k : h.keys()) {
      std::vector<std::string> argv;
      for (const ConfigNode& a : h[k].items()) argv.push_back(a.as_string());
      if (argv.empty() || argv[0].empty()) h[k].fail("'hooks." + k + "' needs a program");
      argv[0] = expand_home(argv[0]);
      st.hooks[k] = argv;
    }
  }
  if (s.has("daily_goal")) st.daily_goal = static_cast<int>(s["daily_goal"].as_int(1, 100));
  if (s.has("notify")) st.notify = s["notify"].as_bool();
  if (s.has("timezone")) {
    st.timezone = s["timezone"].as_string();
    st.timezone_where = s["timezone"].location().str();
    pd::check_zone_name(st.timezone, st.timezone_where);
  }
  if (s.has("deep_min_samples")) {
    st.deep_min_samples = static_cast<int>(s["deep_min_samples"].as_int(1, 1000));
  }
  if (s.has("default_type")) {
    const ConfigNode t = s["default_type"];
    st.default_type = t.as_string();
    if (st.profiles.count(st.default_type) == 0)
      t.fail("unknown task type '" + st.default_type + "'");
  }
  if (s.has("history")) st.history_path = expand_home(s["history"].as_string());
  if (s.has("journal")) st.journal_path = expand_home(s["journal"].as_string());
  return st;
}

// The config: the positional FILE, else --config, else <config dir>/pomodoro.yaml if present.
ConfigNode load_section(const std::string& file, Context& ctx, bool required) {
  std::string path = !file.empty() ? file : ctx.options.config_path;
  if (path.empty()) {
    const std::string def = data_dirs().config + "/pomodoro.yaml";
    struct stat st {};
    if (::stat(def.c_str(), &st) == 0) path = def;
  }
  if (path.empty()) {
    if (required) throw UsageError("pomodoro plan needs a plan file: rlab pomodoro plan FILE");
    return ConfigNode();
  }
  const ConfigNode root = load_config_file(path);
  const ConfigNode section = select_section(root, "pomodoro");
  apply_overrides(section, "pomodoro", ctx.options.sets);
  return section;
}

// ---------------------------------------------------------------------------------------------
// Clock: RLAB_NOW (ISO 8601 or Unix seconds) fixes it.

struct Clock {
  bool fixed = false;
  long long fixed_at = 0;
  [[nodiscard]] long long now() const {
    if (fixed) return fixed_at;
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

Clock make_clock() {
  Clock c;
  const char* v = std::getenv("RLAB_NOW");
  if (v != nullptr && *v != '\0') {
    int off = 0;
    if (!pd::parse_iso(v, &c.fixed_at, &off)) {
      throw UsageError(std::string("RLAB_NOW='") + v +
                       "' is not a timestamp (2025-03-03T09:00:00+08:00 or Unix seconds)");
    }
    c.fixed = true;
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// Files

void make_dirs(const std::string& dir) {
  std::string cur;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    cur = dir.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
      throw_file_error(cur + ": cannot create directory", errno);
    }
  }
}

std::string dir_of(const std::string& path) {
  const auto p = path.rfind('/');
  return p == std::string::npos ? "." : (p == 0 ? "/" : path.substr(0, p));
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void append_line(const std::string& path, const std::string& line) {
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

// Serialises the timer commands: an exclusive flock on <dir>/lock for the object's lifetime.
class DirLock {
 public:
  explicit DirLock(const std::string& dir) {
    make_dirs(dir);
    fd_ = ::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

std::vector<pd::Session> load_history(const Settings& st) {
  if (!exists(st.history_path)) return {};
  return pd::parse_history(read_file(st.history_path), st.history_path);
}

std::vector<pd::Mood> load_journal(const std::string& path) {
  if (!exists(path)) return {};
  return pd::parse_journal(read_file(path), path);
}

std::string state_path() { return state_dir() + "/state.json"; }

std::optional<pd::State> load_state() {
  const std::string p = state_path();
  if (!exists(p)) return std::nullopt;
  return pd::decode_state(read_file(p), p);
}

void clear_state() {
  if (::unlink(state_path().c_str()) != 0 && errno != ENOENT) {
    throw EnvironmentError(state_path() + ": cannot remove: " + std::strerror(errno));
  }
}

// ---------------------------------------------------------------------------------------------
// Hooks and notifications: argv via posix_spawnp, values only in the environment.

int spawn_wait(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
               bool quiet) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  for (const auto& kv : extra_env) env_store.push_back(kv);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  av.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (quiet) posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, av[0], &fa, nullptr, av.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1000 - rc;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "";
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = p.find(':', start);
    const std::string dir =
        p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

struct Runtime {
  Context& ctx;
  Settings st;
  Clock clock;
  std::unique_ptr<pd::Zone> zone;
  int offset_now() const { return zone->offset_at(clock.now()); }
};

void run_hook(Runtime& rt, const std::string& event, const pd::State& s, long long end) {
  const auto it = rt.st.hooks.find(event);
  if (it == rt.st.hooks.end()) return;
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"RLAB_POMODORO_EVENT", event},
      {"RLAB_POMODORO_PHASE", s.phase == pd::Phase::kWork ? "work" : "break"},
      {"RLAB_POMODORO_TASK", s.task},
      {"RLAB_POMODORO_TYPE", s.type},
      {"RLAB_POMODORO_TAGS", join(s.tags, ",")},
      {"RLAB_POMODORO_START", pd::format_iso(s.start, s.offset)},
      {"RLAB_POMODORO_END", pd::format_iso(end, s.offset)},
      {"RLAB_POMODORO_DURATION", std::to_string(s.duration / 60)},
      {"RLAB_POMODORO_DURATION_S", std::to_string(s.duration)},
      {"RLAB_POMODORO_COMPLETED_TODAY",
       std::to_string(pd::completed_on_day(load_history(rt.st), rt.clock.now(), rt.offset_now()))},
      {"RLAB_POMODORO_DAILY_GOAL", std::to_string(rt.st.daily_goal)}};
  std::vector<std::string> env;
  for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
  const int rc = spawn_wait(it->second, env, false);
  if (rc <= -1000) {
    rt.ctx.log.warn("hook " + event + ": cannot run '" + it->second[0] +
                    "': " + std::strerror(-1000 - rc));
  } else if (rc != 0) {
    rt.ctx.log.warn("hook " + event + ": '" + it->second[0] + "' exited with status " +
                    std::to_string(rc));
  }
}

void notify(Runtime& rt, const std::string& title, const std::string& body) {
  if (!rt.st.notify || !on_path("notify-send")) return;
  spawn_wait({"notify-send", "--app-name=rlab", title, body}, {}, true);
}

// ---------------------------------------------------------------------------------------------
// Timer transitions

std::string clock_hm(long long utc, int offset) {
  const pd::Civil c = pd::civil_at(utc, offset);
  char b[16];
  std::snprintf(b, sizeof b, "%02d:%02d", c.hour, c.minute);
  return b;
}

std::string mmss(long long s) {
  if (s < 0) s = 0;
  char b[32];
  std::snprintf(b, sizeof b, "%02lld:%02lld", s / 60, s % 60);
  return b;
}

// Records the running work session (actual length up to `now`, at most the planned one).
pd::Session finish_work(Runtime& rt, const pd::State& s, long long now) {
  pd::Session h;
  h.start = s.start;
  h.offset = s.offset;
  h.seconds = std::max(0LL, std::min(now - s.start, s.duration));
  h.description = s.task;
  h.tags = s.tags;
  h.type = s.type;
  h.completed = now - s.start >= s.duration;
  append_line(rt.st.history_path, pd::format_history_line(h));
  clear_state();
  run_hook(rt, "on_finish", s, s.start + h.seconds);
  return h;
}

// Ends whatever is in the state file when it is over (work is recorded as completed). Returns
// the state still running, if any.
std::optional<pd::State> settle(Runtime& rt) {
  auto s = load_state();
  if (!s) return s;
  const long long now = rt.clock.now();
  if (now < s->start + s->duration) return s;
  if (s->phase == pd::Phase::kWork) {
    finish_work(rt, *s, s->start + s->duration);
    rt.ctx.log.info("recorded the finished session '" + s->task + "'");
  } else {
    clear_state();
    run_hook(rt, "on_break_end", *s, s->start + s->duration);
  }
  return std::nullopt;
}

void wait_for(Runtime& rt, const pd::State& s) {
  const long long end = s.start + s.duration;
  const bool tty = ::isatty(2) == 1;
  if (!rt.clock.fixed) {
    for (;;) {
      const long long now = rt.clock.now();
      if (now >= end) break;
      if (tty) {
        const double frac = std::clamp(double(now - s.start) / double(s.duration), 0.0, 1.0);
        const int width = 30;
        const int filled = static_cast<int>(frac * width);
        rt.ctx.err << "\r" << (s.phase == pd::Phase::kWork ? "work  " : "break ") << "["
                   << std::string(filled, '#') << std::string(width - filled, '-') << "] "
                   << mmss(end - now) << " left " << std::flush;
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min<long long>(1000, (end - now) * 1000)));
      // A state file changed by another rlab (finish, cancel) ends the wait.
      std::optional<pd::State> cur;
      try {
        cur = load_state();
      } catch (const Error&) {
        break;
      }
      if (!cur || cur->start != s.start || cur->phase != s.phase) {
        if (tty) rt.ctx.err << "\n";
        rt.ctx.log.info("the timer was changed by another command; stopped waiting");
        return;
      }
    }
    if (tty) rt.ctx.err << "\r" << std::string(50, ' ') << "\r";
  }
  if (tty) rt.ctx.err << '\a' << std::flush;
  DirLock lock(state_dir());
  const auto cur = load_state();
  if (!cur || cur->start != s.start) return;
  if (s.phase == pd::Phase::kWork) {
    finish_work(rt, s, end);
    notify(rt, "Pomodoro finished",
           s.task.empty() ? "Time for a break" : s.task + ": time for a break");
    rt.ctx.out << "finished '" << s.task << "' at " << clock_hm(end, rt.zone->offset_at(end))
               << "\n";
  } else {
    clear_state();
    run_hook(rt, "on_break_end", s, end);
    notify(rt, "Break over", "Back to work");
    rt.ctx.out << "break over at " << clock_hm(end, rt.zone->offset_at(end)) << "\n";
  }
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      const auto b = cur.find_first_not_of(' ');
      if (b != std::string::npos) out.push_back(cur.substr(b, cur.find_last_not_of(' ') - b + 1));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

const pd::Profile& profile_of(const Runtime& rt, const std::string& type,
                              const std::string& where) {
  const auto it = rt.st.profiles.find(type);
  if (it == rt.st.profiles.end()) {
    std::vector<std::string> names;
    for (const auto& [n, p] : rt.st.profiles) names.push_back(n);
    throw InputError(where + ": unknown task type '" + type + "'" + did_you_mean(type, names) +
                     " (profiles: " + join(names, ", ") + ")");
  }
  return it->second;
}

void print_state_line(Runtime& rt, const pd::State& s, const char* verb) {
  const long long end = s.start + s.duration;
  std::string what = s.phase == pd::Phase::kWork
                         ? "'" + s.task + "'" + (s.type.empty() ? "" : " (" + s.type + ")")
                         : std::string(s.long_break ? "long break" : "break");
  const std::string length =
      s.duration % 60 == 0 ? std::to_string(s.duration / 60) + " min" : mmss(s.duration);
  rt.ctx.out << verb << " " << what << ": " << length << ", " << clock_hm(s.start, s.offset) << "-"
             << clock_hm(end, s.offset) << "\n";
}

ExitCode start_state(Runtime& rt, pd::State s, bool wait) {
  {
    DirLock lock(state_dir());
    auto running = settle(rt);
    if (running) {
      if (running->phase == pd::Phase::kWork) {
        const long long left = running->start + running->duration - rt.clock.now();
        InputError e("a pomodoro is already running: '" + running->task + "' started " +
                     clock_hm(running->start, running->offset) + ", " + mmss(left) + " left");
        e.add_note("finish it (rlab pomodoro finish) or cancel it (rlab pomodoro cancel) first");
        throw e;
      }
      clear_state();  // starting work ends a break early
      run_hook(rt, "on_break_end", *running, rt.clock.now());
    }
    write_file_atomic(state_path(), pd::encode_state(s));
    run_hook(rt, "on_start", s, s.start + s.duration);
  }
  print_state_line(rt, s, "started");
  if (wait) wait_for(rt, s);
  return ExitCode::kSuccess;
}

ExitCode run_start(const Options& o, Runtime& rt, bool repeat) {
  pd::State s;
  s.phase = pd::Phase::kWork;
  const long long now = rt.clock.now();
  s.task = o.task;
  s.type = o.type;
  s.tags = split_commas(o.tags);
  if (repeat) {
    const auto h = load_history(rt.st);
    if (h.empty()) throw InputError(rt.st.history_path + ": no session to repeat");
    const pd::Session& last = h.back();
    if (s.task.empty()) s.task = last.description;
    if (s.type.empty()) s.type = last.type;
    if (s.tags.empty()) s.tags = last.tags;
  }
  if (s.type.empty()) s.type = rt.st.default_type;
  const pd::Profile& p = profile_of(rt, s.type, "--type " + s.type);
  const double minutes = o.duration ? *o.duration : p.work;
  s.duration = static_cast<long long>(minutes * 60 + 0.5);
  s.start = now - (o.ago ? static_cast<long long>(*o.ago * 60 + 0.5) : 0);
  s.offset = rt.zone->offset_at(s.start);
  return start_state(rt, s, o.wait);
}

ExitCode run_break(const Options& o, Runtime& rt) {
  pd::State b;
  {
    DirLock lock(state_dir());
    auto running = settle(rt);
    const long long now = rt.clock.now();
    std::string type = rt.st.default_type;
    if (running && running->phase == pd::Phase::kWork) {
      finish_work(rt, *running, now);
      type = running->type;
    } else if (running) {
      clear_state();
    } else {
      const auto h = load_history(rt.st);
      if (!h.empty() && !h.back().type.empty()) type = h.back().type;
    }
    const auto pit = rt.st.profiles.find(type);
    const pd::Profile p = pit != rt.st.profiles.end() ? pit->second : pd::Profile{};
    b.phase = pd::Phase::kBreak;
    b.type = type;
    b.start = now;
    b.offset = rt.zone->offset_at(now);
    b.long_break = pd::next_break_is_long(load_history(rt.st), now, b.offset, p.long_break_every);
    const double minutes =
        o.break_minutes ? *o.break_minutes : (b.long_break ? p.long_break : p.short_break);
    b.duration = std::max(1LL, static_cast<long long>(minutes * 60 + 0.5));
    write_file_atomic(state_path(), pd::encode_state(b));
  }
  print_state_line(rt, b, "started");
  if (o.wait) wait_for(rt, b);
  return ExitCode::kSuccess;
}

ExitCode run_finish(Runtime& rt) {
  DirLock lock(state_dir());
  auto s = load_state();
  if (!s) {
    rt.ctx.log.warn("no pomodoro is running");
    return ExitCode::kNo;
  }
  const long long now = rt.clock.now();
  if (s->phase == pd::Phase::kWork) {
    const pd::Session h = finish_work(rt, *s, now);
    rt.ctx.out << "finished '" << s->task << "': " << mmss(h.seconds)
               << (h.completed ? " (completed)" : " (ended early)") << "\n";
  } else {
    clear_state();
    run_hook(rt, "on_break_end", *s, std::min(now, s->start + s->duration));
    rt.ctx.out << "break ended\n";
  }
  return ExitCode::kSuccess;
}

ExitCode run_cancel(Runtime& rt) {
  DirLock lock(state_dir());
  auto s = load_state();
  if (!s) {
    rt.ctx.log.warn("no pomodoro is running");
    return ExitCode::kNo;
  }
  clear_state();
  rt.ctx.out << "cancelled " << (s->phase == pd::Phase::kWork ? "'" + s->task + "'" : "the break")
             << " (not recorded)\n";
  return ExitCode::kSuccess;
}

ExitCode run_status(const Options& o, Runtime& rt) {
  const auto s = load_state();
  const long long now = rt.clock.now();
  pd::StatusView v;
  v.now = now;
  v.daily_goal = rt.st.daily_goal;
  v.completed_today = pd::completed_on_day(load_history(rt.st), now, rt.offset_now());
  if (s) {
    v.active = true;
    v.state = *s;
    // A finished-but-unrecorded work session counts as completed today.
    if (s->phase == pd::Phase::kWork && now >= s->start + s->duration) ++v.completed_today;
  }
  std::string fmt = o.status_format;
  Format out_format = rt.ctx.options.format;
  if (!fmt.empty()) {
    try {
      out_format = parse_format(fmt);
      fmt.clear();
    } catch (const UsageError&) {
      // a template
    }
  }
  if (!fmt.empty()) {
    const std::string line = pd::format_status(fmt, v);
    if (!line.empty()) rt.ctx.out << line << "\n";
    return ExitCode::kSuccess;
  }
  require_format(out_format, {Format::kTable, Format::kJson}, "pomodoro status");
  if (out_format == Format::kJson) {
    json j;
    j["state"] = !s ? "idle" : s->phase == pd::Phase::kWork ? "work" : "break";
    j["completed_today"] = v.completed_today;
    j["daily_goal"] = v.daily_goal;
    if (s) {
      const long long end = s->start + s->duration;
      j["task"] = s->task;
      j["type"] = s->type;
      j["tags"] = s->tags;
      j["long_break"] = s->long_break;
      j["start"] = pd::format_iso(s->start, s->offset);
      j["end"] = pd::format_iso(end, s->offset);
      j["duration_s"] = s->duration;
      // A clock set back before the start shows a session not yet begun, not negative time.
      j["elapsed_s"] = std::clamp(now - s->start, 0LL, s->duration);
      j["remaining_s"] = std::clamp(end - now, 0LL, s->duration);
      j["over"] = now >= end;
    }
    rt.ctx.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return ExitCode::kSuccess;
  }
  if (!s) {
    rt.ctx.out << "idle; " << v.completed_today << "/" << v.daily_goal << " completed today\n";
    return ExitCode::kSuccess;
  }
  const long long end = s->start + s->duration;
  const std::string what = s->phase == pd::Phase::kWork
                               ? "work '" + s->task + "' (" + s->type + ")"
                               : std::string(s->long_break ? "long break" : "break");
  if (now >= end) {
    rt.ctx.out << what << ": time is up since " << clock_hm(end, s->offset) << " (rlab pomodoro "
               << (s->phase == pd::Phase::kWork ? "finish" : "start") << ")";
  } else {
    rt.ctx.out << what << ": " << mmss(end - now) << " left, ends " << clock_hm(end, s->offset);
  }
  rt.ctx.out << "; " << v.completed_today << "/" << v.daily_goal << " completed today\n";
  return ExitCode::kSuccess;
}

// ---------------------------------------------------------------------------------------------
// Plan

struct PlanInput {
  pd::DayPlanInput in;
  std::string date;
  std::string tz;
  std::vector<std::vector<std::string>> task_tags;
  std::string where;
};

int read_clock(const ConfigNode& n) {
  const std::string s = n.as_string();
  const auto m = pd::parse_clock(s);
  if (!m) n.fail("'" + n.path() + "' must be a time HH:MM, got '" + s + "'");
  return *m;
}

PlanInput read_plan(const ConfigNode& s, const Settings& st, const Options& o, const Runtime& rt) {
  PlanInput p;
  p.in.profiles = st.profiles;
  p.where = s.location().str();
  p.tz = st.timezone;
  if (!o.date.empty()) {
    const auto d = pd::parse_date(o.date);
    if (!d) throw UsageError("--date must be YYYY-MM-DD, got '" + o.date + "'");
    p.in.day = *d;
  } else if (s.has("date")) {
    p.in.day = *pd::parse_date(s["date"].as_date());
  } else {
    const long long now = rt.clock.now();
    const int off = rt.zone->offset_at(now);
    const long long local = now + off;
    p.in.day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  }
  p.date = pd::format_date(p.in.day);
  if (s.has("window")) {
    const ConfigNode w = s["window"];
    if (!w.is_sequence() || w.size() != 2) w.fail("'window' must be [\"HH:MM\", \"HH:MM\"]");
    p.in.window_start = read_clock(w.at(0));
    p.in.window_end = read_clock(w.at(1));
    if (p.in.window_end <= p.in.window_start) w.fail("'window' must end after it starts");
  }
  if (s.has("fixed")) {
    for (const ConfigNode& f : s["fixed"].items()) {
      if (!f.is_map()) f.fail("'" + f.path() + "' must be a map with title, start, end");
      f.check_keys({"title", "start", "end"});
      pd::FixedBlock b;
      b.title = f.get("title", std::string("busy"));
      b.start_min = read_clock(f.required("start"));
      b.end_min = read_clock(f.required("end"));
      b.where = f.location().str();
      p.in.fixed.push_back(b);
    }
  }
  const ConfigNode tasks = s.required("tasks");
  for (const ConfigNode& t : tasks.items()) {
    if (!t.is_map()) t.fail("'" + t.path() + "' must be a map with a title");
    t.check_keys({"title", "type", "sessions", "priority", "deep", "tags"});
    pd::Task task;
    task.title = t.required("title").as_string();
    task.type = t.get("type", st.default_type);
    task.where = (t.has("type") ? t["type"] : t).location().str();
    if (t.has("sessions")) task.sessions = static_cast<int>(t["sessions"].as_int(1, 50));
    if (t.has("priority")) task.priority = static_cast<int>(t["priority"].as_int(1, 100));
    if (t.has("deep")) task.deep = t["deep"].as_bool();
    for (const ConfigNode& g : t["tags"].items()) task.tags.push_back(g.as_string());
    if (t.has("type") && st.profiles.count(task.type) == 0) {
      std::vector<std::string> names;
      for (const auto& [n, pr] : st.profiles) names.push_back(n);
      t["type"].fail("unknown task type '" + task.type + "'" + did_you_mean(task.type, names) +
                     " (profiles: " + join(names, ", ") + ")");
    }
    task.where = t.location().str();
    p.in.tasks.push_back(task);
  }
  return p;
}

std::string local_hm(long long t, const pd::Zone& z) { return clock_hm(t, z.offset_at(t)); }

std::string slot_text(int h) {
  char b[32];
  std::snprintf(b, sizeof b, "%02d:00-%02d:00", h, h + 2);
  return b;
}

ExitCode run_plan(const Options& o, Runtime& rt, const ConfigNode& s) {
  require_format(rt.ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "pomodoro plan");
  PlanInput p = read_plan(s, rt.st, o, rt);
  std::unique_ptr<pd::Zone> zone;
  if (p.tz.empty()) {
    zone = std::make_unique<pd::SystemZone>("");
  } else {
    zone = std::make_unique<pd::SystemZone>(p.tz);
  }
  // Deep work goes to the best energy slot when the journal has enough samples.
  std::string deep_note;
  if (o.deep_slot) {
    if (*o.deep_slot < 0 || *o.deep_slot > 22 || *o.deep_slot % 2 != 0) {
      throw UsageError("--deep-slot must be an even hour 0-22, got " +
                       std::to_string(*o.deep_slot));
    }
    p.in.deep_slot = *o.deep_slot;
    deep_note = "given by --deep-slot";
  } else if (!o.no_journal) {
    const std::string jp = o.journal.empty() ? rt.st.journal_path : o.journal;
    const auto a = pd::energy_slots(load_journal(jp), rt.st.deep_min_samples);
    if (a.best) {
      p.in.deep_slot = a.slots[*a.best].start_hour;
      deep_note = "best mean energy in the journal";
    } else {
      deep_note = "journal: " + (exists(jp) ? a.reason : std::string("no entries"));
    }
  }
  const pd::DayPlan plan = pd::plan_day(p.in, *zone);
  for (const auto& w : plan.warnings) rt.ctx.log.warn(w);
  if (!plan.unfit.empty()) {
    std::vector<std::string> lines;
    for (const auto& u : plan.unfit) {
      const pd::Task& t = p.in.tasks[u.task];
      lines.push_back(t.where + ": task '" + t.title +
                      "' does not fit: " + std::to_string(u.missing) + " of " +
                      std::to_string(u.requested) + " sessions unscheduled (" + u.reason + ")");
    }
    if (!o.partial) {
      InputError e(lines[0]);
      for (std::size_t k = 1; k < lines.size(); ++k) e.add_error(lines[k]);
      e.add_note(std::to_string(plan.free_minutes) +
                 " free minutes are left in the window; lengthen it, drop sessions, or use "
                 "--partial to print the schedule of what fits");
      throw e;
    }
    for (const auto& l : lines) rt.ctx.log.warn(l);
  }
  const std::string tz_name = p.tz.empty() ? "local" : p.tz;

  if (!o.ics.empty()) {
    std::vector<pd::Event> events;
    int n = 0;
    for (const pd::Block& b : plan.blocks) {
      pd::Event e;
      e.start = b.start;
      e.end = b.end;
      ++n;
      if (b.kind == pd::BlockKind::kWork) {
        e.summary =
            "🍅 " + b.title + " (" + std::to_string(b.session) + "/" + std::to_string(b.of) + ")";
        e.description = "type: " + b.type + (b.deep ? "; deep work" : "");
        e.categories = p.in.tasks[b.task].tags;
        e.categories.insert(e.categories.begin(), b.type);
      } else if (b.kind == pd::BlockKind::kFixed) {
        e.summary = b.title;
      } else {
        e.summary = b.kind == pd::BlockKind::kLongBreak ? "Long break" : "Break";
      }
      e.uid = pd::make_uid(p.date + "|" + std::to_string(n) + "|" + e.summary);
      events.push_back(e);
    }
    const std::string text = pd::to_ics(events, rt.clock.now());
    if (o.ics == "-") {
      rt.ctx.out << text;
      return ExitCode::kSuccess;
    }
    write_file_atomic(o.ics, text);
    rt.ctx.log.info("wrote " + o.ics);
  }

  std::string text;
  if (rt.ctx.options.format == Format::kJson) {
    json j;
    j["date"] = p.date;
    j["timezone"] = tz_name;
    j["window"] = {{"start", pd::format_iso(plan.window_start, zone->offset_at(plan.window_start))},
                   {"end", pd::format_iso(plan.window_end, zone->offset_at(plan.window_end))}};
    j["deep_slot"] = plan.deep_slot ? json(slot_text(*plan.deep_slot)) : json(nullptr);
    j["deep_slot_source"] = deep_note;
    json blocks = json::array();
    for (const pd::Block& b : plan.blocks) {
      json x;
      x["kind"] = pd::block_kind_name(b.kind);
      x["title"] = b.title;
      x["type"] = b.kind == pd::BlockKind::kFixed ? json(nullptr) : json(b.type);
      x["session"] = b.kind == pd::BlockKind::kWork ? json(b.session) : json(nullptr);
      x["of"] = b.kind == pd::BlockKind::kWork ? json(b.of) : json(nullptr);
      x["start"] = pd::format_iso(b.start, zone->offset_at(b.start));
      x["end"] = pd::format_iso(b.end, zone->offset_at(b.end));
      x["minutes"] = (b.end - b.start) / 60;
      x["deep"] = b.deep;
      x["shortened"] = b.shortened;
      blocks.push_back(x);
    }
    j["blocks"] = blocks;
    json un = json::array();
    for (const auto& u : plan.unfit) {
      const pd::Task& t = p.in.tasks[u.task];
      un.push_back({{"title", t.title},
                    {"type", t.type},
                    {"missing", u.missing},
                    {"requested", u.requested},
                    {"reason", u.reason}});
    }
    j["unscheduled"] = un;
    j["totals"] = {{"work_minutes", plan.work_minutes},
                   {"break_minutes", plan.break_minutes},
                   {"free_minutes", plan.free_minutes}};
    j["warnings"] = plan.warnings;
    text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    Table t;
    t.headers = {"start", "end", "min", "kind", "title", "type", "session", "note"};
    t.numeric_columns = {2};
    for (const pd::Block& b : plan.blocks) {
      std::string note;
      if (b.deep) note = "deep";
      if (b.shortened) note = "shortened";
      t.rows.push_back(
          {local_hm(b.start, *zone), local_hm(b.end, *zone), std::to_string((b.end - b.start) / 60),
           pd::block_kind_name(b.kind), b.title, b.kind == pd::BlockKind::kFixed ? "" : b.type,
           b.kind == pd::BlockKind::kWork ? std::to_string(b.session) + "/" + std::to_string(b.of)
                                          : "",
           note});
    }
    text = render(t, rt.ctx.options.format);
    if (rt.ctx.options.format != Format::kCsv) {
      const char* bullet = rt.ctx.options.format == Format::kMd ? "- " : "";
      text += "\n";
      text += std::string(bullet) + "date: " + p.date + " (" + tz_name + "), window " +
              local_hm(plan.window_start, *zone) + "-" + local_hm(plan.window_end, *zone) + "\n";
      text += std::string(bullet) + "work " + std::to_string(plan.work_minutes) + " min, breaks " +
              std::to_string(plan.break_minutes) + " min, free " +
              std::to_string(plan.free_minutes) + " min\n";
      text += std::string(bullet) + "deep-work slot: " +
              (plan.deep_slot ? slot_text(*plan.deep_slot) : std::string("none")) + " (" +
              deep_note + ")\n";
      for (const auto& u : plan.unfit) {
        text += std::string(bullet) + "unscheduled: " + p.in.tasks[u.task].title + " (" +
                std::to_string(u.missing) + " of " + std::to_string(u.requested) + ")\n";
      }
    }
  }
  if (o.output.empty() || o.output == "-") {
    if (o.ics != "-") rt.ctx.out << text;
  } else {
    write_file_atomic(o.output, text);
  }
  return ExitCode::kSuccess;
}

// ---------------------------------------------------------------------------------------------
// Reports and export

std::optional<long long> opt_date(const std::string& s, const char* flag) {
  if (s.empty()) return std::nullopt;
  const auto d = pd::parse_date(s);
  if (!d) throw UsageError(std::string(flag) + " must be YYYY-MM-DD, got '" + s + "'");
  return d;
}

long long local_day(long long utc, int offset) {
  const long long l = utc + offset;
  return l >= 0 ? l / 86400 : (l - 86399) / 86400;
}

std::vector<pd::Session> filtered_history(const Options& o, Runtime& rt) {
  const auto from = opt_date(o.from, "--from");
  const auto to = opt_date(o.to, "--to");
  std::vector<pd::Session> out;
  for (const auto& s : load_history(rt.st)) {
    const long long d = local_day(s.start, s.offset);
    if ((from && d < *from) || (to && d > *to)) continue;
    out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const pd::Session& a, const pd::Session& b) { return a.start < b.start; });
  return out;
}

std::string week_name(long long day) {
  const auto [y, w] = pd::iso_week(day);
  char b[16];
  std::snprintf(b, sizeof b, "%04d-W%02d", y, w);
  return b;
}

ExitCode run_export(const Options& o, Runtime& rt) {
  if (o.export_ics == o.export_timew)
    throw UsageError("pomodoro export needs one of --ics or --timewarrior");
  const auto sessions = filtered_history(o, rt);
  std::string text;
  if (o.export_ics) {
    std::vector<pd::Event> events;
    for (const auto& s : sessions) {
      pd::Event e;
      e.start = s.start;
      e.end = s.start + s.seconds;
      e.summary = s.description.empty() ? "Pomodoro" : s.description;
      e.description = (s.type.empty() ? std::string() : "type: " + s.type + "; ") +
                      (s.completed ? "completed" : "ended early");
      e.categories = s.tags;
      e.uid = pd::make_uid(pd::format_iso(s.start, 0) + "|" + s.description);
      events.push_back(e);
    }
    text = pd::to_ics(events, rt.clock.now());
  } else {
    // Timewarrior's export: intervals sorted by start; @1 is the most recent.
    json a = json::array();
    const int n = static_cast<int>(sessions.size());
    for (int i = 0; i < n; ++i) {
      const auto& s = sessions[i];
      json x;
      x["id"] = n - i;
      x["start"] = pd::format_utc_basic(s.start);
      x["end"] = pd::format_utc_basic(s.start + s.seconds);
      std::vector<std::string> tags = s.tags;
      if (!s.type.empty() && std::find(tags.begin(), tags.end(), s.type) == tags.end()) {
        tags.push_back(s.type);
      }
      x["tags"] = tags;
      if (!s.description.empty()) x["annotation"] = s.description;
      a.push_back(x);
    }
    text = a.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (o.output.empty() || o.output == "-") {
    rt.ctx.out << text;
  } else {
    write_file_atomic(o.output, text);
  }
  return ExitCode::kSuccess;
}

ExitCode run_report(const Options& o, Runtime& rt) {
  require_format(rt.ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "pomodoro report");
  struct Row {
    int done = 0;
    int partial = 0;
    long long seconds = 0;
    int planned = 0;
    long long planned_minutes = 0;
  };
  std::map<std::string, Row> rows;
  auto keys_of = [&](long long day, const std::string& type, const std::vector<std::string>& tags) {
    std::vector<std::string> k;
    if (o.by == "day") k.push_back(pd::format_date(day));
    if (o.by == "week") k.push_back(week_name(day));
    if (o.by == "type") k.push_back(type.empty() ? "(none)" : type);
    if (o.by == "tag") {
      k = tags;
      if (k.empty()) k.push_back("(none)");
    }
    return k;
  };
  for (const auto& s : filtered_history(o, rt)) {
    for (const auto& k : keys_of(local_day(s.start, s.offset), s.type, s.tags)) {
      Row& r = rows[k];
      (s.completed ? r.done : r.partial) += 1;
      r.seconds += s.seconds;
    }
  }
  if (!o.plan_file.empty()) {
    Options po = o;
    const ConfigNode sec = load_section(o.plan_file, rt.ctx, true);
    const Settings pst = read_settings(sec);
    Runtime prt{rt.ctx, pst, rt.clock, std::make_unique<pd::SystemZone>(pst.timezone)};
    PlanInput p = read_plan(sec, pst, po, prt);
    for (const auto& t : p.in.tasks) {
      const auto pit = pst.profiles.find(t.type);
      if (pit == pst.profiles.end()) continue;
      for (const auto& k : keys_of(p.in.day, t.type, t.tags)) {
        rows[k].planned += t.sessions;
        rows[k].planned_minutes += static_cast<long long>(t.sessions) * pit->second.work;
      }
    }
  }
  const bool with_plan = !o.plan_file.empty();
  if (rt.ctx.options.format == Format::kJson) {
    json a = json::array();
    for (const auto& [k, r] : rows) {
      json x = {{o.by, k},
                {"completed", r.done},
                {"ended_early", r.partial},
                {"minutes", static_cast<double>(r.seconds) / 60.0}};
      if (with_plan) {
        x["planned_sessions"] = r.planned;
        x["planned_minutes"] = r.planned_minutes;
      }
      a.push_back(x);
    }
    rt.ctx.out << json{{"by", o.by}, {"rows", a}}.dump(2, ' ', false,
                                                       nlohmann::json::error_handler_t::replace)
               << "\n";
    return ExitCode::kSuccess;
  }
  Table t;
  t.headers = {o.by, "completed", "ended_early", "minutes"};
  t.numeric_columns = {1, 2, 3};
  if (with_plan) {
    t.headers.insert(t.headers.end(), {"planned", "planned_minutes", "done_%"});
    t.numeric_columns.insert(t.numeric_columns.end(), {4, 5, 6});
  }
  for (const auto& [k, r] : rows) {
    std::vector<std::string> row = {k, std::to_string(r.done), std::to_string(r.partial),
                                    format_fixed(static_cast<double>(r.seconds) / 60.0, 1)};
    if (with_plan) {
      row.push_back(std::to_string(r.planned));
      row.push_back(std::to_string(r.planned_minutes));
      row.push_back(r.planned > 0 ? format_fixed(100.0 * r.done / r.planned, 0) : "-");
    }
    t.rows.push_back(row);
  }
  rt.ctx.out << render(t, rt.ctx.options.format);
  return ExitCode::kSuccess;
}

// ---------------------------------------------------------------------------------------------
// Journal

ExitCode run_journal_add(const Options& o, Runtime& rt) {
  if (!o.mood || !o.energy) throw UsageError("journal add needs --mood N and --energy N (1-10)");
  for (const auto& [flag, v] :
       {std::pair<const char*, int>{"--mood", *o.mood}, {"--energy", *o.energy}}) {
    if (v < 1 || v > 10) {
      throw InputError(std::string(flag) + " " + std::to_string(v) +
                       ": must be an integer from 1 to 10 (1 = lowest, 10 = highest)");
    }
  }
  pd::Mood m;
  m.mood = *o.mood;
  m.energy = *o.energy;
  m.note = o.note;
  if (!o.at.empty()) {
    if (!pd::parse_iso(o.at, &m.ts, &m.offset)) {
      throw UsageError("--at must be an ISO 8601 time with UTC offset, got '" + o.at + "'");
    }
  } else {
    m.ts = rt.clock.now();
    m.offset = rt.zone->offset_at(m.ts);
  }
  const std::string path = o.journal.empty() ? rt.st.journal_path : o.journal;
  const std::string line = pd::encode_mood(m);
  append_line(path, line);
  if (rt.ctx.options.format == Format::kJson) {
    rt.ctx.out << json::parse(line).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
               << "\n";
  } else {
    rt.ctx.out << "recorded mood " << m.mood << ", energy " << m.energy << " at "
               << pd::format_iso(m.ts, m.offset) << "\n";
  }
  return ExitCode::kSuccess;
}

ExitCode run_journal_week(const Options& o, Runtime& rt) {
  require_format(rt.ctx.options.format, {Format::kTable, Format::kJson, Format::kMd},
                 "pomodoro journal week");
  const std::string path = o.journal.empty() ? rt.st.journal_path : o.journal;
  const auto entries = load_journal(path);
  long long day = 0;
  if (!o.date.empty()) {
    day = *opt_date(o.date, "--date");
  } else {
    const long long now = rt.clock.now();
    day = local_day(now, rt.zone->offset_at(now));
  }
  const pd::WeekSummary w = pd::summarize_week(entries, day);
  const std::string name = week_name(day);
  if (rt.ctx.options.format == Format::kJson) {
    json j = {{"week", name},
              {"from", pd::format_date(w.first_day)},
              {"to", pd::format_date(w.first_day + 6)},
              {"samples", w.samples},
              {"mood", w.samples > 0 ? json(w.mood) : json(nullptr)},
              {"energy", w.samples > 0 ? json(w.energy) : json(nullptr)},
              {"warnings", w.warnings}};
    rt.ctx.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return ExitCode::kSuccess;
  }
  const char* b = rt.ctx.options.format == Format::kMd ? "- " : "";
  rt.ctx.out << b << "week " << name << " (" << pd::format_date(w.first_day) << " to "
             << pd::format_date(w.first_day + 6) << "): " << w.samples << " entries\n";
  if (w.samples > 0) {
    rt.ctx.out << b << "mood average " << format_fixed(w.mood, 2) << ", energy average "
               << format_fixed(w.energy, 2) << " (scale 1-10)\n";
  }
  for (const auto& x : w.warnings) rt.ctx.out << b << "warning: " << x << "\n";
  return ExitCode::kSuccess;
}

ExitCode run_journal_slots(const Options& o, Runtime& rt) {
  require_format(rt.ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "pomodoro journal slots");
  const std::string path = o.journal.empty() ? rt.st.journal_path : o.journal;
  auto entries = load_journal(path);
  if (o.days) {
    if (*o.days < 1) throw UsageError("--days must be at least 1");
    const long long now = rt.clock.now();
    const long long today = local_day(now, rt.zone->offset_at(now));
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const pd::Mood& m) {
                                   const long long d = local_day(m.ts, m.offset);
                                   return d <= today - *o.days || d > today;
                                 }),
                  entries.end());
  }
  const int k = o.min_samples ? *o.min_samples : rt.st.deep_min_samples;
  if (k < 1) throw UsageError("--min-samples must be at least 1");
  const pd::SlotAnalysis a = pd::energy_slots(entries, k);
  if (!o.svg.empty()) {
    write_file_atomic(o.svg, pd::slots_svg(a, "Mean energy per 2-hour slot (" +
                                                  std::to_string(entries.size()) + " entries)"));
  }
  if (rt.ctx.options.format == Format::kJson) {
    json s = json::array();
    for (const auto& sl : a.slots) {
      s.push_back({{"slot", slot_text(sl.start_hour)},
                   {"start_hour", sl.start_hour},
                   {"samples", sl.samples},
                   {"mean", sl.samples > 0 ? json(sl.mean) : json(nullptr)},
                   {"sd", sl.samples > 1 ? json(sl.sd) : json(nullptr)}});
    }
    json j = {{"entries", entries.size()},
              {"min_samples", k},
              {"slots", s},
              {"best", a.best ? json(slot_text(a.slots[*a.best].start_hour)) : json(nullptr)},
              {"reason", a.best ? json(nullptr) : json(a.reason)}};
    rt.ctx.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return ExitCode::kSuccess;
  }
  Table t;
  t.headers = {"slot", "samples", "mean_energy", "sd", "best"};
  t.numeric_columns = {1, 2, 3};
  for (int i = 0; i < 12; ++i) {
    const auto& sl = a.slots[i];
    t.rows.push_back({slot_text(sl.start_hour), std::to_string(sl.samples),
                      sl.samples > 0 ? format_fixed(sl.mean, 2) : "-",
                      sl.samples > 1 ? format_fixed(sl.sd, 2) : "-",
                      a.best && *a.best == i ? "*" : ""});
  }
  rt.ctx.out << render(t, rt.ctx.options.format);
  if (rt.ctx.options.format != Format::kCsv) {
    rt.ctx.out << "\n"
               << (a.best ? "best slot for deep work: " + slot_text(a.slots[*a.best].start_hour)
                          : "no best slot: " + a.reason)
               << "\n";
  }
  return ExitCode::kSuccess;
}

}  // namespace

Command pomodoro_command() {
  return {
      "pomodoro", "plan a day of focus sessions, run a timer, keep a mood/energy journal",
      [](CLI::App& sub, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        sub.fallthrough();
        sub.require_subcommand(0, 1);
        sub.add_option("file", o->file, "Plan (YAML); 'rlab pomodoro FILE' is 'plan FILE'")
            ->type_name("FILE");
        auto* plan = sub.add_subcommand("plan", "schedule a day's tasks with breaks");
        plan->fallthrough();
        plan->add_option("file", o->file, "Plan (YAML): date, timezone, window, fixed, tasks")
            ->type_name("FILE");
        plan->add_option("--date", o->date, "Plan this date instead of the file's (YYYY-MM-DD)");
        plan->add_flag("--partial", o->partial,
                       "Print the schedule of what fits instead of failing when tasks do not fit");
        plan->add_option("--ics", o->ics,
                         "Also write the schedule as iCalendar to FILE ('-': stdout)")
            ->type_name("FILE");
        plan->add_option("--journal", o->journal, "Journal to find the best energy slot in")
            ->type_name("FILE");
        plan->add_flag("--no-journal", o->no_journal, "Ignore the journal (no deep-work slot)");
        plan->add_option("--deep-slot", o->deep_slot,
                         "Start hour (even, 0-22) of the deep-work slot")
            ->type_name("HOUR")
            ->check(cli::whole<int>(0, 22));
        plan->add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
            ->type_name("FILE");

        auto* start = sub.add_subcommand("start", "start a work session");
        start->fallthrough();
        start->add_option("--task,-d,--description", o->task, "What you work on")
            ->type_name("TEXT");
        start->add_option("--type", o->type, "Task type = profile (default: default_type, classic)")
            ->type_name("TYPE");
        start->add_option("--tags,-t", o->tags, "Comma-separated tags")->type_name("A,B");
        start->add_option("--duration", o->duration, "Length in minutes (default: the profile's)")
            ->type_name("MIN")
            ->check(cli::positive(1440));
        start->add_option("--ago", o->ago, "Started MIN minutes ago")
            ->type_name("MIN")
            ->check(cli::non_negative(10080));
        start->add_flag("--wait", o->wait, "Wait until it ends, with a progress bar on a terminal");

        auto* repeat = sub.add_subcommand("repeat", "start a session like the last one");
        repeat->fallthrough();
        repeat->add_flag("--wait", o->wait, "Wait until it ends");

        auto* status = sub.add_subcommand("status", "what is running, time left, completed today");
        status->fallthrough();
        status
            ->add_option("--format,-f", o->status_format,
                         "table, json, or a template: %r left mm:ss, %R left min, %!r with '!' "
                         "when over, %l/%L length, %e elapsed, %d task, %t tags, %y type, "
                         "%p phase, %c completed today, %g daily goal")
            ->type_name("FMT")
            ->check(cli::values({"table", "json"}));
        auto* finish = sub.add_subcommand("finish", "end the running session now and record it");
        finish->fallthrough();
        auto* cancel =
            sub.add_subcommand("cancel", "drop the running session without recording it");
        cancel->fallthrough();
        auto* brk =
            sub.add_subcommand("break", "start a break (long after every Nth completed session)");
        brk->fallthrough();
        brk->add_option("minutes", o->break_minutes, "Break length in minutes (default: profile)")
            ->type_name("MIN")
            ->check(cli::positive(1440));
        brk->add_flag("--wait", o->wait, "Wait until it ends");

        auto* exp = sub.add_subcommand("export", "history as iCalendar or Timewarrior JSON");
        exp->fallthrough();
        exp->add_flag("--ics", o->export_ics, "RFC 5545 iCalendar");
        exp->add_flag("--timewarrior", o->export_timew, "Timewarrior export JSON (intervals)");
        exp->add_option("--from", o->from, "First date (YYYY-MM-DD)");
        exp->add_option("--to", o->to, "Last date (YYYY-MM-DD)");
        exp->add_option("-o,--output", o->output, "Write to FILE (atomically)")->type_name("FILE");

        auto* rep = sub.add_subcommand("report", "sessions and minutes by day, week, type or tag");
        rep->fallthrough();
        rep->add_option("--by", o->by, "day, week, type or tag")
            ->check(cli::one_of({"day", "week", "type", "tag"}));
        rep->add_option("--from", o->from, "First date (YYYY-MM-DD)");
        rep->add_option("--to", o->to, "Last date (YYYY-MM-DD)");
        rep->add_option("--plan", o->plan_file, "Day plan to compare with (planned vs done)")
            ->type_name("FILE");

        auto* jr = sub.add_subcommand("journal", "mood/energy journal");
        jr->fallthrough();
        jr->require_subcommand(1);
        auto* jadd = jr->add_subcommand("add", "record mood and energy (1 = lowest, 10 = highest)");
        jadd->fallthrough();
        jadd->add_option("--mood", o->mood, "Mood 1-10")
            ->type_name("N")
            ->check(cli::whole<int>(1, 10));
        jadd->add_option("--energy", o->energy, "Energy 1-10")
            ->type_name("N")
            ->check(cli::whole<int>(1, 10));
        jadd->add_option("--note", o->note, "Free text")->type_name("TEXT");
        jadd->add_option("--at", o->at, "When (ISO 8601 with offset; default now)")
            ->type_name("TIME");
        jadd->add_option("--journal", o->journal, "Journal file")->type_name("FILE");
        auto* jweek = jr->add_subcommand("week", "weekly averages and warnings");
        jweek->fallthrough();
        jweek->add_option("--date", o->date, "A day of the week (default: today)");
        jweek->add_option("--journal", o->journal, "Journal file")->type_name("FILE");
        auto* jslots = jr->add_subcommand("slots", "mean energy per 2-hour slot, best slot");
        jslots->fallthrough();
        jslots
            ->add_option("--min-samples", o->min_samples,
                         "Samples every compared slot needs before a best slot is named (3)")
            ->type_name("K")
            ->check(cli::whole<int>(1, 1000));
        jslots->add_option("--days", o->days, "Only the last N days")
            ->type_name("N")
            ->check(cli::whole<int>(1));
        jslots->add_option("--svg", o->svg, "Draw the chart to FILE")->type_name("FILE");
        jslots->add_option("--journal", o->journal, "Journal file")->type_name("FILE");

        sub.footer(
            "Example: rlab pomodoro plan configs/examples/pomodoro.yaml --ics day.ics\n"
            "Timer: start --task T --type coding --tags a,b [--wait] | status -f '%r %c/%g' | "
            "finish | cancel | break [MIN] | repeat\n"
            "Files: <data dir>/pomodoro/{state.json,history,journal.jsonl}; RLAB_NOW fixes the "
            "clock.");
        return [o, &ctx, &sub, plan, start, repeat, status, finish, cancel, brk, exp, rep, jadd,
                jweek, jslots]() -> ExitCode {
          // A --format the subcommand cannot render is a usage error, before any file is read.
          const Format f = ctx.options.format;
          for (const CLI::App* a : {start, repeat, finish, cancel, brk}) {
            if (a->parsed()) require_format(f, {Format::kTable}, "pomodoro " + a->get_name());
          }
          if (jadd->parsed())
            require_format(f, {Format::kTable, Format::kJson}, "pomodoro journal add");
          if (exp->parsed() && ctx.options.format_given) {
            if (o->export_ics) {
              throw UsageError("pomodoro export --ics writes iCalendar; it takes no --format");
            }
            require_format(f, {Format::kJson}, "pomodoro export --timewarrior");
          }
          const bool is_plan = plan->parsed() || sub.get_subcommands().empty();
          const ConfigNode section = load_section(is_plan ? o->file : "", ctx, is_plan);
          Runtime rt{ctx, read_settings(section), make_clock(), nullptr};
          rt.zone = std::make_unique<pd::SystemZone>(rt.st.timezone);
          if (is_plan) return run_plan(*o, rt, section);
          if (start->parsed()) return run_start(*o, rt, false);
          if (repeat->parsed()) return run_start(*o, rt, true);
          if (status->parsed()) return run_status(*o, rt);
          if (finish->parsed()) return run_finish(rt);
          if (cancel->parsed()) return run_cancel(rt);
          if (brk->parsed()) return run_break(*o, rt);
          if (exp->parsed()) return run_export(*o, rt);
          if (rep->parsed()) return run_report(*o, rt);
          if (jadd->parsed()) return run_journal_add(*o, rt);
          if (jweek->parsed()) return run_journal_week(*o, rt);
          if (jslots->parsed()) return run_journal_slots(*o, rt);
          throw UsageError("pomodoro needs a subcommand; run 'rlab pomodoro --help'");
        };
      }};
}

}  // namespace rlab
