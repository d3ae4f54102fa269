#include "rlab/trl.h"

#include "rlab/error.h"
#include "rlab/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

namespace rlab::trl {

namespace {

[[noreturn]] void fail_at(const std::string& where, const std::string& message) {
  throw InputError((where.empty() ? "" : where + ": ") + message);
}

std::string pct(double v) { return format_number(v, 6); }

}  // namespace

std::string kind_name(Kind kind) { return kind == Kind::kHardware ? "hardware" : "software"; }

void validate_scale(const Scale& scale) {
  if (scale.levels.empty()) fail_at(scale.where, "scale '" + scale.id + "' has no levels");
  std::map<std::string, const Criterion*> seen;
  for (std::size_t i = 0; i < scale.levels.size(); ++i) {
    const Level& l = scale.levels[i];
    const int expected = static_cast<int>(i) + 1;
    if (l.level != expected) {
      if (i > 0 && l.level == scale.levels[i - 1].level) {
        fail_at(l.where, "level " + std::to_string(l.level) + " is listed twice");
      }
      if (i == 0) {
        fail_at(l.where, "levels must start at 1, got " + std::to_string(l.level));
      }
      fail_at(l.where, "gap in levels: level " + std::to_string(l.level) + " follows level " +
                           std::to_string(scale.levels[i - 1].level) + " (expected " +
                           std::to_string(expected) + ")");
    }
    if (l.definition.empty()) {
      fail_at(l.where, "level " + std::to_string(l.level) + " has no definition");
    }
    if (l.criteria.empty()) {
      fail_at(l.where, "level " + std::to_string(l.level) + " has no criteria");
    }
    for (const Criterion& c : l.criteria) {
      const auto [it, fresh] = seen.emplace(c.id, &c);
      if (!fresh) {
        fail_at(c.where,
                "duplicate criterion id '" + c.id + "' (first at " + it->second->where + ")");
      }
      if (!c.hardware && !c.software) {
        fail_at(c.where, "criterion '" + c.id + "' applies to nothing (hardware or software)");
      }
    }
  }
}

namespace {
const Criterion* find_criterion(const Scale& scale, const std::string& id) {
  for (const Level& l : scale.levels) {
    for (const Criterion& c : l.criteria) {
      if (c.id == id) return &c;
    }
  }
  return nullptr;
}

std::vector<std::string> all_ids(const Scale& scale) {
  std::vector<std::string> ids;
  for (const Level& l : scale.levels) {
    for (const Criterion& c : l.criteria) ids.push_back(c.id);
  }
  return ids;
}
}  // namespace

void validate_answers(const Scale& scale, const Assessment& a, const std::string& where_answers) {
  if (a.elements.empty()) fail_at(where_answers, "no answers: the assessment has no elements");
  std::size_t total = 0;
  std::set<std::string> element_ids;
  for (const Element& e : a.elements) {
    if (!element_ids.insert(e.id).second) {
      fail_at(e.where, "duplicate element id '" + e.id + "'");
    }
    std::map<std::string, const Answer*> seen;
    for (const Answer& ans : e.answers) {
      const Criterion* c = find_criterion(scale, ans.criterion);
      if (c == nullptr) {
        fail_at(ans.where, "unknown criterion '" + ans.criterion + "' in scale '" + scale.id + "'" +
                               did_you_mean(ans.criterion, all_ids(scale)));
      }
      if (!seen.emplace(ans.criterion, &ans).second) {
        fail_at(ans.where,
                "criterion '" + ans.criterion + "' is answered twice in element '" + e.id + "'");
      }
      if (ans.not_applicable && c->required) {
        fail_at(ans.where, "criterion '" + ans.criterion +
                               "' is required; n/a is allowed only for optional criteria");
      }
      if (ans.percent && (*ans.percent < 0 || *ans.percent > 100 || std::isnan(*ans.percent))) {
        fail_at(ans.where, "percent " + pct(*ans.percent) + " is outside 0-100");
      }
    }
    total += e.answers.size();
  }
  if (total == 0) fail_at(where_answers, "no answers: nothing to assess");
}

std::string definition_of(const Scale& scale, int level) {
  if (level < 1 || level > static_cast<int>(scale.levels.size())) return "";
  return scale.levels[static_cast<std::size_t>(level - 1)].definition;
}

Result assess(const Scale& scale, const Assessment& a) {
  Result r;
  r.elements.reserve(a.elements.size());
  for (const Element& e : a.elements) {
    ElementResult er;
    er.element = &e;
    std::map<std::string, const Answer*> answers;
    for (const Answer& ans : e.answers) answers[ans.criterion] = &ans;
    for (const Level& l : scale.levels) {
      LevelResult lr;
      lr.level = l.level;
      lr.def = &l;
      double wsum = 0;
      double wpct = 0;
      for (const Criterion& c : l.criteria) {
        CriterionResult cr;
        cr.criterion = &c;
        const auto it = answers.find(c.id);
        cr.answer = it == answers.end() ? nullptr : it->second;
        cr.applicable = c.applies(e.kind) && !(cr.answer != nullptr && cr.answer->not_applicable);
        cr.percent = cr.answer != nullptr && cr.answer->percent ? *cr.answer->percent : 0;
        cr.met = cr.applicable && cr.percent >= a.threshold;
        if (cr.applicable) {
          wsum += c.weight;
          wpct += c.weight * cr.percent;
          if (c.required) {
            ++lr.required_total;
            if (cr.met) ++lr.required_met;
          }
        }
        lr.criteria.push_back(cr);
      }
      lr.completion = wsum > 0 ? wpct / wsum : 100;
      lr.met = lr.required_met == lr.required_total;
      er.levels.push_back(std::move(lr));
    }
    // Cumulative: the first failed level stops the count; anything met above it is a hole.
    for (const LevelResult& lr : er.levels) {
      if (er.first_failed == 0 && !lr.met) er.first_failed = lr.level;
      if (er.first_failed == 0) {
        er.level = lr.level;
        continue;
      }
      if (lr.level == er.first_failed) continue;
      for (const CriterionResult& cr : lr.criteria) {
        if (cr.met) er.holes.push_back({lr.level, cr.criterion->id});
      }
    }
    if (er.level < static_cast<int>(er.levels.size())) {
      for (const CriterionResult& cr : er.levels[static_cast<std::size_t>(er.level)].criteria) {
        if (cr.applicable && !cr.met) er.next_missing.push_back(&cr);
      }
    }
    r.elements.push_back(std::move(er));
  }
  if (!r.elements.empty()) {
    r.level = r.elements.front().level;
    for (const ElementResult& er : r.elements) r.level = std::min(r.level, er.level);
    for (std::size_t i = 0; i < r.elements.size(); ++i) {
      if (r.elements[i].level == r.level) r.bottleneck.push_back(i);
    }
  }
  return r;
}

// ---- quick mode ------------------------------------------------------------------------------

const std::vector<Milestone>& milestones() {
  static const std::vector<Milestone> kMilestones = {
      {"theory", "theory proven", 3},
      {"lab-prototype", "lab prototype", 4},
      {"relevant-env", "relevant environment", 6},
      {"operational-env", "operational environment", 7},
      {"product-ready", "product ready", 9},
  };
  return kMilestones;
}

QuickResult quick(const std::vector<bool>& claimed) {
  QuickResult q;
  const auto& ms = milestones();
  q.counted.assign(ms.size(), false);
  bool broken = false;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    const bool c = i < claimed.size() && claimed[i];
    if (!broken && c) {
      q.counted[i] = true;
      q.level = ms[i].level;
    } else if (!broken) {
      broken = true;
      q.first_missing = ms[i].flag;
    } else if (c) {
      q.ignored.push_back(ms[i].flag);
    }
  }
  return q;
}

// ---- questionnaire ---------------------------------------------------------------------------

const Criterion* next_question(const Scale& scale, const Element& element) {
  std::set<std::string> answered;
  for (const Answer& a : element.answers) answered.insert(a.criterion);
  for (const Level& l : scale.levels) {
    for (const Criterion& c : l.criteria) {
      if (c.applies(element.kind) && answered.count(c.id) == 0) return &c;
    }
  }
  return nullptr;
}

std::pair<int, int> progress(const Scale& scale, const Element& element) {
  std::set<std::string> answered;
  for (const Answer& a : element.answers) answered.insert(a.criterion);
  int total = 0;
  int done = 0;
  for (const Level& l : scale.levels) {
    for (const Criterion& c : l.criteria) {
      if (!c.applies(element.kind)) continue;
      ++total;
      if (answered.count(c.id) != 0) ++done;
    }
  }
  return {total, done};
}

bool parse_typed_answer(const std::string& text, TypedAnswer& out) {
  std::string t = ascii_lower(trim(text, " \t\r\n"));
  if (t == "y" || t == "yes") {
    out = {100.0, false};
    return true;
  }
  if (t == "n" || t == "no") {
    out = {0.0, false};
    return true;
  }
  if (t == "na" || t == "n/a") {
    out = {std::nullopt, true};
    return true;
  }
  if (!t.empty() && t.back() == '%') t = trim(t.substr(0, t.size() - 1), " \t\r\n");
  if (t.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v) || v < 0 || v > 100) return false;
  out = {v, false};
  return true;
}

std::vector<std::string> split_evidence(const std::string& text) {
  std::vector<std::string> items;
  std::string cur;
  for (char c : text) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c)) != 0) {
      if (!cur.empty()) items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) items.push_back(cur);
  return items;
}

std::string evidence_type(const std::string& item) {
  const std::string l = ascii_lower(item);
  if (l.rfind("doi:", 0) == 0 || l.rfind("10.", 0) == 0 ||
      l.find("doi.org/") != std::string::npos) {
    return "doi";
  }
  if (l.find("://") != std::string::npos) return "url";
  return "path";
}

// ---- history and diff ------------------------------------------------------------------------

Snapshot snapshot(const Scale& scale, const Assessment& a, const Result& r) {
  Snapshot s;
  s.date = a.date;
  s.assessor = a.assessor;
  s.technology = a.technology;
  s.scale_id = scale.id;
  s.scale_version = scale.version;
  s.threshold = a.threshold;
  s.level = r.level;
  for (std::size_t i : r.bottleneck) s.bottleneck.push_back(a.elements[i].id);
  for (std::size_t i = 0; i < a.elements.size(); ++i) {
    const Element& e = a.elements[i];
    SnapshotElement se;
    se.id = e.id;
    se.level = r.elements[i].level;
    for (const Level& l : scale.levels) {  // scale order, so records read level by level
      for (const Criterion& c : l.criteria) {
        for (const Answer& ans : e.answers) {
          if (ans.criterion != c.id) continue;
          se.items.push_back({c.id, ans.percent.value_or(0), ans.not_applicable, ans.evidence});
        }
      }
    }
    s.elements.push_back(std::move(se));
  }
  return s;
}

namespace {
std::string item_value(const SnapshotElement::Item& it) {
  return it.not_applicable ? "n/a" : pct(it.percent) + "%";
}
}  // namespace

Diff diff(const Snapshot& a, const Snapshot& b) {
  Diff d;
  d.level_before = a.level;
  d.level_after = b.level;
  d.scale_changed = a.scale_id != b.scale_id || a.scale_version != b.scale_version;
  std::map<std::string, const SnapshotElement*> before;
  for (const auto& e : a.elements) before[e.id] = &e;
  std::set<std::string> in_b;
  for (const auto& eb : b.elements) {
    in_b.insert(eb.id);
    const auto it = before.find(eb.id);
    if (it == before.end()) {
      d.changes.push_back({eb.id, "", "added", "", "level " + std::to_string(eb.level)});
      continue;
    }
    const SnapshotElement& ea = *it->second;
    if (ea.level != eb.level) {
      d.changes.push_back({eb.id, "", "level", std::to_string(ea.level), std::to_string(eb.level)});
    }
    std::map<std::string, const SnapshotElement::Item*> items_a;
    for (const auto& x : ea.items) items_a[x.criterion] = &x;
    std::set<std::string> seen;
    auto evidence_changes = [&](const std::string& crit, const std::vector<std::string>& ev_a,
                                const std::vector<std::string>& ev_b) {
      for (const auto& x : ev_b) {
        if (std::find(ev_a.begin(), ev_a.end(), x) == ev_a.end()) {
          d.changes.push_back({eb.id, crit, "evidence+", "", x});
        }
      }
      for (const auto& x : ev_a) {
        if (std::find(ev_b.begin(), ev_b.end(), x) == ev_b.end()) {
          d.changes.push_back({eb.id, crit, "evidence-", x, ""});
        }
      }
    };
    for (const auto& xb : eb.items) {
      seen.insert(xb.criterion);
      const auto ia = items_a.find(xb.criterion);
      if (ia == items_a.end()) {
        d.changes.push_back({eb.id, xb.criterion, "percent", "unanswered", item_value(xb)});
        evidence_changes(xb.criterion, {}, xb.evidence);
        continue;
      }
      const auto& xa = *ia->second;
      if (item_value(xa) != item_value(xb)) {
        d.changes.push_back({eb.id, xb.criterion, "percent", item_value(xa), item_value(xb)});
      }
      evidence_changes(xb.criterion, xa.evidence, xb.evidence);
    }
    for (const auto& xa : ea.items) {
      if (seen.count(xa.criterion) != 0) continue;
      d.changes.push_back({eb.id, xa.criterion, "percent", item_value(xa), "unanswered"});
      evidence_changes(xa.criterion, xa.evidence, {});
    }
  }
  for (const auto& ea : a.elements) {
    if (in_b.count(ea.id) == 0) {
      d.changes.push_back({ea.id, "", "removed", "level " + std::to_string(ea.level), ""});
    }
  }
  return d;
}

}  // namespace rlab::trl
