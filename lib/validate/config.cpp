// `rlab validate`: the config section's schema and the readers of its values (metrics with
// their directions and minimum effects, tests, correction, center, gate).
#include "rlab/config.h"

#include "rlab/commands.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/text.h"
#include "rlab/validate.h"

#include <algorithm>
#include <string>
#include <vector>

#include "command_parts.h"

namespace rlab {

namespace validate_cmd {

namespace {

v::Direction parse_direction(const std::string& s, bool& ok) {
  ok = true;
  if (s == "higher" || s == "max" || s == "up") return v::Direction::kHigher;
  if (s == "lower" || s == "min" || s == "down") return v::Direction::kLower;
  ok = false;
  return v::Direction::kHigher;
}

const std::vector<std::string> kDirections = {"higher", "lower"};

}  // namespace

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

}  // namespace validate_cmd

using validate_cmd::metrics_from_config;
using validate_cmd::min_effect_at;

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

}  // namespace rlab
