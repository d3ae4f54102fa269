// `rlab pomodoro`'s config section: its keys declared once, and the settings and day plan read
// from a checked section.
#include "rlab/commands.h"
#include "rlab/config_schema.h"
#include "rlab/files.h"
#include "rlab/text.h"

#include "runtime.h"

namespace rlab {

namespace {

// A hook: a program, or a list of the program and its arguments.
std::vector<std::string> hook_argv(const ConfigNode& n) {
  std::vector<std::string> argv;
  for (const ConfigNode& a : n.items()) argv.push_back(a.as_string());
  if (argv.empty() || argv[0].empty()) n.fail("'" + n.path() + "' needs a program");
  return argv;
}

int read_clock(const ConfigNode& n) {
  const std::string s = n.as_string();
  const auto m = pomodoro::parse_clock(s);
  if (!m) n.fail("'" + n.path() + "' must be a time HH:MM, got '" + s + "'");
  return *m;
}

// The working window: two times, the end after the start.
std::pair<int, int> read_window(const ConfigNode& w) {
  if (!w.is_sequence() || w.size() != 2) w.fail("'window' must be [\"HH:MM\", \"HH:MM\"]");
  const std::pair<int, int> m{read_clock(w.at(0)), read_clock(w.at(1))};
  if (m.second <= m.first) w.fail("'window' must end after it starts");
  return m;
}

config::Key hook(std::string name, std::string help) {
  config::Key k = config::list(std::move(name), std::move(help));
  k.check = [](const ConfigNode& n) { (void)hook_argv(n); };
  return k;
}

config::Key clock(std::string name, std::string help, std::string example) {
  config::Key k = config::text(std::move(name), std::move(help), std::move(example));
  k.check = [](const ConfigNode& n) { (void)read_clock(n); };
  return k;
}

}  // namespace

const config::Section& pomodoro_config_section() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  static const Section kSection{
      "pomodoro",
      "rlab pomodoro: task-type profiles, hooks and the timer's settings; date, window, fixed "
      "blocks and tasks plan a day",
      {
          map_of("profiles",
                 map("",
                     {
                         integer("work", 1, 600, "minutes of a work session", "45"),
                         integer("short_break", 0, 600, "minutes of a short break", "10"),
                         integer("long_break", 0, 600, "minutes of a long break", "30"),
                         integer("long_break_every", 1, 100,
                                 "a long break after every Nth completed session", "4"),
                     },
                     "one task type's lengths (a built-in type keeps the ones not given)"),
                 "task types: classic 25/5, coding 50/10, reading 30/5, debugging 40/15, other "
                 "45/10 built in; override or add",
                 "writing"),
          map("hooks",
              {
                  hook("on_start", "run when a work session starts"),
                  hook("on_finish", "run when a work session ends"),
                  hook("on_break_end", "run when a break ends"),
              },
              "programs run at timer events (no shell; the values in RLAB_POMODORO_* variables)"),
          integer("daily_goal", 1, 100, "work sessions a day (%g of status)", "8"),
          flag("notify", "notify-send at the end of --wait, when installed", "true"),
          [] {
            Key k = text("timezone", "IANA zone name (default: the system's local zone)",
                         "Asia/Shanghai");
            k.check = [](const ConfigNode& n) {
              pomodoro::check_zone_name(n.as_string(), n.location().str());
            };
            return k;
          }(),
          text("default_type", "task type (profile) of a task or a start without one", "classic"),
          text("history", "history file (default <data dir>/pomodoro/history)"),
          text("journal", "mood/energy journal (default <data dir>/pomodoro/journal.jsonl)"),
          date("date", "the day planned (default: today in timezone; --date wins)", "2025-03-03"),
          any("window", "the working window [\"HH:MM\", \"HH:MM\"]; 24:00 may end it",
              "[\"09:00\", \"18:00\"]", [](const ConfigNode& n) { (void)read_window(n); }),
          list_of("fixed",
                  map("",
                      {
                          text("title", "what it is (default busy)", "Lunch"),
                          required(clock("start", "HH:MM", "\"12:00\"")),
                          required(clock("end", "HH:MM", "\"13:00\"")),
                      },
                      "one busy block"),
                  "busy blocks inside the window; they may not overlap"),
          list_of("tasks",
                  map("",
                      {
                          required(text("title", "what to do", "Implement loader")),
                          text("type", "a profile name (default: default_type)", "coding"),
                          integer("sessions", 1, 50, "work sessions (default 1)", "3"),
                          integer("priority", 1, 100, "1 = first (default 3); ties keep file order",
                                  "1"),
                          flag("deep", "place it in the best energy slot", "true"),
                          list("tags", "tags of its sessions", "[rlab]"),
                      },
                      "one task"),
                  "the day's tasks (what 'plan' schedules)"),
          integer("deep_min_samples", 1, 1000,
                  "journal samples every compared slot needs before a best slot is named", "3"),
      }};
  return kSection;
}

namespace pomodoro_cmd {

namespace {

bool given(const ConfigNode& s, const char* key) { return !s[key].is_null(); }

pd::Profile read_profile(const ConfigNode& n, pd::Profile base) {
  if (given(n, "work")) base.work = static_cast<int>(n["work"].as_int());
  if (given(n, "short_break")) base.short_break = static_cast<int>(n["short_break"].as_int());
  if (given(n, "long_break")) base.long_break = static_cast<int>(n["long_break"].as_int());
  if (given(n, "long_break_every")) {
    base.long_break_every = static_cast<int>(n["long_break_every"].as_int());
  }
  return base;
}

}  // namespace

std::string expand_home(const std::string& p) {
  if (p.size() >= 1 && p[0] == '~' && (p.size() == 1 || p[1] == '/')) {
    return home_dir() + p.substr(1);
  }
  return p;
}

Settings read_settings(const ConfigNode& s) {
  Settings st;
  st.history_path = state_dir() + "/history";
  st.journal_path = state_dir() + "/journal.jsonl";
  if (!s.defined()) return st;
  config::check(s, pomodoro_config_section());  // every value below is already checked
  if (given(s, "profiles")) {
    const ConfigNode p = s["profiles"];
    for (const std::string& name : p.keys()) {
      const auto it = st.profiles.find(name);
      st.profiles[name] =
          read_profile(p[name], it != st.profiles.end() ? it->second : pd::Profile{});
    }
  }
  if (given(s, "hooks")) {
    const ConfigNode h = s["hooks"];
    for (const std::string& k : h.keys()) {
      std::vector<std::string> argv = hook_argv(h[k]);
      argv[0] = expand_home(argv[0]);
      st.hooks[k] = argv;
    }
  }
  if (given(s, "daily_goal")) st.daily_goal = static_cast<int>(s["daily_goal"].as_int());
  st.notify = s.get("notify", st.notify);
  if (given(s, "timezone")) {
    st.timezone = s["timezone"].as_string();
    st.timezone_where = s["timezone"].location().str();
  }
  if (given(s, "deep_min_samples")) {
    st.deep_min_samples = static_cast<int>(s["deep_min_samples"].as_int());
  }
  if (given(s, "default_type")) {
    const ConfigNode t = s["default_type"];
    st.default_type = t.as_string();
    if (st.profiles.count(st.default_type) == 0)
      t.fail("unknown task type '" + st.default_type + "'");
  }
  if (given(s, "history")) st.history_path = expand_home(s["history"].as_string());
  if (given(s, "journal")) st.journal_path = expand_home(s["journal"].as_string());
  return st;
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
  } else if (given(s, "date")) {
    p.in.day = *pd::parse_date(s["date"].as_date());
  } else {
    const long long now = rt.clock.now();
    p.in.day = local_day(now, rt.zone->offset_at(now));
  }
  p.date = pd::format_date(p.in.day);
  if (given(s, "window")) {
    std::tie(p.in.window_start, p.in.window_end) = read_window(s["window"]);
  }
  for (const ConfigNode& f : s["fixed"].items()) {
    pd::FixedBlock b;
    b.title = f.get("title", std::string("busy"));
    b.start_min = read_clock(f["start"]);
    b.end_min = read_clock(f["end"]);
    b.where = f.location().str();
    p.in.fixed.push_back(b);
  }
  for (const ConfigNode& t : s.required("tasks").items()) {
    pd::Task task;
    task.title = t["title"].as_string();
    task.type = t.get("type", st.default_type);
    if (given(t, "sessions")) task.sessions = static_cast<int>(t["sessions"].as_int());
    if (given(t, "priority")) task.priority = static_cast<int>(t["priority"].as_int());
    task.deep = t.get("deep", task.deep);
    for (const ConfigNode& g : t["tags"].items()) task.tags.push_back(g.as_string());
    if (given(t, "type") && st.profiles.count(task.type) == 0) {
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

}  // namespace pomodoro_cmd

}  // namespace rlab
