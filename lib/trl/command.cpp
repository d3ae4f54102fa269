// `rlab trl`: levels, assess (file or bare FILE), ask (questionnaire), history, diff, quick.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"
#include "rlab/trl.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "read.h"

namespace rlab {

namespace {

using nlohmann::json;
using trl::AnswersFile;
using trl::Result;
using trl::Scale;

constexpr const char* kDefaultHistory = "trl-history.jsonl";

struct Options {
  std::string file;   // answers file (assess, bare FILE, ask)
  std::string scale;  // --scale
  std::optional<int> require;
  bool record = false;
  std::string history;  // --history
  std::string output;   // -o
  // ask
  std::string kind;
  std::string element;
  std::string technology;
  std::string assessor;
  // diff
  std::string a, b;
  // quick
  std::vector<bool> milestones = std::vector<bool>(trl::milestones().size(), false);
};

std::string pct(double v) { return format_fixed(v, 1) + "%"; }

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// "2026-11-29T07:00:00Z"; RLAB_NOW (same form) fixes the clock for tests and reproducible records.
std::string now_utc() {
  if (const char* fixed = std::getenv("RLAB_NOW"); fixed != nullptr && *fixed != '\0') return fixed;
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void emit(const Options& o, Context& ctx, const std::string& text) {
  if (o.output.empty() || o.output == "-") {
    ctx.out << text;
  } else {
    write_file_atomic(o.output, text);
  }
}

// ---- levels -----------------------------------------------------------------------------------

std::string source_line(const Scale& s) {
  std::string line = s.name + " (" + s.id + ", version " + s.version + ")";
  if (!s.source.empty()) line += "\nsource: " + s.source;
  if (!s.url.empty()) line += "\n" + s.url;
  return line;
}

json scale_json(const Scale& s) {
  return {
      {"id", s.id}, {"name", s.name}, {"version", s.version}, {"source", s.source}, {"url", s.url}};
}

ExitCode run_levels(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd, Format::kCsv},
                 "trl levels");
  const Scale s = trl::load_scale(o.scale.empty() ? "nasa" : o.scale, ".", "");
  if (ctx.options.format == Format::kJson) {
    json j = scale_json(s);
    json levels = json::array();
    for (const auto& l : s.levels) {
      json crit = json::array();
      for (const auto& c : l.criteria) {
        json applies = json::array();
        if (c.hardware) applies.push_back("hardware");
        if (c.software) applies.push_back("software");
        crit.push_back({{"id", c.id},
                        {"text", c.text},
                        {"required", c.required},
                        {"weight", c.weight},
                        {"applies", applies}});
      }
      levels.push_back({{"level", l.level},
                        {"definition", l.definition},
                        {"success_criteria", l.success_criteria},
                        {"criteria", crit}});
    }
    j["levels"] = levels;
    emit(o, ctx, j.dump(2) + "\n");
    return ExitCode::kSuccess;
  }
  Table t;
  t.headers = {"level", "definition", "success criteria", "criteria"};
  t.numeric_columns = {0};
  for (const auto& l : s.levels) {
    std::vector<std::string> ids;
    for (const auto& c : l.criteria) ids.push_back(c.id + (c.required ? "" : " (optional)"));
    t.rows.push_back({std::to_string(l.level), l.definition,
                      l.success_criteria.empty() ? "-" : l.success_criteria, join(ids, ", ")});
  }
  std::string text = render(t, ctx.options.format);
  if (ctx.options.format == Format::kTable) text = source_line(s) + "\n\n" + text;
  if (ctx.options.format == Format::kMd)
    text = "**" + s.name + "** (" + s.version + "). Source: " + s.source + "\n\n" + text;
  emit(o, ctx, text);
  return ExitCode::kSuccess;
}

// ---- assess -----------------------------------------------------------------------------------

struct Loaded {
  AnswersFile file;
  Scale scale;
  std::string scale_spec;
};

Loaded load_assessment(const std::string& path, const Options& o, Context& ctx, bool allow_empty) {
  const ConfigNode root = load_config_file(path);
  const ConfigNode section = select_section(root, "trl");
  apply_overrides(section, "trl", ctx.options.sets);
  Loaded l{trl::read_answers(section, path, allow_empty), Scale{}, ""};
  l.scale_spec = o.scale.empty() ? l.file.scale : o.scale;
  l.scale =
      trl::load_scale(l.scale_spec, trl::dir_of(path), o.scale.empty() ? l.file.scale_where : "");
  l.file.scale = l.scale_spec;
  trl::check_scale_version(l.file, l.scale);
  return l;
}

struct EvidenceItem {
  std::string element, criterion, item, type;
  std::optional<bool> exists;  // paths only
};

std::vector<EvidenceItem> evidence_inventory(const Loaded& l) {
  std::vector<EvidenceItem> v;
  const std::string base = trl::dir_of(l.file.path);
  for (const auto& e : l.file.assessment.elements) {
    for (const auto& lev : l.scale.levels) {  // scale order
      for (const auto& c : lev.criteria) {
        for (const auto& a : e.answers) {
          if (a.criterion != c.id) continue;
          for (const auto& item : a.evidence) {
            EvidenceItem ev{e.id, a.criterion, item, trl::evidence_type(item), std::nullopt};
            if (ev.type == "path") {
              ev.exists = file_exists(item[0] == '/' ? item : base + "/" + item);
            }
            v.push_back(ev);
          }
        }
      }
    }
  }
  return v;
}

json assess_json(const Loaded& l, const Result& r, const std::vector<EvidenceItem>& inv,
                 const Options& o) {
  const trl::Assessment& a = l.file.assessment;
  json j;
  j["scale"] = scale_json(l.scale);
  j["technology"] = a.technology;
  j["date"] = a.date.empty() ? json(nullptr) : json(a.date);
  j["assessor"] = a.assessor.empty() ? json(nullptr) : json(a.assessor);
  j["threshold"] = a.threshold;
  j["level"] = r.level;
  j["definition"] = r.level > 0 ? json(trl::definition_of(l.scale, r.level)) : json(nullptr);
  json bn = json::array();
  for (std::size_t i : r.bottleneck) bn.push_back(a.elements[i].id);
  j["bottleneck"] = bn;
  json elements = json::array();
  for (const auto& er : r.elements) {
    const trl::Element& e = *er.element;
    json je = {
        {"id", e.id}, {"name", e.name}, {"kind", trl::kind_name(e.kind)}, {"level", er.level}};
    je["definition"] = er.level > 0 ? json(trl::definition_of(l.scale, er.level)) : json(nullptr);
    json levels = json::array();
    for (const auto& lr : er.levels) {
      json crit = json::array();
      for (const auto& cr : lr.criteria) {
        json jc = {{"id", cr.criterion->id},
                   {"text", cr.criterion->text},
                   {"required", cr.criterion->required},
                   {"applicable", cr.applicable},
                   {"answered", cr.answer != nullptr},
                   {"percent", cr.applicable ? json(cr.percent) : json(nullptr)},
                   {"met", cr.met}};
        jc["evidence"] = cr.answer != nullptr ? json(cr.answer->evidence) : json::array();
        jc["note"] = cr.answer != nullptr && !cr.answer->note.empty() ? json(cr.answer->note)
                                                                      : json(nullptr);
        crit.push_back(jc);
      }
      levels.push_back({{"level", lr.level},
                        {"definition", lr.def->definition},
                        {"met", lr.met},
                        {"counted", lr.met && (er.first_failed == 0 || lr.level < er.first_failed)},
                        {"required_met", lr.required_met},
                        {"required_total", lr.required_total},
                        {"completion", lr.completion},
                        {"criteria", crit}});
    }
    je["levels"] = levels;
    json holes = json::array();
    for (const auto& h : er.holes)
      holes.push_back({{"level", h.level}, {"criterion", h.criterion}});
    je["holes"] = holes;
    je["first_failed"] = er.first_failed > 0 ? json(er.first_failed) : json(nullptr);
    if (er.level < static_cast<int>(l.scale.levels.size())) {
      const auto& next = l.scale.levels[static_cast<std::size_t>(er.level)];
      json missing = json::array();
      for (const auto* cr : er.next_missing) {
        missing.push_back({{"id", cr->criterion->id},
                           {"text", cr->criterion->text},
                           {"required", cr->criterion->required},
                           {"percent", cr->percent}});
      }
      je["next"] = {{"level", next.level},
                    {"definition", next.definition},
                    {"success_criteria", next.success_criteria},
                    {"missing", missing}};
    } else {
      je["next"] = nullptr;
    }
    elements.push_back(je);
  }
  j["elements"] = elements;
  json ev = json::array();
  for (const auto& x : inv) {
    ev.push_back({{"element", x.element},
                  {"criterion", x.criterion},
                  {"item", x.item},
                  {"type", x.type},
                  {"exists", x.exists ? json(*x.exists) : json(nullptr)}});
  }
  j["evidence"] = ev;
  j["require"] = o.require ? json(*o.require) : json(nullptr);
  j["passed"] = o.require ? json(r.level >= *o.require) : json(nullptr);
  return j;
}

std::string assess_text(const Loaded& l, const Result& r, const std::vector<EvidenceItem>& inv,
                        bool md) {
  const trl::Assessment& a = l.file.assessment;
  const char* bullet = md ? "- " : "  ";
  std::string s;
  auto heading = [&](const std::string& h) { s += md ? "\n### " + h + "\n\n" : "\n" + h + "\n"; };
  const std::string title =
      "TRL " + std::to_string(r.level) +
      (r.level > 0 ? ": " + trl::definition_of(l.scale, r.level) : ": level 1 not reached");
  s += md ? "## " + title + "\n\n" : title + "\n";
  std::string facts = "scale: " + l.scale.name + " (" + l.scale.version + "); threshold " +
                      format_number(a.threshold) + "% of each required criterion";
  if (!a.technology.empty()) facts = "technology: " + a.technology + "; " + facts;
  if (!a.date.empty()) facts += "; assessed " + a.date;
  if (!a.assessor.empty()) facts += " by " + a.assessor;
  s += facts + "\n";
  if (r.elements.size() > 1) {
    std::vector<std::string> names;
    for (std::size_t i : r.bottleneck) names.push_back(a.elements[i].id);
    s += "system level = minimum over " + std::to_string(r.elements.size()) +
         " elements; bottleneck: " + join(names, ", ") + "\n";
  }
  for (const auto& er : r.elements) {
    const trl::Element& e = *er.element;
    heading("element " + e.id + " (" + trl::kind_name(e.kind) + "): TRL " +
            std::to_string(er.level));
    Table t;
    t.headers = {"level", "status", "required met", "completion", "definition"};
    t.numeric_columns = {0, 3};
    for (const auto& lr : er.levels) {
      std::string status;
      if (er.first_failed == 0 || lr.level < er.first_failed) {
        status = "met";
      } else if (lr.level == er.first_failed) {
        status = "NOT MET";
      } else {
        status = lr.met ? "hole" : "not met";
      }
      t.rows.push_back({std::to_string(lr.level), status,
                        std::to_string(lr.required_met) + "/" + std::to_string(lr.required_total),
                        pct(lr.completion), lr.def->definition});
    }
    s += md ? render_markdown(t) : render_plain(t);
    if (!er.holes.empty()) {
      std::string hs;
      for (const auto& h : er.holes) hs += (hs.empty() ? "" : ", ") + h.criterion;
      s += "holes (met above the failed level " + std::to_string(er.first_failed) +
           ", not counted): " + hs + "\n";
    }
    if (er.level < static_cast<int>(l.scale.levels.size())) {
      const auto& next = l.scale.levels[static_cast<std::size_t>(er.level)];
      s += "to reach TRL " + std::to_string(next.level) + " - " + next.definition + "\n";
      for (const auto* cr : er.next_missing) {
        s += bullet + cr->criterion->id + " [" + pct(cr->percent) +
             (cr->criterion->required ? "" : ", optional") + "]: " + cr->criterion->text + "\n";
      }
    }
  }
  heading("evidence (" + std::to_string(inv.size()) + (inv.size() == 1 ? " item)" : " items)"));
  if (inv.empty()) {
    s += "(none)\n";
  } else {
    Table t;
    t.headers = {"element", "criterion", "type", "item", "found"};
    for (const auto& x : inv) {
      t.rows.push_back({x.element, x.criterion, x.type, x.item,
                        x.exists ? (*x.exists ? "yes" : "MISSING") : "-"});
    }
    s += md ? render_markdown(t) : render_plain(t);
  }
  return s;
}

json record_json(const Loaded& l, const Result& r) {
  const trl::Snapshot snap = trl::snapshot(l.scale, l.file.assessment, r);
  json j;
  j["recorded_at"] = now_utc();
  j["date"] = snap.date;
  j["assessor"] = snap.assessor;
  j["technology"] = snap.technology;
  j["answers_file"] = l.file.path;
  j["scale"] = {{"id", snap.scale_id}, {"version", snap.scale_version}};
  j["threshold"] = snap.threshold;
  j["level"] = snap.level;
  j["bottleneck"] = snap.bottleneck;
  json els = json::array();
  for (const auto& e : snap.elements) {
    json items = json::array();
    for (const auto& it : e.items) {
      items.push_back({{"criterion", it.criterion},
                       {"percent", it.not_applicable ? json(nullptr) : json(it.percent)},
                       {"evidence", it.evidence}});
    }
    els.push_back({{"id", e.id}, {"level", e.level}, {"answers", items}});
  }
  j["elements"] = els;
  return j;
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  if (!f) throw EnvironmentError(path + ": cannot open the history file for appending");
  f << line << '\n';
  f.flush();
  if (!f) throw EnvironmentError(path + ": cannot append to the history file");
}

ExitCode gate(const Options& o, const Result& r, const trl::Assessment& a, Context& ctx) {
  if (!o.require || r.level >= *o.require) return ExitCode::kSuccess;
  std::vector<std::string> names;
  for (std::size_t i : r.bottleneck) names.push_back(a.elements[i].id);
  ctx.log.warn("TRL " + std::to_string(r.level) + " is below the required " +
               std::to_string(*o.require) + " (bottleneck: " + join(names, ", ") + ")");
  return ExitCode::kNo;
}

ExitCode run_assess(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd}, "trl");
  const std::string file = o.file.empty() ? ctx.options.config_path : o.file;
  if (file.empty()) throw UsageError("trl assess needs an answers file: rlab trl assess FILE");
  const Loaded l = load_assessment(file, o, ctx, false);
  trl::validate_answers(l.scale, l.file.assessment, l.file.where);
  if (o.require && (*o.require < 1 || *o.require > static_cast<int>(l.scale.levels.size()))) {
    throw UsageError("--require " + std::to_string(*o.require) + ": scale '" + l.scale.id +
                     "' has levels 1-" + std::to_string(l.scale.levels.size()));
  }
  const Result r = trl::assess(l.scale, l.file.assessment);
  const auto inv = evidence_inventory(l);
  for (const auto& x : inv) {
    if (x.exists && !*x.exists) {
      ctx.log.warn("evidence for " + x.element + "/" + x.criterion + " not found: " + x.item);
    }
  }
  std::string text;
  if (ctx.options.format == Format::kJson) {
    text = assess_json(l, r, inv, o).dump(2) + "\n";
  } else {
    text = assess_text(l, r, inv, ctx.options.format == Format::kMd);
  }
  emit(o, ctx, text);
  if (o.record) {
    const std::string path = o.history.empty() ? kDefaultHistory : o.history;
    append_line(path, record_json(l, r).dump());
    ctx.log.info("recorded in " + path);
  }
  return gate(o, r, l.file.assessment, ctx);
}

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

std::vector<trl::Snapshot> read_history(const std::string& path, bool must_exist) {
  std::vector<trl::Snapshot> v;
  if (!must_exist && !file_exists(path)) return v;
  std::istringstream in(read_file(path));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n) + ":1";
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      throw InputError(where + ": invalid JSON in the history: " + e.what());
    }
    trl::Snapshot s = snapshot_from_json(j, where);
    s.label = "#" + std::to_string(v.size() + 1);
    v.push_back(std::move(s));
  }
  return v;
}

ExitCode run_history(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd, Format::kCsv},
                 "trl history");
  const std::string path = o.history.empty() ? kDefaultHistory : o.history;
  const auto hist = read_history(path, !o.history.empty());
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
  if (file_exists(spec)) {
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
  const auto hist = read_history(path, !o.history.empty());
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

// ---- quick ----------------------------------------------------------------------------------

ExitCode run_quick(const Options& o, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd}, "trl quick");
  if (o.require && (*o.require < 1 || *o.require > 9)) {
    throw UsageError("--require " + std::to_string(*o.require) + ": NASA levels are 1-9");
  }
  const Scale nasa = trl::load_scale("nasa", ".", "");
  const trl::QuickResult q = trl::quick(o.milestones);
  const auto& ms = trl::milestones();
  if (ctx.options.format == Format::kJson) {
    json mapping = json::array();
    for (std::size_t i = 0; i < ms.size(); ++i) {
      mapping.push_back({{"milestone", ms[i].flag},
                         {"label", ms[i].label},
                         {"level", ms[i].level},
                         {"claimed", o.milestones[i]},
                         {"counted", q.counted[i]}});
    }
    json j = {{"scale", scale_json(nasa)},
              {"level", q.level},
              {"definition", trl::definition_of(nasa, q.level)},
              {"mapping", mapping},
              {"ignored", q.ignored},
              {"first_missing", q.first_missing.empty() ? json(nullptr) : json(q.first_missing)}};
    j["require"] = o.require ? json(*o.require) : json(nullptr);
    j["passed"] = o.require ? json(q.level >= *o.require) : json(nullptr);
    emit(o, ctx, j.dump(2) + "\n");
  } else {
    Table t;
    t.headers = {"milestone", "flag", "NASA TRL", "claimed", "counted"};
    t.numeric_columns = {2};
    for (std::size_t i = 0; i < ms.size(); ++i) {
      t.rows.push_back({ms[i].label, "--" + ms[i].flag, std::to_string(ms[i].level),
                        o.milestones[i] ? "yes" : "no",
                        q.counted[i] ? "yes" : (o.milestones[i] ? "IGNORED" : "no")});
    }
    const bool md = ctx.options.format == Format::kMd;
    std::string s = (md ? "## " : "") + std::string("TRL ") + std::to_string(q.level) + ": " +
                    trl::definition_of(nasa, q.level) + "\n";
    s += "quick mode: the lab's five milestones mapped onto NASA levels (NPR 7123.1C), "
         "cumulative: each counts only when every earlier one is claimed\n";
    if (md) s += "\n";
    s += md ? render_markdown(t) : render_plain(t);
    if (!q.ignored.empty()) {
      std::string ig;
      for (const auto& f : q.ignored) ig += (ig.empty() ? "--" : ", --") + f;
      s += "ignored (an earlier milestone, --" + q.first_missing + ", is missing): " + ig + "\n";
    }
    if (q.counted.front() == false) {
      s += "no milestone counts: TRL 1 is reported (quick mode cannot tell TRL 1 from 2; use "
           "'rlab trl assess' for evidence per criterion)\n";
    }
    emit(o, ctx, s);
  }
  if (o.require && q.level < *o.require) {
    ctx.log.warn("TRL " + std::to_string(q.level) + " is below the required " +
                 std::to_string(*o.require));
    return ExitCode::kNo;
  }
  return ExitCode::kSuccess;
}

// ---- ask (questionnaire) ----------------------------------------------------------------------

std::string today_utc() { return now_utc().substr(0, 10); }

ExitCode run_ask(const Options& o, Context& ctx) {
  if (o.file.empty()) throw UsageError("trl ask needs an answers file to write: rlab trl ask FILE");
  if (::isatty(0) == 0) {
    throw UsageError(
        "trl ask is interactive and needs a terminal on stdin; for scripts and CI "
        "write an answers file and run 'rlab trl assess FILE'");
  }
  Loaded l;
  if (file_exists(o.file)) {
    l = load_assessment(o.file, o, ctx, true);
  } else {
    l.file.path = o.file;
    l.scale_spec = o.scale.empty() ? "nasa" : o.scale;
    l.scale = trl::load_scale(l.scale_spec, ".", "");
    l.file.scale = l.scale_spec;
    trl::Assessment& a = l.file.assessment;
    a.technology = o.technology;
    a.date = today_utc();
    a.assessor = o.assessor;
    if (a.assessor.empty()) {
      if (const char* u = std::getenv("USER"); u != nullptr) a.assessor = u;
    }
  }
  trl::Assessment& a = l.file.assessment;
  std::size_t ei = 0;
  if (!o.element.empty()) {
    while (ei < a.elements.size() && a.elements[ei].id != o.element) ++ei;
    if (ei == a.elements.size()) {
      trl::Element e;
      e.id = e.name = o.element;
      a.elements.push_back(e);
      l.file.multi = true;
    }
  } else if (a.elements.empty()) {
    trl::Element e;
    e.id = e.name = a.technology.empty() ? "technology" : a.technology;
    a.elements.push_back(e);
  }
  trl::Element& el = a.elements[ei];
  if (!o.kind.empty()) {
    el.kind = o.kind == "hardware" ? trl::Kind::kHardware : trl::Kind::kSoftware;
  }
  std::ostream& tty = ctx.err;
  const auto [total, done] = trl::progress(l.scale, el);
  tty << "rlab trl ask: " << l.scale.name << " (" << l.scale.version << "), element '" << el.id
      << "' (" << trl::kind_name(el.kind) << "), " << done << "/" << total << " answered"
      << (done > 0 ? " - resuming" : "") << "\n"
      << "answers are saved to " << o.file << " after each question; q quits, Ctrl-C is safe\n";
  int last_level = 0;
  while (const trl::Criterion* c = trl::next_question(l.scale, el)) {
    const trl::Level* level = nullptr;
    for (const auto& lv : l.scale.levels) {
      for (const auto& cc : lv.criteria) {
        if (&cc == c) level = &lv;
      }
    }
    if (level->level != last_level) {
      last_level = level->level;
      tty << "\nTRL " << level->level << ": " << level->definition << "\n";
      if (!level->success_criteria.empty())
        tty << "  success criteria: " << level->success_criteria << "\n";
    }
    const auto [t2, d2] = trl::progress(l.scale, el);
    tty << "\n[" << d2 + 1 << "/" << t2 << "] " << c->id << (c->required ? "" : " (optional)")
        << ": " << c->text << "\n";
    trl::TypedAnswer typed;
    std::string line;
    for (;;) {
      tty << "  percent complete (0-100, y = 100, n = 0" << (c->required ? "" : ", na")
          << "; q to quit): " << std::flush;
      if (!std::getline(std::cin, line)) {
        tty << "\n";
        throw InterruptedError("questionnaire ended (end of input); " + std::to_string(d2) +
                               " answers are saved in " + o.file + "; run 'rlab trl ask " + o.file +
                               "' to resume");
      }
      if (line == "q" || line == "quit") {
        tty << "saved " << d2 << "/" << t2 << " answers in " << o.file << "; run 'rlab trl ask "
            << o.file << "' to resume\n";
        return ExitCode::kSuccess;
      }
      if (trl::parse_typed_answer(line, typed) && !(typed.not_applicable && c->required)) break;
      tty << "  please type a number 0-100, y or n" << (c->required ? "" : ", or na") << "\n";
    }
    trl::Answer ans;
    ans.criterion = c->id;
    ans.percent = typed.percent;
    ans.not_applicable = typed.not_applicable;
    if (!typed.not_applicable) {
      tty << "  evidence (paths, URLs, DOIs; separated by spaces or commas; empty for none): "
          << std::flush;
      if (std::getline(std::cin, line)) ans.evidence = trl::split_evidence(line);
      tty << "  note (empty for none): " << std::flush;
      if (std::getline(std::cin, line)) {
        const auto b = line.find_first_not_of(" \t");
        ans.note = b == std::string::npos ? "" : line.substr(b);
      }
    }
    el.answers.push_back(ans);
    write_file_atomic(o.file, trl::answers_yaml(l.file, l.scale));
  }
  tty << "\nall " << total << " criteria answered; saved in " << o.file << "\n\n";
  trl::validate_answers(l.scale, a, l.file.where);
  const Result r = trl::assess(l.scale, a);
  const auto inv = evidence_inventory(l);
  if (ctx.options.format == Format::kJson) {
    emit(o, ctx, assess_json(l, r, inv, o).dump(2) + "\n");
  } else {
    emit(o, ctx, assess_text(l, r, inv, ctx.options.format == Format::kMd));
  }
  return gate(o, r, a, ctx);
}

void add_assess_options(CLI::App& app, Options& o) {
  app.add_option("--scale", o.scale,
                 "Scale: nasa, eu, or a scale file (default: the file's, else nasa)")
      ->type_name("SCALE")
      ->check(cli::values({"nasa", "eu"}));
  app.add_option("--require", o.require, "Exit 1 when the (system) level is below N")
      ->type_name("N")
      ->check(cli::whole<int>(1, 1000));
  app.add_flag("--record", o.record, "Append this assessment to the history file");
  app.add_option("--history", o.history, "History file (JSON Lines; default trl-history.jsonl)")
      ->type_name("FILE");
  app.add_option("-o,--output", o.output, "Write the report to FILE (atomically)")
      ->type_name("FILE");
}

}  // namespace

Command trl_command() {
  return {
      "trl", "technology readiness level: assessment with evidence, gaps and history",
      [](CLI::App& sub, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        sub.add_option("file", o->file, "Answers file (YAML): same as 'rlab trl assess FILE'")
            ->type_name("FILE");
        add_assess_options(sub, *o);

        CLI::App* levels =
            sub.add_subcommand("levels", "print a scale's levels, definitions and criteria");
        levels->add_option("--scale", o->scale, "Scale: nasa (default), eu, or a scale file")
            ->type_name("SCALE")
            ->check(cli::values({"nasa", "eu"}));
        levels->add_option("-o,--output", o->output, "Write to FILE (atomically)")
            ->type_name("FILE");

        CLI::App* assess = sub.add_subcommand("assess", "assess a technology from an answers file");
        assess->add_option("file", o->file, "Answers file (YAML)")->type_name("FILE")->required();
        add_assess_options(*assess, *o);

        CLI::App* ask =
            sub.add_subcommand("ask", "interactive questionnaire on a terminal; resumable");
        ask->add_option("file", o->file, "Answers file to write (created, or resumed)")
            ->type_name("FILE")
            ->required();
        ask->add_option("--scale", o->scale,
                        "Scale for a new file: nasa (default), eu, or a scale file")
            ->type_name("SCALE")
            ->check(cli::values({"nasa", "eu"}));
        ask->add_option("--kind", o->kind, "Element kind: software (default) or hardware")
            ->type_name("KIND")
            ->check(cli::one_of({"hardware", "software"}));
        ask->add_option("--element", o->element, "Element to answer (added when new)")
            ->type_name("ID");
        ask->add_option("--technology", o->technology, "Technology name for a new file")
            ->type_name("NAME");
        ask->add_option("--assessor", o->assessor, "Assessor for a new file (default $USER)")
            ->type_name("NAME");
        ask->add_option("--require", o->require, "Exit 1 when the level is below N")
            ->type_name("N")
            ->check(cli::whole<int>(1, 1000));

        CLI::App* history = sub.add_subcommand("history", "list recorded assessments");
        history->add_option("--history", o->history, "History file (default trl-history.jsonl)")
            ->type_name("FILE");

        CLI::App* diff = sub.add_subcommand("diff", "what changed between two assessments");
        diff->add_option("a", o->a, "Record number, latest, previous, or an answers file")
            ->required();
        diff->add_option("b", o->b, "Record number, latest, previous, or an answers file")
            ->required();
        diff->add_option("--history", o->history, "History file (default trl-history.jsonl)")
            ->type_name("FILE");
        diff->add_option("--scale", o->scale, "Scale for answers-file operands")
            ->type_name("SCALE")
            ->check(cli::values({"nasa", "eu"}));

        CLI::App* quick =
            sub.add_subcommand("quick", "the lab's five milestones mapped onto NASA TRLs");
        const auto& ms = trl::milestones();
        for (std::size_t i = 0; i < ms.size(); ++i) {
          quick->add_flag_callback(
              "--" + ms[i].flag, [o, i] { o->milestones[i] = true; },
              ms[i].label + " (NASA TRL " + std::to_string(ms[i].level) + ")");
        }
        quick->add_option("--require", o->require, "Exit 1 when the level is below N")
            ->type_name("N")
            ->check(cli::whole<int>(1, 9));

        sub.footer(
            "Examples:\n"
            "  rlab trl levels --scale eu\n"
            "  rlab trl assess configs/examples/trl.yaml --require 4 --record\n"
            "  rlab trl ask answers.yaml        (interactive; resumes where it stopped)\n"
            "  rlab trl history;  rlab trl diff previous latest\n"
            "  rlab trl quick --theory --lab-prototype\n"
            "Formats: table (default), json, md.");
        return [o, &ctx, levels, assess, ask, history, diff, quick]() -> ExitCode {
          if (levels->parsed()) return run_levels(*o, ctx);
          if (assess->parsed()) return run_assess(*o, ctx);
          if (ask->parsed()) return run_ask(*o, ctx);
          if (history->parsed()) return run_history(*o, ctx);
          if (diff->parsed()) return run_diff(*o, ctx);
          if (quick->parsed()) return run_quick(*o, ctx);
          if (!o->file.empty() || !ctx.options.config_path.empty()) return run_assess(*o, ctx);
          throw UsageError("trl needs a subcommand or an answers file: " +
                           std::string("levels, assess FILE, ask FILE, history, diff A B, quick; "
                                       "run 'rlab trl --help'"));
        };
      }};
}

}  // namespace rlab
