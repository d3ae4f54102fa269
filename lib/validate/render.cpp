// `rlab validate`: a report rendered as a table (plain, CSV, Markdown) with its summary lines,
// as JSON and as JUnit XML.
#include "rlab/output.h"
#include "rlab/text.h"
#include "rlab/validate.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "command_parts.h"

namespace rlab::validate_cmd {

using nlohmann::json;

namespace {

std::string correction_name(v::Correction c) {
  return c == v::Correction::kHolm         ? "holm"
         : c == v::Correction::kBonferroni ? "bonferroni"
                                           : "none";
}
std::string center_name(v::Center c) {
  return c == v::Center::kMean ? "mean" : c == v::Center::kMedian ? "median" : "iqm";
}
std::string direction_name(v::Direction d) {
  return d == v::Direction::kHigher ? "higher" : "lower";
}

json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

std::string min_effect_text(const v::MinEffect& e) {
  return e.relative ? format_number(e.value * 100, 6) + "%" : "abs:" + format_number(e.value, 6);
}

double center_value(const v::Summary& s, v::Center c) {
  return c == v::Center::kMean ? s.mean : c == v::Center::kMedian ? s.median : s.iqm;
}

std::string signed_pct(double x, int decimals) {
  return (x > 0 ? "+" : "") + format_fixed(x * 100, decimals) + "%";
}
std::string signed_num(double x) { return (x > 0 ? "+" : "") + format_number(x, 4); }

std::string delta_cell(const v::MetricResult& r) {
  if (r.delta_rel) return signed_pct(*r.delta_rel, 2);
  return signed_num(r.delta_abs);
}

std::string ci_cell(const v::MetricResult& r, v::Center c) {
  if (!r.ci) return "-";
  if (r.delta_rel) {
    const double d = std::fabs(center_value(r.baseline.summary, c));
    return "[" + signed_pct(r.ci->lo / d, 1) + ", " + signed_pct(r.ci->hi / d, 1) + "]";
  }
  return "[" + signed_num(r.ci->lo) + ", " + signed_num(r.ci->hi) + "]";
}

std::string p_cell(double p) {
  if (std::isnan(p)) return "-";
  if (p < 0.001) return p == 0 ? "0" : format_number(p, 2);
  return format_fixed(p, 3);
}

std::string side_cell(const v::SideStats& s, v::Center c, bool with_n) {
  const double center = center_value(s.summary, c);
  std::string cell;
  if (s.summary.n >= 2 && std::isfinite(s.summary.sd) && s.summary.sd > 0) {
    // Two significant digits of the sd, and the centre to the same decimal place.
    const int decimals =
        std::clamp(1 - static_cast<int>(std::floor(std::log10(s.summary.sd))), 0, 12);
    cell = format_fixed(center, decimals) + " ± " + format_fixed(s.summary.sd, decimals);
  } else {
    cell = format_number(center, 6) + (s.summary.n >= 2 ? " ± 0" : "");
  }
  if (with_n) cell += " (n=" + std::to_string(s.summary.n) + ")";
  return cell;
}

std::string tests_text(const v::Options& o, bool paired) {
  std::string s;
  for (v::Test t : o.tests) {
    v::Test a = t;
    if (paired && t == v::Test::kWelch) a = v::Test::kPairedT;
    if (paired && t == v::Test::kStudent) a = v::Test::kPairedT;
    if (paired && t == v::Test::kMwu) a = v::Test::kWilcoxon;
    s += (s.empty() ? "" : ", ") + v::test_name(a);
  }
  return s;
}

bool any_paired(const v::Options& o) {
  return o.paired || std::any_of(o.tests.begin(), o.tests.end(), v::is_paired);
}

json side_json(const v::SideStats& s) {
  json j = {{"n", s.summary.n},          {"mean", num(s.summary.mean)},
            {"std", num(s.summary.sd)},  {"median", num(s.summary.median)},
            {"iqm", num(s.summary.iqm)}, {"values", s.values}};
  j["seeds"] = s.seeds.empty() ? json(nullptr) : json(s.seeds);
  return j;
}

json test_json(const v::TestResult& t) {
  return {{"name", t.name},
          {"statistic", num(t.statistic)},
          {"df", num(t.df)},
          {"p", num(t.p)},
          {"method", t.method}};
}

}  // namespace

Table make_table(const v::Report& rep, const v::Options& o, bool full) {
  Table t;
  bool same_n = true;
  std::size_t nb = 0;
  std::size_t nc = 0;
  for (const auto& m : rep.metrics) {
    if (nb == 0) {
      nb = m.baseline.summary.n;
      nc = m.candidate.summary.n;
    }
    same_n = same_n && m.baseline.summary.n == nb && m.candidate.summary.n == nc;
  }
  const std::string conf = format_number(o.confidence * 100, 4) + "% CI";
  if (full) {
    t.headers = {"metric",
                 "direction",
                 "baseline_n",
                 "baseline_mean",
                 "baseline_sd",
                 "baseline_median",
                 "baseline_iqm",
                 "candidate_n",
                 "candidate_mean",
                 "candidate_sd",
                 "candidate_median",
                 "candidate_iqm",
                 "delta_abs",
                 "delta_rel",
                 "ci_lo",
                 "ci_hi",
                 "ci_method",
                 "test",
                 "statistic",
                 "df",
                 "p",
                 "p_adj",
                 "method",
                 "hedges_g",
                 "cliffs_delta",
                 "p_better",
                 "verdict",
                 "gate_failed"};
    auto f = [](double x) { return std::isfinite(x) ? format_number(x, 12) : std::string(); };
    for (const auto& m : rep.metrics) {
      const auto& b = m.baseline.summary;
      const auto& c = m.candidate.summary;
      const v::TestResult* t0 = m.tests.empty() ? nullptr : &m.tests.front();
      t.rows.push_back({m.name,
                        direction_name(m.direction),
                        std::to_string(b.n),
                        f(b.mean),
                        f(b.sd),
                        f(b.median),
                        f(b.iqm),
                        std::to_string(c.n),
                        f(c.mean),
                        f(c.sd),
                        f(c.median),
                        f(c.iqm),
                        f(m.delta_abs),
                        m.delta_rel ? f(*m.delta_rel) : "",
                        m.ci ? f(m.ci->lo) : "",
                        m.ci ? f(m.ci->hi) : "",
                        m.ci_method,
                        t0 ? t0->name : "",
                        t0 ? f(t0->statistic) : "",
                        t0 ? f(t0->df) : "",
                        t0 ? f(t0->p) : "",
                        f(m.p_adj),
                        t0 ? t0->method : "",
                        f(m.hedges_g),
                        f(m.cliffs_delta),
                        f(m.p_better),
                        v::verdict_name(m.verdict),
                        m.gate_failed ? "true" : "false"});
    }
    return t;
  }
  const std::string bh = rep.baseline_label + (same_n ? " n=" + std::to_string(nb) : "");
  const std::string ch = rep.candidate_label + (same_n ? " n=" + std::to_string(nc) : "");
  t.headers = {"metric", "dir", bh, ch, "Δ", conf, "p", "verdict"};
  t.numeric_columns = {4, 6};
  for (const auto& m : rep.metrics) {
    t.rows.push_back({m.name, m.direction == v::Direction::kHigher ? "↑" : "↓",
                      side_cell(m.baseline, o.center, !same_n),
                      side_cell(m.candidate, o.center, !same_n), delta_cell(m),
                      ci_cell(m, o.center), p_cell(m.p_adj),
                      v::verdict_name(m.verdict) + (m.gate_failed ? " (fails gate)" : "")});
  }
  return t;
}

std::string summary_lines(const v::Report& rep, const v::Options& o, const char* bullet) {
  std::string s;
  auto line = [&](const std::string& t) { s += bullet + t + "\n"; };
  line("Δ: change of the " + center_name(o.center) + ", positive = better; test " +
       tests_text(o, any_paired(o)) + " (two-sided), alpha " + format_number(o.alpha, 4) + ", " +
       correction_name(o.correction) + " across " + std::to_string(rep.metrics.size()) +
       " metric(s)" + (o.tests.size() > 1 ? " (first test decides)" : ""));
  std::string counts = std::to_string(rep.improved) + " improved, " +
                       std::to_string(rep.regressed) + " regressed, " +
                       std::to_string(rep.no_difference) + " ~, " +
                       std::to_string(rep.insufficient) + " insufficient";
  line("verdict: " + v::verdict_name(rep.verdict) + " (" + counts + "); gate --fail-on " +
       v::fail_on_name(o.fail_on) + ": " + (rep.gate_failed ? "FAILED (exit 1)" : "passed"));
  return s;
}

json to_json(const v::Report& rep, const v::Options& o, const v::Side& b, const v::Side& c) {
  json cfg;
  cfg["baseline"] = {{"label", b.label}, {"files", b.files}};
  cfg["candidate"] = {{"label", c.label}, {"files", c.files}};
  json tests = json::array();
  for (v::Test t : o.tests) tests.push_back(v::test_name(t));
  cfg["tests"] = tests;
  cfg["paired"] = any_paired(o);
  cfg["alpha"] = o.alpha;
  cfg["confidence"] = o.confidence;
  cfg["correction"] = correction_name(o.correction);
  cfg["center"] = center_name(o.center);
  cfg["bootstrap"] = o.bootstrap;
  cfg["seed"] = o.seed;
  cfg["warn_runs"] = o.warn_runs;
  cfg["fail_on"] = v::fail_on_name(o.fail_on);
  cfg["min_effect"] = min_effect_text(o.min_effect);
  json metrics = json::array();
  for (const auto& m : rep.metrics) {
    json j;
    j["name"] = m.name;
    j["direction"] = direction_name(m.direction);
    j["baseline"] = side_json(m.baseline);
    j["candidate"] = side_json(m.candidate);
    json delta = {{"abs", num(m.delta_abs)},
                  {"rel", m.delta_rel ? num(*m.delta_rel) : json(nullptr)}};
    if (m.ci) {
      const double cb = std::fabs(center_value(m.baseline.summary, o.center));
      delta["ci"] = {{"lo", num(m.ci->lo)},
                     {"hi", num(m.ci->hi)},
                     {"method", m.ci_method},
                     {"rel_lo", m.delta_rel ? num(m.ci->lo / cb) : json(nullptr)},
                     {"rel_hi", m.delta_rel ? num(m.ci->hi / cb) : json(nullptr)}};
    } else {
      delta["ci"] = nullptr;
    }
    delta["bootstrap_ci"] = m.bootstrap
                                ? json({{"lo", num(m.bootstrap->lo)}, {"hi", num(m.bootstrap->hi)}})
                                : json(nullptr);
    j["delta"] = delta;
    if (m.tests.empty()) {
      j["test"] = nullptr;
    } else {
      j["test"] = test_json(m.tests.front());
      j["test"]["p_adj"] = num(m.p_adj);
    }
    json all = json::array();
    for (const auto& t : m.tests) all.push_back(test_json(t));
    j["tests"] = all;
    j["effect"] = {{"hedges_g", num(m.hedges_g)},
                   {"cliffs_delta", num(m.cliffs_delta)},
                   {"p_better", num(m.p_better)}};
    j["min_effect"] = min_effect_text(m.min_effect);
    j["verdict"] = v::verdict_name(m.verdict);
    j["gate_failed"] = m.gate_failed;
    j["warnings"] = m.warnings;
    metrics.push_back(j);
  }
  json out;
  out["schema_version"] = 1;
  out["config"] = cfg;
  out["metrics"] = metrics;
  out["summary"] = {{"verdict", v::verdict_name(rep.verdict)},
                    {"improved", rep.improved},
                    {"regressed", rep.regressed},
                    {"no_difference", rep.no_difference},
                    {"insufficient", rep.insufficient},
                    {"fail_on", v::fail_on_name(o.fail_on)},
                    {"gate_failed", rep.gate_failed},
                    {"exit_code", rep.gate_failed ? 1 : 0}};
  return out;
}

std::string to_junit(const v::Report& rep, const v::Options& o) {
  int failures = 0;
  int skipped = 0;
  for (const auto& m : rep.metrics) {
    failures += m.gate_failed ? 1 : 0;
    skipped += (!m.gate_failed && m.verdict == v::Verdict::kInsufficient) ? 1 : 0;
  }
  const std::string suite = "rlab validate: " + rep.candidate_label + " vs " + rep.baseline_label;
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<testsuites name=\"rlab validate\" tests=\"" + std::to_string(rep.metrics.size()) +
       "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\" skipped=\"" +
       std::to_string(skipped) + "\">\n";
  s += "  <testsuite name=\"" + xml_escape(suite) + "\" tests=\"" +
       std::to_string(rep.metrics.size()) + "\" failures=\"" + std::to_string(failures) +
       "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\">\n";
  for (const auto& m : rep.metrics) {
    std::string detail =
        v::verdict_name(m.verdict) + ": Δ " + delta_cell(m) + ", " +
        (m.tests.empty() ? std::string("no test")
                         : m.tests.front().name + " p=" + p_cell(m.tests.front().p) +
                               " p_adj=" + p_cell(m.p_adj)) +
        ", " + rep.baseline_label + " " + side_cell(m.baseline, o.center, true) + ", " +
        rep.candidate_label + " " + side_cell(m.candidate, o.center, true);
    s += "    <testcase classname=\"rlab.validate\" name=\"" + xml_escape(m.name) + "\">\n";
    if (m.gate_failed) {
      s += "      <failure type=\"" + xml_escape(v::verdict_name(m.verdict)) + "\" message=\"" +
           xml_escape(detail) + "\">" + xml_escape(detail) + "</failure>\n";
    } else if (m.verdict == v::Verdict::kInsufficient) {
      s += "      <skipped message=\"" + xml_escape(detail) + "\"/>\n";
    }
    std::string out = detail;
    for (const auto& w : m.warnings) out += "\nwarning: " + w;
    s += "      <system-out>" + xml_escape(out) + "</system-out>\n";
    s += "    </testcase>\n";
  }
  s += "  </testsuite>\n</testsuites>\n";
  return s;
}

}  // namespace rlab::validate_cmd
