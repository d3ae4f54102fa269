// Internal to `rlab pomodoro`'s adapter: the options, settings, clock and runtime that the
// timer (timer.cpp), the day plan (plan.cpp), reports and journal (report.cpp) share, and the
// state files they read and write (runtime.cpp). command.cpp only declares the CLI.
#pragma once

#include "rlab/config.h"
#include "rlab/context.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/pomodoro.h"
#include "rlab/pomodoro_zone.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rlab::pomodoro_cmd {

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

/// `~/x` -> `$HOME/x` (a leading `~` only).
std::string expand_home(const std::string& p);
/// <data dir>/pomodoro: state.json, history, journal.jsonl, lock.
std::string state_dir();
std::string state_path();
/// The settings of a section (config.cpp checks it against its declaration first).
Settings read_settings(const ConfigNode& s);
/// The config: the positional FILE, else --config, else <config dir>/pomodoro.yaml if present.
ConfigNode load_section(const std::string& file, Context& ctx, bool required);

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

struct Runtime {
  Context& ctx;
  Settings st;
  Clock clock;
  std::unique_ptr<pd::Zone> zone;
  int offset_now() const { return zone->offset_at(clock.now()); }
};

/// The history and the journal; a bad line among good ones is a warning, not fatal.
std::vector<pd::Session> load_history(const Settings& st, Context& ctx);
std::vector<pd::Mood> load_journal(const std::string& path, Context& ctx);
/// The journal a report reads: one named with --journal must exist; the default may not yet.
std::string journal_to_read(const std::string& flag, const Settings& st);
std::optional<pd::State> load_state();
void clear_state();

/// Runs the config's hook for `event` (argv, values only in RLAB_POMODORO_* variables).
void run_hook(Runtime& rt, const std::string& event, const pd::State& s, long long end);
/// A desktop notification through notify-send, when it is installed and `notify` is on.
void notify(Runtime& rt, const std::string& title, const std::string& body);

/// "09:05" at `utc` in a zone `offset` seconds east of UTC.
std::string clock_hm(long long utc, int offset);
/// "mm:ss" of `s` seconds (0 when negative).
std::string mmss(long long s);
/// "08:00-10:00" for the two-hour slot starting at hour `h`.
std::string slot_text(int h);
/// --from/--to style dates; nullopt when `s` is empty, UsageError when malformed.
std::optional<long long> opt_date(const std::string& s, const char* flag);
/// ISO week name "2025-W10" of a day number.
std::string week_name(long long day);

struct PlanInput {
  pd::DayPlanInput in;
  std::string date;
  std::string tz;
  std::vector<std::vector<std::string>> task_tags;
  std::string where;
};

PlanInput read_plan(const ConfigNode& s, const Settings& st, const Options& o, const Runtime& rt);

ExitCode run_start(const Options& o, Runtime& rt, bool repeat);
ExitCode run_break(const Options& o, Runtime& rt);
ExitCode run_finish(Runtime& rt);
ExitCode run_cancel(Runtime& rt);
ExitCode run_status(const Options& o, Runtime& rt);
ExitCode run_plan(const Options& o, Runtime& rt, const ConfigNode& s);
ExitCode run_export(const Options& o, Runtime& rt);
ExitCode run_report(const Options& o, Runtime& rt);
ExitCode run_journal_add(const Options& o, Runtime& rt);
ExitCode run_journal_week(const Options& o, Runtime& rt);
ExitCode run_journal_slots(const Options& o, Runtime& rt);

}  // namespace rlab::pomodoro_cmd
