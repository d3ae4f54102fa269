// `rlab pomodoro`: the config file, the state files, the history and journal, and hooks.
#include "runtime.h"

#include "rlab/files.h"
#include "rlab/process.h"
#include "rlab/text.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace rlab::pomodoro_cmd {

std::string state_dir() { return data_dirs().data + "/pomodoro"; }

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
  const ConfigNode section = select_section(root, "pomodoro", ctx.config_sections);
  apply_overrides(section, "pomodoro", ctx.options.sets);
  return section;
}

// The history and the journal are appended to by rlab: a torn or hand-edited line among good
// ones is said and left out, not fatal to every command that reads the file.
std::vector<pd::Session> load_history(const Settings& st, Context& ctx) {
  if (!path_exists(st.history_path)) return {};
  std::vector<std::string> skipped;
  auto h = pd::parse_history(read_file(st.history_path), st.history_path, &skipped);
  for (const auto& s : skipped) ctx.log.warn(s);
  return h;
}

std::vector<pd::Mood> load_journal(const std::string& path, Context& ctx) {
  if (!path_exists(path)) return {};
  std::vector<std::string> skipped;
  auto j = pd::parse_journal(read_file(path), path, &skipped);
  for (const auto& s : skipped) ctx.log.warn(s);
  return j;
}

// The journal a report reads: one named with --journal must exist (a mistyped path is no empty
// journal); the default one may not yet.
std::string journal_to_read(const std::string& flag, const Settings& st) {
  if (flag.empty()) return st.journal_path;
  if (!path_exists(flag)) throw InputError("--journal " + flag + ": no such file");
  return flag;
}

std::string state_path() { return state_dir() + "/state.json"; }

std::optional<pd::State> load_state() {
  const std::string p = state_path();
  if (!path_exists(p)) return std::nullopt;
  return pd::decode_state(read_file(p), p);
}

void clear_state() {
  if (::unlink(state_path().c_str()) != 0 && errno != ENOENT) {
    throw EnvironmentError(state_path() + ": cannot remove: " + std::strerror(errno));
  }
}

namespace {

// ---------------------------------------------------------------------------------------------
// Hooks and notifications: an argv started through the process seam (stdin from /dev/null,
// values only in the environment), waited for. The exit status, or the reason it did not start.

struct Ran {
  int status = 0;
  std::string error;
};

Ran spawn_wait(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
               bool quiet) {
  const std::vector<std::string> env = environment_with(extra_env);
  SpawnOptions so;
  so.env = &env;
  so.no_input = true;
  so.quiet = quiet;
  const Child c = spawn(argv, so);
  if (c.pid < 0) return {0, c.error};
  return {wait_exit(c), ""};
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

}  // namespace

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
       std::to_string(
           pd::completed_on_day(load_history(rt.st, rt.ctx), rt.clock.now(), rt.offset_now()))},
      {"RLAB_POMODORO_DAILY_GOAL", std::to_string(rt.st.daily_goal)}};
  std::vector<std::string> env;
  for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
  const Ran r = spawn_wait(it->second, env, false);
  if (!r.error.empty()) {
    rt.ctx.log.warn("hook " + event + ": cannot run '" + it->second[0] + "': " + r.error);
  } else if (r.status != 0) {
    rt.ctx.log.warn("hook " + event + ": '" + it->second[0] + "' exited with status " +
                    std::to_string(r.status));
  }
}

void notify(Runtime& rt, const std::string& title, const std::string& body) {
  if (!rt.st.notify || !on_path("notify-send")) return;
  spawn_wait({"notify-send", "--app-name=rlab", title, body}, {}, true);
}

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

}  // namespace rlab::pomodoro_cmd
