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

std::string local_hm(long long t, const pd::Zone& z) { return clock_hm(t, z.offset_at(t)); }

// Where deep work goes: --deep-slot, else the journal's best energy slot when it has enough
// samples. Returns the note that says which.
std::string choose_deep_slot(const Options& o, Runtime& rt, PlanInput& p) {
  if (o.deep_slot) {
    if (*o.deep_slot < 0 || *o.deep_slot > 22 || *o.deep_slot % 2 != 0) {
      throw UsageError("--deep-slot must be an even hour 0-22, got " +
                       std::to_string(*o.deep_slot));
    }
    p.in.deep_slot = *o.deep_slot;
    return "given by --deep-slot";
  }
  if (o.no_journal) return "";
  const std::string jp = journal_to_read(o.journal, rt.st);
  const auto a = pd::energy_slots(load_journal(jp, rt.ctx), rt.st.deep_min_samples);
  if (a.best) {
    p.in.deep_slot = a.slots[*a.best].start_hour;
    return "best mean energy in the journal";
  }
  return "journal: " + (path_exists(jp) ? a.reason : std::string("no entries"));
}

// Tasks that did not fit: exit 1 (a valid day whose answer is "it does not fit"), or warnings
// with --partial.
void report_unfit(const pd::DayPlan& plan, const PlanInput& p, const Options& o, Runtime& rt) {
  if (plan.unfit.empty()) return;
  std::vector<std::string> lines;
  for (const auto& u : plan.unfit) {
    const pd::Task& t = p.in.tasks[u.task];
    lines.push_back(t.where + ": task '" + t.title +
                    "' does not fit: " + std::to_string(u.missing) + " of " +
                    std::to_string(u.requested) + " sessions unscheduled (" + u.reason + ")");
  }
  if (!o.partial) {
    Error e(lines[0], ExitCode::kNo);
    for (std::size_t k = 1; k < lines.size(); ++k) e.add_error(lines[k]);
    e.add_note(std::to_string(plan.free_minutes) +
               " free minutes are left in the window; lengthen it, drop sessions, or use "
               "--partial to print the schedule of what fits");
    throw e;
  }
  for (const auto& l : lines) rt.ctx.log.warn(l);
}

std::string plan_ics(const pd::DayPlan& plan, const PlanInput& p, const Runtime& rt) {
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
  return pd::to_ics(events, rt.clock.now());
}

std::string plan_json(const pd::DayPlan& plan, const PlanInput& p, const pd::Zone& zone,
                      const std::string& tz_name, const std::string& deep_note) {
  json j;
  j["date"] = p.date;
  j["timezone"] = tz_name;
  j["window"] = {{"start", pd::format_iso(plan.window_start, zone.offset_at(plan.window_start))},
                 {"end", pd::format_iso(plan.window_end, zone.offset_at(plan.window_end))}};
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
    x["start"] = pd::format_iso(b.start, zone.offset_at(b.start));
    x["end"] = pd::format_iso(b.end, zone.offset_at(b.end));
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
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// The table (text, CSV or Markdown), with a summary under it except in CSV.
std::string plan_table(const pd::DayPlan& plan, const PlanInput& p, const pd::Zone& zone,
                       const std::string& tz_name, const std::string& deep_note, Format format) {
  Table t;
  t.headers = {"start", "end", "min", "kind", "title", "type", "session", "note"};
  t.numeric_columns = {2};
  for (const pd::Block& b : plan.blocks) {
    std::string note;
    if (b.deep) note = "deep";
    if (b.shortened) note = "shortened";
    t.rows.push_back(
        {local_hm(b.start, zone), local_hm(b.end, zone), std::to_string((b.end - b.start) / 60),
         pd::block_kind_name(b.kind), b.title, b.kind == pd::BlockKind::kFixed ? "" : b.type,
         b.kind == pd::BlockKind::kWork ? std::to_string(b.session) + "/" + std::to_string(b.of)
                                        : "",
         note});
  }
  std::string text = render(t, format);
  if (format == Format::kCsv) return text;
  const std::string bullet = format == Format::kMd ? "- " : "";
  text += "\n";
  text += bullet + "date: " + p.date + " (" + tz_name + "), window " +
          local_hm(plan.window_start, zone) + "-" + local_hm(plan.window_end, zone) + "\n";
  text += bullet + "work " + std::to_string(plan.work_minutes) + " min, breaks " +
          std::to_string(plan.break_minutes) + " min, free " + std::to_string(plan.free_minutes) +
          " min\n";
  text += bullet +
          "deep-work slot: " + (plan.deep_slot ? slot_text(*plan.deep_slot) : std::string("none")) +
          " (" + deep_note + ")\n";
  for (const auto& u : plan.unfit) {
    text += bullet + "unscheduled: " + p.in.tasks[u.task].title + " (" + std::to_string(u.missing) +
            " of " + std::to_string(u.requested) + ")\n";
  }
  return text;
}

}  // namespace

std::string slot_text(int h) {
  char b[32];
  std::snprintf(b, sizeof b, "%02d:00-%02d:00", h, h + 2);
  return b;
}

ExitCode run_plan(const Options& o, Runtime& rt, const ConfigNode& s) {
  require_format(rt.ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "pomodoro plan");
  PlanInput p = read_plan(s, rt.st, o, rt);
  const pd::SystemZone zone(p.tz);
  const std::string deep_note = choose_deep_slot(o, rt, p);
  const pd::DayPlan plan = pd::plan_day(p.in, zone);
  for (const auto& w : plan.warnings) rt.ctx.log.warn(w);
  report_unfit(plan, p, o, rt);
  const std::string tz_name = p.tz.empty() ? "local" : p.tz;

  if (!o.ics.empty()) {
    const std::string text = plan_ics(plan, p, rt);
    if (o.ics == "-") {
      rt.ctx.out << text;
      return ExitCode::kSuccess;
    }
    write_file_atomic(o.ics, text);
    rt.ctx.log.info("wrote " + o.ics);
  }
  const std::string text =
      rt.ctx.options.format == Format::kJson
          ? plan_json(plan, p, zone, tz_name, deep_note)
          : plan_table(plan, p, zone, tz_name, deep_note, rt.ctx.options.format);
  if (o.output.empty() || o.output == "-") {
    if (o.ics != "-") rt.ctx.out << text;
  } else {
    write_file_atomic(o.output, text);
  }
  return ExitCode::kSuccess;
}

}  // namespace rlab::pomodoro_cmd
