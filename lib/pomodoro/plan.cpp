// `rlab pomodoro plan`: a day's tasks scheduled with breaks around fixed blocks, deep work in the
// journal's best energy slot; table, JSON, CSV, Markdown and iCalendar.
#include "rlab/files.h"
#include "rlab/output.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include "runtime.h"

namespace rlab::pomodoro_cmd {

namespace {

using nlohmann::json;

int read_clock(const ConfigNode& n) {
  const std::string s = n.as_string();
  const auto m = pd::parse_clock(s);
  if (!m) n.fail("'" + n.path() + "' must be a time HH:MM, got '" + s + "'");
  return *m;
}

std::string local_hm(long long t, const pd::Zone& z) { return clock_hm(t, z.offset_at(t)); }

}  // namespace

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
    const std::string jp = journal_to_read(o.journal, rt.st);
    const auto a = pd::energy_slots(load_journal(jp, rt.ctx), rt.st.deep_min_samples);
    if (a.best) {
      p.in.deep_slot = a.slots[*a.best].start_hour;
      deep_note = "best mean energy in the journal";
    } else {
      deep_note = "journal: " + (path_exists(jp) ? a.reason : std::string("no entries"));
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
      // A valid day whose answer is "it does not fit": exit 1, not an input error.
      Error e(lines[0], ExitCode::kNo);
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

}  // namespace rlab::pomodoro_cmd
