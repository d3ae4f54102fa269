// `rlab trl history|diff`: the recorded assessments over time and the change between two.
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"
#include "rlab/trl.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "command_parts.h"
#include "read.h"

namespace rlab::trl_cmd {

// ---- history and diff --------------------------------------------------------------------

trl::Snapshot snapshot_from_json(const json& j, const std::string& where) {
  trl::Snapshot s;
  try {
    s.recorded_at = j.at("recorded_at").get<std::string>();
    s.date = j.value("date", "");
    s.assessor = j.value("assessor", "");
    s.technology = j.value("technology", "");
    s.scale_id = j.at("scale").at("id").get<std::string>();
    s.scale_version = j.at("scale").at("version").get<std::string>();
    s.threshold = j.value("threshold", 100.0);
    s.level = j.at("level").get<int>();
    s.bottleneck = j.value("bottleneck", std::vector<std::string>{});
    for (const auto& e : j.at("elements")) {
      trl::SnapshotElement se;
      se.id = e.at("id").get<std::string>();
      se.level = e.at("level").get<int>();
      for (const auto& it : e.at("answers")) {
        trl::SnapshotElement::Item item;
        item.criterion = it.at("criterion").get<std::string>();
        if (it.at("percent").is_null()) {
          item.not_applicable = true;
        } else {
          item.percent = it.at("percent").get<double>();
        }
        item.evidence = it.value("evidence", std::vector<std::string>{});
        se.items.push_back(item);
      }
      s.elements.push_back(se);
    }
  } catch (const json::exception& e) {
    throw InputError(where + ": not a trl history record: " + e.what());
  }
  return s;
}

// The history is appended to by `trl assess --record`: a torn or hand-edited line among good
// records is said and left out; a history with no good record at all is an error.
std::vector<trl::Snapshot> read_history(const std::string& path, bool must_exist, Context& ctx) {
  std::vector<trl::Snapshot> v;
  if (!must_exist && !path_exists(path)) return v;
  std::istringstream in(read_file(path));
  std::string line;
  int n = 0;
  std::vector<std::string> skipped;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n) + ":1";
    try {
      json j;
      try {
        j = json::parse(line);
      } catch (const json::parse_error& e) {
        throw InputError(where + ": invalid JSON in the history: " + e.what());
      }
      trl::Snapshot s = snapshot_from_json(j, where);
      s.label = "#" + std::to_string(v.size() + 1);
      v.push_back(std::move(s));
    } catch (const InputError& e) {
      skipped.emplace_back(e.what());
    }
  }
  if (v.empty() && !skipped.empty()) {
    InputError e(skipped.front());
    if (skipped.size() > 1)
      e.add_note(std::to_string(skipped.size()) + " lines of " + path + " hold no valid record");
    throw e;
  }
  for (const auto& s : skipped) ctx.log.warn(s + " (skipped)");
  return v;
}

ExitCode run_history(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd, Format::kCsv},
                 "trl history");
  const std::string path = o.history.empty() ? kDefaultHistory : o.history;
  const auto hist = read_history(path, !o.history.empty(), ctx);
  if (ctx.options.format == Format::kJson) {
    json a = json::array();
    for (std::size_t i = 0; i < hist.size(); ++i) {
      const auto& s = hist[i];
      a.push_back({{"record", i + 1},
                   {"recorded_at", s.recorded_at},
                   {"date", s.date},
                   {"assessor", s.assessor},
                   {"technology", s.technology},
                   {"scale", {{"id", s.scale_id}, {"version", s.scale_version}}},
                   {"level", s.level},
                   {"bottleneck", s.bottleneck}});
    }
    emit(o, ctx, json{{"history", path}, {"records", a}}.dump(2) + "\n");
    return ExitCode::kSuccess;
  }
  if (hist.empty()) {
    emit(o, ctx,
         "no assessments recorded in " + path +
             " (record one with 'rlab trl assess FILE --record')\n");
    return ExitCode::kSuccess;
  }
  Table t;
  t.headers = {"record", "recorded at", "date",       "assessor", "technology",
               "scale",  "TRL",         "bottleneck", "change"};
  t.numeric_columns = {0, 6};
  for (std::size_t i = 0; i < hist.size(); ++i) {
    const auto& s = hist[i];
    std::string change = "-";
    if (i > 0) {
      const int d = s.level - hist[i - 1].level;
      change = d > 0 ? "+" + std::to_string(d) : d < 0 ? std::to_string(d) : "=";
    }
    t.rows.push_back({std::to_string(i + 1), s.recorded_at, s.date, s.assessor, s.technology,
                      s.scale_id + " " + s.scale_version, std::to_string(s.level),
                      join(s.bottleneck, ", "), change});
  }
  emit(o, ctx, render(t, ctx.options.format));
  return ExitCode::kSuccess;
}

// A diff operand: a record number (1-based), "latest"/"last", "previous"/"prev", or an answers
// file.
trl::Snapshot operand(const std::string& spec, const std::vector<trl::Snapshot>& hist,
                      const std::string& history_path, const Options& o, Context& ctx) {
  if (path_exists(spec)) {
    const Loaded l = load_assessment(spec, o, ctx, false);
    trl::validate_answers(l.scale, l.file.assessment, l.file.where);
    const Result r = trl::assess(l.scale, l.file.assessment);
    trl::Snapshot s = trl::snapshot(l.scale, l.file.assessment, r);
    s.label = spec;
    return s;
  }
  long long n = 0;
  if (spec == "latest" || spec == "last") {
    n = static_cast<long long>(hist.size());
  } else if (spec == "previous" || spec == "prev") {
    n = static_cast<long long>(hist.size()) - 1;
  } else {
    char* end = nullptr;
    n = std::strtoll(spec.c_str(), &end, 10);
    if (spec.empty() || end != spec.c_str() + spec.size()) {
      throw UsageError(
          "diff: '" + spec +
          "' is neither an answers file nor a record number (1, 2, ..., latest, previous)");
    }
  }
  if (n < 1 || n > static_cast<long long>(hist.size())) {
    throw UsageError("diff: record '" + spec + "' does not exist (" + history_path + " holds " +
                     std::to_string(hist.size()) + " records)");
  }
  return hist[static_cast<std::size_t>(n - 1)];
}

ExitCode run_diff(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd}, "trl diff");
  const std::string path = o.history.empty() ? kDefaultHistory : o.history;
  const auto hist = read_history(path, !o.history.empty(), ctx);
  const trl::Snapshot a = operand(o.a, hist, path, o, ctx);
  const trl::Snapshot b = operand(o.b, hist, path, o, ctx);
  const trl::Diff d = trl::diff(a, b);
  if (d.scale_changed) {
    ctx.log.warn("the two assessments use different scales: " + a.scale_id + " " + a.scale_version +
                 " and " + b.scale_id + " " + b.scale_version);
  }
  if (ctx.options.format == Format::kJson) {
    json ch = json::array();
    for (const auto& c : d.changes) {
      ch.push_back({{"element", c.element},
                    {"criterion", c.criterion.empty() ? json(nullptr) : json(c.criterion)},
                    {"what", c.what},
                    {"before", c.before},
                    {"after", c.after}});
    }
    emit(o, ctx,
         json{{"a", a.label},
              {"b", b.label},
              {"level_before", d.level_before},
              {"level_after", d.level_after},
              {"scale_changed", d.scale_changed},
              {"changes", ch}}
                 .dump(2) +
             "\n");
    return ExitCode::kSuccess;
  }
  std::string s = "TRL " + std::to_string(d.level_before) + " -> " + std::to_string(d.level_after) +
                  " (" + a.label + (a.date.empty() ? "" : ", " + a.date) + " -> " + b.label +
                  (b.date.empty() ? "" : ", " + b.date) + ")\n";
  if (d.changes.empty()) {
    s += "no changes\n";
  } else {
    Table t;
    t.headers = {"element", "criterion", "change", "before", "after"};
    for (const auto& c : d.changes) {
      t.rows.push_back({c.element, c.criterion.empty() ? "-" : c.criterion, c.what,
                        c.before.empty() ? "-" : c.before, c.after.empty() ? "-" : c.after});
    }
    s += ctx.options.format == Format::kMd ? render_markdown(t) : render_plain(t);
  }
  emit(o, ctx, s);
  return ExitCode::kSuccess;
}

}  // namespace rlab::trl_cmd
