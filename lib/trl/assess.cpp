// `rlab trl levels|assess|quick`: a scale's levels, an assessment with evidence and gaps, the
// quick milestone check.
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"
#include "rlab/trl.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "command_parts.h"
#include "read.h"

namespace rlab::trl_cmd {

std::string pct(double v) { return format_fixed(v, 1) + "%"; }

void emit(const Options& o, Context& ctx, const std::string& text) {
  write_output(ctx.out, o.output, text);
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

Loaded load_assessment(const std::string& path, const Options& o, Context& ctx, bool allow_empty) {
  const ConfigNode root = load_config_file(path);
  const ConfigNode section = select_section(root, "trl", ctx.config_sections);
  apply_overrides(section, "trl", ctx.options.sets);
  Loaded l{trl::read_answers(section, path, allow_empty), Scale{}, ""};
  l.scale_spec = o.scale.empty() ? l.file.scale : o.scale;
  l.scale = trl::load_scale(l.scale_spec, dir_of(path), o.scale.empty() ? l.file.scale_where : "");
  l.file.scale = l.scale_spec;
  trl::check_scale_version(l.file, l.scale);
  return l;
}

std::vector<EvidenceItem> evidence_inventory(const Loaded& l) {
  std::vector<EvidenceItem> v;
  const std::string base = dir_of(l.file.path);
  for (const auto& e : l.file.assessment.elements) {
    for (const auto& lev : l.scale.levels) {  // scale order
      for (const auto& c : lev.criteria) {
        for (const auto& a : e.answers) {
          if (a.criterion != c.id) continue;
          for (const auto& item : a.evidence) {
            EvidenceItem ev{e.id, a.criterion, item, trl::evidence_type(item), std::nullopt};
            if (ev.type == "path") {
              ev.exists = path_exists(item[0] == '/' ? item : base + "/" + item);
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

json record_json(const Loaded& l, const Result& r, const Clock& clock) {
  const trl::Snapshot snap = trl::snapshot(l.scale, l.file.assessment, r);
  json j;
  j["recorded_at"] = clock.utc_timestamp();
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
    append_line_durable(path, record_json(l, r, ctx.clock).dump());
    ctx.log.info("recorded in " + path);
  }
  return gate(o, r, l.file.assessment, ctx);
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

}  // namespace rlab::trl_cmd
