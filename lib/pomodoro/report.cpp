// `rlab pomodoro export|report|journal`: the history as iCalendar or Timewarrior JSON, sessions
// by day/week/type/tag against a plan, and the mood/energy journal's week and slot analyses.
#include "rlab/files.h"
#include "rlab/output.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "runtime.h"

namespace rlab::pomodoro_cmd {

std::optional<long long> opt_date(const std::string& s, const char* flag) {
  if (s.empty()) return std::nullopt;
  const auto d = pd::parse_date(s);
  if (!d) throw UsageError(std::string(flag) + " must be YYYY-MM-DD, got '" + s + "'");
  return d;
}

std::string week_name(long long day) {
  const auto [y, w] = pd::iso_week(day);
  char b[16];
  std::snprintf(b, sizeof b, "%04d-W%02d", y, w);
  return b;
}

namespace {

using nlohmann::json;

std::vector<pd::Session> filtered_history(const Options& o, Runtime& rt) {
  const auto from = opt_date(o.from, "--from");
  const auto to = opt_date(o.to, "--to");
  std::vector<pd::Session> out;
  for (const auto& s : load_history(rt.st, rt.ctx)) {
    const long long d = local_day(s.start, s.offset);
    if ((from && d < *from) || (to && d > *to)) continue;
    out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const pd::Session& a, const pd::Session& b) { return a.start < b.start; });
  return out;
}

}  // namespace

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
  write_output(rt.ctx.out, o.output, text);
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
  append_line_durable(path, line);
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
  const std::string path = journal_to_read(o.journal, rt.st);
  const auto entries = load_journal(path, rt.ctx);
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
  const std::string path = journal_to_read(o.journal, rt.st);
  auto entries = load_journal(path, rt.ctx);
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

}  // namespace rlab::pomodoro_cmd
