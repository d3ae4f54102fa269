// `rlab validate`: run files of a baseline and a candidate -> analyse() -> table/json/csv/md,
// optional JUnit XML, and the gate's exit code.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"
#include "rlab/validate.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

namespace rlab {

namespace {

namespace v = validate;
using nlohmann::json;

struct Options {
  std::string baseline;
  std::string candidate;
  std::vector<std::string> metrics;
  std::vector<std::string> tests;
  std::optional<double> alpha;
  std::optional<double> confidence;
  std::string correction;
  std::string min_effect;
  std::string center;
  std::optional<int> bootstrap;
  std::optional<long long> seed;
  std::optional<int> warn_runs;
  std::string fail_on;
  std::string junit;
  std::string output;
};

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> glob_files(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

std::string dir_of(const std::string& file) {
  const auto slash = file.rfind('/');
  return slash == std::string::npos ? "" : file.substr(0, slash + 1);
}

// "[label=]path-or-glob-or-dir" -> label and files. Relative paths from a config file are
// resolved against the config's directory (`base`).
v::Side load_side(const std::string& spec, const std::string& default_label,
                  const std::string& base, const std::string& where, Context& ctx) {
  v::Side side;
  side.label = default_label;
  std::string path = spec;
  const auto eq = spec.find('=');
  if (eq != std::string::npos && eq > 0 && spec.substr(0, eq).find('/') == std::string::npos) {
    side.label = spec.substr(0, eq);
    path = spec.substr(eq + 1);
  }
  if (path.empty()) throw UsageError(where + ": no path given for the " + default_label);
  if (!base.empty() && path.front() != '/') path = base + path;
  if (is_dir(path)) {
    std::string d = path.back() == '/' ? path : path + "/";
    side.files = glob_files(d + "*/record.yaml");
    for (const char* ext : {"*.csv", "*.json", "*.jsonl", "*.yaml", "*.yml"}) {
      for (auto& f : glob_files(d + ext)) side.files.push_back(f);
    }
    if (side.files.empty()) {
      throw InputError(path +
                       ": no run files in this directory (looked for */record.yaml, "
                       "*.csv, *.json, *.jsonl, *.yaml)");
    }
  } else if (has_glob(path)) {
    side.files = glob_files(path);
    if (side.files.empty()) throw InputError(path + ": no file matches this pattern");
  } else {
    side.files = {path};
  }
  // A run that failed (no results in its record) is said and left out, not fatal.
  std::vector<std::string> skipped;
  for (const auto& f : side.files) {
    std::vector<v::Run> runs = v::parse_runs(read_file(f), f, &skipped);
    for (auto& r : runs) side.runs.push_back(std::move(r));
  }
  for (const auto& s : skipped) ctx.log.warn(s);
  if (side.runs.empty()) {
    throw InputError(path + ": no usable runs for the " + side.label + " (" +
                     std::to_string(skipped.size()) + " run record(s) without results skipped)");
  }
  return side;
}

v::Direction parse_direction(const std::string& s, bool& ok) {
  ok = true;
  if (s == "higher" || s == "max" || s == "up") return v::Direction::kHigher;
  if (s == "lower" || s == "min" || s == "down") return v::Direction::kLower;
  ok = false;
  return v::Direction::kHigher;
}

const std::vector<std::string> kDirections = {"higher", "lower"};

// NAME:higher|lower[:MIN_EFFECT] from the command line.
v::MetricSpec parse_metric_flag(const std::string& text) {
  const auto c1 = text.find(':');
  const std::string where = "--metric " + text;
  if (c1 == std::string::npos || c1 == 0) {
    throw UsageError(where + ": give the metric's direction, NAME:higher or NAME:lower");
  }
  v::MetricSpec m;
  m.name = text.substr(0, c1);
  m.where = where;
  const auto c2 = text.find(':', c1 + 1);
  const std::string dir =
      text.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
  bool ok = false;
  m.direction = parse_direction(dir, ok);
  if (!ok) {
    throw UsageError(where + ": unknown direction '" + dir + "', must be higher or lower" +
                     did_you_mean(dir, kDirections));
  }
  if (c2 != std::string::npos) m.min_effect = v::parse_min_effect(text.substr(c2 + 1));
  return m;
}

v::MinEffect min_effect_at(const ConfigNode& n) {
  try {
    return v::parse_min_effect(n.as_string());
  } catch (const UsageError& e) {
    n.fail(e.what());
  }
}

std::vector<v::MetricSpec> metrics_from_config(const ConfigNode& node) {
  std::vector<v::MetricSpec> out;
  if (!node.is_map()) {
    node.fail("'metrics' must be a map of metric name to direction, e.g. {accuracy: higher}, got " +
              node.kind());
  }
  for (const std::string& name : node.keys()) {
    const ConfigNode m = node[name];
    v::MetricSpec spec;
    spec.name = name;
    spec.where = m.location().str();
    ConfigNode dir = m;
    if (m.is_map()) {
      m.check_keys({"direction", "min_effect"});
      dir = m.required("direction");
      if (m.has("min_effect")) spec.min_effect = min_effect_at(m["min_effect"]);
    }
    bool ok = false;
    const std::string d = dir.is_scalar() ? dir.as_string() : "";
    spec.direction = parse_direction(d, ok);
    if (!ok) {
      dir.fail("unknown direction '" + d + "' for metric '" + name + "', must be higher or lower" +
               did_you_mean(d, kDirections));
    }
    out.push_back(spec);
  }
  return out;
}

}  // namespace

const config::Section& validate_config_section() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  static const Section kSection{
      "validate",
      "rlab validate: is the candidate's result a real change from the baseline's?",
      {
          text("baseline",
               "baseline runs: CSV/JSON files, globs, run folders or label=path, "
               "relative to this file",
               "baseline.csv"),
          text("candidate", "candidate runs, in the same forms", "candidate.csv"),
          any("metrics",
              "metric name to direction (higher | lower), or to "
              "{direction, min_effect}",
              "{accuracy: higher, loss: lower}",
              [](const ConfigNode& n) { (void)metrics_from_config(n); }),
          list("test",
               "welch | student | mwu | paired-t | wilcoxon, or a list (the first "
               "decides; default welch)",
               "welch"),
          flag("paired", "the runs are paired by seed (default false)", "false"),
          number("alpha", 1e-12, 0.5, "significance level (default 0.05)", "0.05"),
          number("confidence", 0.5, 0.999999, "confidence of the intervals (default 0.95)", "0.95"),
          choice("correction", {"holm", "bonferroni", "none"},
                 "multiple-comparison correction across the metrics (default holm)", "holm"),
          any("min_effect", "smallest change that matters: \"5%\" (relative) or \"abs:0.01\"", "0%",
              [](const ConfigNode& n) { (void)min_effect_at(n); }),
          choice("center", {"mean", "median", "iqm"}, "the statistic compared (default mean)",
                 "mean"),
          integer("bootstrap", 0, 10000000, "bootstrap resamples; 0 = none (default 10000)",
                  "10000"),
          integer("seed", 0, 1LL << 62, "seed of the bootstrap (default 0)", "0"),
          integer("warn_runs", 0, 1000000, "warn below this many runs a side (default 5)", "5"),
          choice("fail_on", {"regression", "not-improved", "inconclusive", "none"},
                 "what makes the exit code 1 (default regression)", "regression"),
      }};
  return kSection;
}

namespace {

v::Test parse_test(const std::string& s) {
  const auto& names = v::test_names();
  const auto it = std::find(names.begin(), names.end(), s);
  if (it == names.end()) {
    throw UsageError("unknown test '" + s +
                     "', must be one of welch, student, mwu, paired-t, "
                     "wilcoxon" +
                     did_you_mean(s, names));
  }
  return static_cast<v::Test>(it - names.begin());
}

std::vector<v::Test> parse_tests(const std::vector<std::string>& items) {
  std::vector<v::Test> out;
  for (const auto& item : items) {
    std::size_t pos = 0;
    while (pos <= item.size()) {
      const auto comma = item.find(',', pos);
      const std::string one =
          item.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!one.empty()) {
        const v::Test t = parse_test(one);
        if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  return out;
}

v::Correction parse_correction(const std::string& s) {
  if (s == "holm") return v::Correction::kHolm;
  if (s == "bonferroni") return v::Correction::kBonferroni;
  if (s == "none") return v::Correction::kNone;
  throw UsageError("unknown correction '" + s + "', must be holm, bonferroni or none" +
                   did_you_mean(s, {"holm", "bonferroni", "none"}));
}

v::Center parse_center(const std::string& s) {
  if (s == "mean") return v::Center::kMean;
  if (s == "median") return v::Center::kMedian;
  if (s == "iqm") return v::Center::kIqm;
  throw UsageError("unknown center '" + s + "', must be mean, median or iqm" +
                   did_you_mean(s, {"mean", "median", "iqm"}));
}

v::FailOn parse_fail_on(const std::string& s) {
  if (s == "regression") return v::FailOn::kRegression;
  if (s == "not-improved") return v::FailOn::kNotImproved;
  if (s == "inconclusive") return v::FailOn::kInconclusive;
  if (s == "none") return v::FailOn::kNone;
  throw UsageError("unknown --fail-on '" + s +
                   "', must be regression, not-improved, "
                   "inconclusive or none" +
                   did_you_mean(s, {"regression", "not-improved", "inconclusive", "none"}));
}

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

struct Setup {
  std::vector<v::MetricSpec> metrics;
  v::Options options;
  std::string baseline_spec, candidate_spec, baseline_base, candidate_base;
  std::string baseline_where = "BASELINE", candidate_where = "CANDIDATE";
};

// ---- rendering ----

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

json to_json(const v::Report& rep, const v::Options& o, const Setup& setup, const v::Side& b,
             const v::Side& c) {
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
  (void)setup;
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

// ---- options: defaults < config file < --set < flags ----

Setup resolve(const Options& o, const CLI::App& sub, Context& ctx) {
  Setup s;
  v::Options& opt = s.options;
  if (!ctx.options.config_path.empty()) {
    const std::string file = ctx.options.config_path;
    const ConfigNode root = load_config_file(file);
    const ConfigNode sec = select_section(root, "validate", ctx.config_sections);
    apply_overrides(sec, "validate", ctx.options.sets);
    config::check(sec, validate_config_section());
    const std::string base = dir_of(file);
    if (sec.has("baseline")) {
      s.baseline_spec = sec["baseline"].as_string();
      s.baseline_base = base;
      s.baseline_where = sec["baseline"].location().str();
    }
    if (sec.has("candidate")) {
      s.candidate_spec = sec["candidate"].as_string();
      s.candidate_base = base;
      s.candidate_where = sec["candidate"].location().str();
    }
    if (sec.has("metrics")) s.metrics = metrics_from_config(sec["metrics"]);
    if (sec.has("test")) {
      std::vector<std::string> items;
      for (const ConfigNode& t : sec["test"].items()) {
        const std::string name = t.as_string();
        try {
          for (v::Test x : parse_tests({name})) (void)x;
        } catch (const UsageError& e) {
          t.fail(e.what());
        }
        items.push_back(name);
      }
      opt.tests = parse_tests(items);
    }
    if (sec.has("paired")) opt.paired = sec["paired"].as_bool();
    if (sec.has("alpha")) opt.alpha = sec["alpha"].as_double();
    if (sec.has("confidence")) opt.confidence = sec["confidence"].as_double();
    if (sec.has("correction")) {
      opt.correction = parse_correction(sec["correction"].as_string());
    }
    if (sec.has("min_effect")) opt.min_effect = min_effect_at(sec["min_effect"]);
    if (sec.has("center")) opt.center = parse_center(sec["center"].as_string());
    if (sec.has("bootstrap")) opt.bootstrap = static_cast<int>(sec["bootstrap"].as_int());
    if (sec.has("seed")) opt.seed = static_cast<std::uint64_t>(sec["seed"].as_int());
    if (sec.has("warn_runs")) opt.warn_runs = static_cast<int>(sec["warn_runs"].as_int());
    if (sec.has("fail_on")) {
      opt.fail_on = parse_fail_on(sec["fail_on"].as_string());
    }
  } else if (!ctx.options.sets.empty()) {
    throw UsageError("--set needs a config file (--config FILE)");
  }
  if (!o.baseline.empty()) {
    s.baseline_spec = o.baseline;
    s.baseline_base.clear();
  }
  if (!o.candidate.empty()) {
    s.candidate_spec = o.candidate;
    s.candidate_base.clear();
  }
  if (!o.metrics.empty()) {
    s.metrics.clear();
    for (const auto& m : o.metrics) s.metrics.push_back(parse_metric_flag(m));
  }
  if (!o.tests.empty()) opt.tests = parse_tests(o.tests);
  if (sub.count("--paired") > 0) opt.paired = true;
  if (o.alpha) {
    if (!(*o.alpha > 0 && *o.alpha <= 0.5)) throw UsageError("--alpha must be in (0, 0.5]");
    opt.alpha = *o.alpha;
  }
  if (o.confidence) {
    if (!(*o.confidence >= 0.5 && *o.confidence < 1))
      throw UsageError("--confidence must be in [0.5, 1)");
    opt.confidence = *o.confidence;
  }
  if (!o.correction.empty()) opt.correction = parse_correction(o.correction);
  if (!o.min_effect.empty()) opt.min_effect = v::parse_min_effect(o.min_effect);
  if (!o.center.empty()) opt.center = parse_center(o.center);
  if (o.bootstrap) {
    if (*o.bootstrap < 0) throw UsageError("--bootstrap must be >= 0");
    opt.bootstrap = *o.bootstrap;
  }
  if (o.seed) opt.seed = static_cast<std::uint64_t>(*o.seed);
  if (o.warn_runs) opt.warn_runs = std::max(0, *o.warn_runs);
  if (!o.fail_on.empty()) opt.fail_on = parse_fail_on(o.fail_on);

  if (s.baseline_spec.empty() || s.candidate_spec.empty()) {
    throw UsageError(
        "validate needs a baseline and a candidate: rlab validate BASELINE CANDIDATE "
        "(files, globs or directories; label=path allowed), or --config FILE");
  }
  if (s.metrics.empty()) {
    throw UsageError(
        "no metric declared: give each metric to gate with its direction, "
        "--metric NAME:higher or --metric NAME:lower (or 'metrics:' in --config)");
  }
  for (std::size_t i = 0; i < s.metrics.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (s.metrics[i].name == s.metrics[j].name) {
        throw UsageError(s.metrics[i].where + ": metric '" + s.metrics[i].name +
                         "' declared twice");
      }
    }
  }
  return s;
}

ExitCode run(const Options& o, const CLI::App& sub, Context& ctx) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "validate");
  const Setup s = resolve(o, sub, ctx);
  const v::Side baseline =
      load_side(s.baseline_spec, "baseline", s.baseline_base, s.baseline_where, ctx);
  const v::Side candidate =
      load_side(s.candidate_spec, "candidate", s.candidate_base, s.candidate_where, ctx);
  const v::Report rep = v::analyse(s.metrics, baseline, candidate, s.options);
  for (const auto& m : rep.metrics) {
    for (const auto& w : m.warnings) ctx.log.warn(m.name + ": " + w);
  }
  std::string text;
  switch (ctx.options.format) {
    case Format::kJson:
      text = to_json(rep, s.options, s, baseline, candidate).dump(2) + "\n";
      break;
    case Format::kCsv:
      text = render_csv(make_table(rep, s.options, true));
      break;
    case Format::kMd:
      text = render_markdown(make_table(rep, s.options, false)) + "\n" +
             summary_lines(rep, s.options, "- ");
      break;
    default:
      text = render_plain(make_table(rep, s.options, false)) + "\n" +
             summary_lines(rep, s.options, "");
      break;
  }
  if (!o.junit.empty()) write_file_atomic(o.junit, to_junit(rep, s.options));
  write_output(ctx.out, o.output, text);
  return rep.gate_failed ? ExitCode::kNo : ExitCode::kSuccess;
}

}  // namespace

Command validate_command() {
  return {"validate",
          "is the candidate really better than the baseline? statistics across seeds, CI gate",
          [](CLI::App& sub, Context& ctx) -> Runner {
            auto o = std::make_shared<Options>();
            sub.add_option("baseline", o->baseline,
                           "Baseline runs: file, glob or directory (label=path to name it)")
                ->type_name("BASELINE");
            sub.add_option("candidate", o->candidate, "Candidate runs: file, glob or directory")
                ->type_name("CANDIDATE");
            sub.add_option("--metric", o->metrics,
                           "Metric to compare and its direction: NAME:higher|lower[:MIN_EFFECT] "
                           "(repeatable)")
                ->type_name("SPEC");
            sub.add_option("--test", o->tests,
                           "welch (default), student, mwu, paired-t, wilcoxon; a comma list "
                           "reports several, the first decides")
                ->type_name("TEST")
                ->check(cli::values({"welch", "student", "mwu", "paired-t", "wilcoxon"}));
            sub.add_flag("--paired", "Pair runs by seed (paired t; mwu becomes wilcoxon)");
            sub.add_option("--alpha", o->alpha, "Significance level (default 0.05)")
                ->type_name("A")
                ->check(cli::positive(0.5));
            sub.add_option("--confidence", o->confidence, "Confidence of intervals (default 0.95)")
                ->type_name("C")
                ->check(cli::real());
            sub.add_option("--correction", o->correction,
                           "Across metrics: holm (default), bonferroni, none")
                ->type_name("METHOD")
                ->check(cli::values({"holm", "bonferroni", "none"}));
            sub.add_option("--min-effect", o->min_effect,
                           "Smallest change that counts: 5% (relative) or abs:0.01 (default 0)")
                ->type_name("EFFECT");
            sub.add_option("--center", o->center, "mean (default), median or iqm")
                ->type_name("C")
                ->check(cli::values({"mean", "median", "iqm"}));
            sub.add_option("--bootstrap", o->bootstrap,
                           "Bootstrap resamples (default 10000; 0 = none)")
                ->type_name("N")
                ->check(cli::whole<int>(0));
            sub.add_option("--seed", o->seed, "Seed of the bootstrap (default 0)")
                ->type_name("N")
                ->check(cli::whole<long long>(0));
            sub.add_option("--warn-runs", o->warn_runs, "Warn below this many runs (default 5)")
                ->type_name("N")
                ->check(cli::whole<int>());
            sub.add_option("--fail-on", o->fail_on,
                           "Exit 1 on: regression (default), inconclusive, not-improved, none")
                ->type_name("WHEN")
                ->check(cli::values({"regression", "inconclusive", "not-improved", "none"}));
            sub.add_option("--junit", o->junit, "Also write JUnit XML (one test case per metric)")
                ->type_name("FILE");
            sub.add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
                ->type_name("FILE");
            sub.footer(
                "Example: rlab validate base='runs/base/*.json' new='runs/new/*.json' "
                "--metric accuracy:higher --metric loss:lower\n"
                "Exit codes: 0 pass, 1 gate failed, 2 usage, 3 bad input.");
            return [o, &sub, &ctx] { return run(*o, sub, ctx); };
          },
          &validate_config_section};
}

}  // namespace rlab
