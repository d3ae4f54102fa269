// rlab validate: statistics against scipy.stats 1.10 (tests/reference/validate_reference.py),
// input parsing, the analysis and verdicts, and the command end to end.
#include "rlab/validate.h"

#include "rlab/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/run.h"

namespace rlab::test {
namespace {

namespace v = rlab::validate;
using nlohmann::json;

const json& reference() {
  static const json kRef = [] {
    std::ifstream in(source_path("tests/reference/validate_reference.json"));
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
  }();
  return kRef;
}

std::vector<double> doubles(const json& j) { return j.get<std::vector<double>>(); }

// `actual` equals scipy's `expected` to 1e-9 relative; null = NaN, "inf"/"-inf" = infinities.
void expect_match(double actual, const json& expected, const std::string& what) {
  if (expected.is_null()) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": expected NaN, got " << actual;
  } else if (expected.is_string()) {
    const double inf = expected.get<std::string>() == "inf" ? INFINITY : -INFINITY;
    EXPECT_EQ(actual, inf) << what;
  } else {
    const double e = expected.get<double>();
    if (e == 0) {
      EXPECT_EQ(actual, 0.0) << what;
    } else {
      EXPECT_LE(std::fabs(actual - e) / std::fabs(e), 1e-9)
          << what << ": got " << actual << ", scipy " << e;
    }
  }
}

void expect_test(const v::TestResult& r, const json& e, const std::string& what) {
  expect_match(r.statistic, e["statistic"], what + " statistic");
  expect_match(r.p, e["p"], what + " p");
  if (e.contains("df")) {
    expect_match(r.df, e["df"], what + " df");
  }
  if (e.contains("method")) {
    EXPECT_EQ(r.method, e["method"].get<std::string>()) << what;
  }
}

TEST(ValidateReference, GeneratedByScipy110) {
  EXPECT_EQ(reference()["scipy"].get<std::string>().rfind("1.10", 0), 0U);
  EXPECT_GE(reference()["cases"].size(), 20U);
}

TEST(ValidateStats, IndependentTestsMatchScipy) {
  for (const json& c : reference()["cases"]) {
    if (c["kind"] != "independent") continue;
    const std::string name = c["name"];
    const auto x = doubles(c["candidate"]);
    const auto y = doubles(c["baseline"]);
    const json& e = c["expected"];
    expect_test(v::welch_t(x, y), e["welch"], name + " welch");
    expect_test(v::student_t(x, y), e["student"], name + " student");
    expect_test(v::mann_whitney_u(x, y), e["mwu"], name + " mwu");
    expect_match(v::hedges_g(x, y), e["hedges_g"], name + " hedges_g");
    expect_match(v::cliffs_delta(x, y), e["cliffs_delta"], name + " cliffs_delta");
    expect_match(v::p_superiority(x, y), e["p_superiority"], name + " p_superiority");
  }
}

TEST(ValidateStats, PairedTestsMatchScipy) {
  for (const json& c : reference()["cases"]) {
    if (c["kind"] != "paired") continue;
    const std::string name = c["name"];
    const auto x = doubles(c["candidate"]);
    const auto y = doubles(c["baseline"]);
    const json& e = c["expected"];
    expect_test(v::paired_t(x, y), e["paired_t"], name + " paired_t");
    const v::TestResult w = v::wilcoxon(x, y);
    if (e["wilcoxon"].contains("error")) {
      // scipy refuses when every difference is zero; rlab reports no p-value.
      EXPECT_TRUE(std::isnan(w.p)) << name;
      EXPECT_EQ(w.method, "all-zero") << name;
    } else {
      expect_test(w, e["wilcoxon"], name + " wilcoxon");
    }
  }
}

TEST(ValidateStats, TinyTailsStayNumbers) {
  int tiny = 0;
  for (const json& c : reference()["cases"]) {
    if (c["kind"] != "independent") continue;
    const auto x = doubles(c["candidate"]);
    const auto y = doubles(c["baseline"]);
    const json& mwu = c["expected"]["mwu"]["p"];
    if (mwu.is_number() && mwu.get<double>() > 0 && mwu.get<double>() < 1e-150) {
      EXPECT_GT(v::mann_whitney_u(x, y).p, 0.0);
      ++tiny;
    }
    const json& welch = c["expected"]["welch"]["p"];
    if (welch.is_number() && welch.get<double>() > 0 && welch.get<double>() < 1e-150) {
      EXPECT_GT(v::welch_t(x, y).p, 0.0);
      ++tiny;
    }
  }
  EXPECT_GE(tiny, 3);
}

TEST(ValidateStats, DescriptiveStatisticsMatchNumpy) {
  for (const json& c : reference()["cases"]) {
    if (c["kind"] != "independent") continue;
    for (const char* side : {"candidate", "baseline"}) {
      const auto x = doubles(c[side]);
      const json& e = c[std::string("describe_") + side];
      const v::Summary s = v::summarize(x);
      const std::string what = c["name"].get<std::string>() + " " + side;
      EXPECT_EQ(s.n, e["n"].get<std::size_t>());
      expect_match(s.mean, e["mean"], what + " mean");
      expect_match(s.sd, e["std"], what + " std");
      expect_match(s.median, e["median"], what + " median");
      expect_match(s.iqm, e["iqm"], what + " iqm");
    }
  }
}

TEST(ValidateStats, HolmAndBonferroniMatchDefinition) {
  const json& a = reference()["adjust"];
  const auto p = doubles(a["p"]);
  const auto holm = v::adjust_p(p, v::Correction::kHolm);
  const auto bonf = v::adjust_p(p, v::Correction::kBonferroni);
  for (std::size_t i = 0; i < p.size(); ++i) {
    expect_match(holm[i], a["holm"][i], "holm");
    expect_match(bonf[i], a["bonferroni"][i], "bonferroni");
  }
  const auto none = v::adjust_p(p, v::Correction::kNone);
  EXPECT_EQ(none, p);
}

TEST(ValidateStats, SmallestUTestPValueMatchesScipy) {
  for (const auto& [n, p] : reference()["mwu_min_p"].items()) {
    const auto k = static_cast<std::size_t>(std::stoi(n));
    expect_match(v::mwu_min_p(k, k), p, "mwu_min_p n=" + n);
  }
}

// ---- bootstrap ----

TEST(ValidateBootstrap, SeededAndCoversTheEstimate) {
  const std::vector<double> x = {0.91, 0.93, 0.92, 0.95, 0.90, 0.94};
  const std::vector<double> y = {0.85, 0.86, 0.84, 0.88, 0.83, 0.87};
  const v::Interval a = v::bootstrap_ci(x, y, v::Center::kMean, false, 2000, 0.95, 7);
  const v::Interval b = v::bootstrap_ci(x, y, v::Center::kMean, false, 2000, 0.95, 7);
  const v::Interval c = v::bootstrap_ci(x, y, v::Center::kMean, false, 2000, 0.95, 8);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  EXPECT_NE(a.lo, c.lo);
  const double d = v::mean(x) - v::mean(y);  // 0.07
  EXPECT_LT(a.lo, d);
  EXPECT_GT(a.hi, d);
  // Every resampled difference lies between the extreme possible ones.
  EXPECT_GE(a.lo, 0.90 - 0.88);
  EXPECT_LE(a.hi, 0.95 - 0.83);
  for (v::Center center : {v::Center::kMedian, v::Center::kIqm}) {
    const v::Interval m = v::bootstrap_ci(x, y, center, true, 2000, 0.9, 1);
    const double est = v::center_of(x, center) - v::center_of(y, center);
    EXPECT_LE(m.lo, est);
    EXPECT_GE(m.hi, est);
  }
  // A constant difference gives a zero-width interval.
  const v::Interval z =
      v::bootstrap_ci({2, 2, 2}, {1, 1, 1}, v::Center::kMedian, false, 100, 0.95, 0);
  EXPECT_EQ(z.lo, 1.0);
  EXPECT_EQ(z.hi, 1.0);
}

TEST(ValidateMinEffect, ParsesRelativeAndAbsolute) {
  EXPECT_TRUE(v::parse_min_effect("5%").relative);
  EXPECT_DOUBLE_EQ(v::parse_min_effect("5%").value, 0.05);
  EXPECT_FALSE(v::parse_min_effect("abs:0.01").relative);
  EXPECT_DOUBLE_EQ(v::parse_min_effect("abs:0.01").value, 0.01);
  for (const char* bad : {"5", "abs:", "x%", "-1%", "abs:-2", "nan%"}) {
    EXPECT_THROW(v::parse_min_effect(bad), rlab::UsageError) << bad;
  }
}

// ---- parsing run files ----

double value_of(const v::Run& r, const std::string& metric) {
  for (const auto& val : r.values) {
    if (val.metric == metric) return val.value;
  }
  return NAN;
}

TEST(ValidateInput, WideAndLongCsv) {
  const auto wide = v::parse_runs("seed,accuracy,loss\n1,0.9,0.3\n2,0.8,\n", "w.csv");
  ASSERT_EQ(wide.size(), 2U);
  EXPECT_EQ(*wide[0].seed, 1);
  EXPECT_EQ(value_of(wide[0], "loss"), 0.3);
  EXPECT_EQ(wide[1].values.size(), 1U);  // empty cell = no value
  EXPECT_EQ(wide[1].values[0].where, "w.csv:3:3");
  const auto lng =
      v::parse_runs("group,seed,metric,value\nb,1,acc,0.5\nb,1,\"f1, macro\",0.25\n", "l.csv");
  ASSERT_EQ(lng.size(), 2U);
  EXPECT_EQ(lng[1].values[0].metric, "f1, macro");
  EXPECT_EQ(lng[1].values[0].value, 0.25);
  EXPECT_EQ(*lng[1].seed, 1);
}

TEST(ValidateInput, RecordsFlattenNestedKeys) {
  const auto runs = v::parse_runs(
      R"([{"seed": 3, "metrics": {"acc": 0.9, "loss": {"train": 0.1, "val": 0.2}, "curve": [1, 2]}},
          {"seed": 4, "metrics": {"acc": 0.8, "loss": {"train": 0.15, "val": null}}}])",
      "r.json");
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(*runs[0].seed, 3);
  EXPECT_EQ(value_of(runs[0], "loss.val"), 0.2);
  EXPECT_EQ(runs[0].values.size(), 3U);  // lists (curves) are not run-level metrics
  EXPECT_EQ(runs[1].values.size(), 2U);  // null = no value
  // rlab experiment record: results, seed in the config.
  const auto rec = v::parse_runs(
      "id: EXP-20250101-001\nstatus: done\nconfig:\n  seed: 7\nresults:\n  accuracy: 0.91\n",
      "runs/a/record.yaml");
  ASSERT_EQ(rec.size(), 1U);
  EXPECT_EQ(*rec[0].seed, 7);
  EXPECT_EQ(value_of(rec[0], "accuracy"), 0.91);
  // JSON Lines keep their line numbers.
  const auto jl =
      v::parse_runs("{\"seed\": 1, \"acc\": 0.5}\n\n{\"seed\": 2, \"acc\": 0.75}\n", "r.jsonl");
  ASSERT_EQ(jl.size(), 2U);
  EXPECT_EQ(jl[1].values[0].where, "r.jsonl:3:20");
}

std::string input_error(const std::string& text, const std::string& name) {
  try {
    v::parse_runs(text, name);
  } catch (const rlab::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ValidateInput, BadValuesNameTheirPlace) {
  EXPECT_EQ(input_error("seed,acc\n1,0.9\n2,abc\n", "b.csv"),
            "b.csv:3:3: value 'abc' of metric 'acc' is not a number");
  EXPECT_EQ(input_error("seed,acc\n1,NaN\n", "b.csv"),
            "b.csv:2:3: value 'NaN' of metric 'acc' is not finite (NaN and infinities cannot be "
            "compared)");
  EXPECT_EQ(
      input_error("seed,acc\n1,1e999\n", "b.csv"),
      "b.csv:2:3: value '1e999' of metric 'acc' is not finite (out of the range of a double)");
  EXPECT_EQ(
      input_error("{\"seed\": 1, \"acc\": 0.5}\n{\"seed\": 2, \"acc\": \"high\"}\n", "b.jsonl"),
      "b.jsonl:2:20: value 'high' of metric 'acc' is not a number");
  EXPECT_EQ(input_error("- {seed: 1, metrics: {acc: .inf}}\n", "b.yaml"),
            "b.yaml:1:28: value '.inf' of metric 'acc' is not finite (NaN and infinities cannot be "
            "compared)");
  EXPECT_EQ(input_error("", "e.csv"), "e.csv: empty file (no runs)");
  EXPECT_EQ(input_error("  \n", "e.json"), "e.json: empty file (no runs)");
  EXPECT_EQ(input_error("seed,acc\n", "h.csv"), "h.csv:1:1: no runs (the file has only a header)");
  EXPECT_EQ(input_error("[]", "e.json"), "e.json:1:1: no runs (the list is empty)");
  EXPECT_EQ(input_error("seed,acc\n1,0.5,3\n", "f.csv"), "f.csv:2:1: 3 fields, the header has 2");
  EXPECT_EQ(input_error("seed,acc\nx,0.5\n", "s.csv"), "s.csv:2:1: seed 'x' is not an integer");
  EXPECT_EQ(input_error("seed,acc\n1,\"0.9\n", "q.csv"), "q.csv:2:3: unterminated quoted field");
  EXPECT_EQ(input_error("{\"runs\": {\"a\": 1}}", "m.json"),
            "m.json:1:10: 'runs' must be a list of run records, got map");
  EXPECT_EQ(input_error("a", "x.txt"),
            "x.txt: unknown run file type (use .csv, .json, .jsonl, .yaml or .yml)");
}

// ---- analysis ----

v::Side side(const std::string& label, const std::vector<double>& values,
             const std::string& metric = "acc", long long first_seed = 1) {
  v::Side s;
  s.label = label;
  s.files = {label + ".csv"};
  for (std::size_t i = 0; i < values.size(); ++i) {
    v::Run r;
    r.seed = first_seed + static_cast<long long>(i);
    r.values.push_back({metric, values[i], label + ".csv:" + std::to_string(i + 2) + ":3"});
    s.runs.push_back(r);
  }
  return s;
}

v::MetricSpec spec(const std::string& name, v::Direction d) {
  return {name, d, std::nullopt, "--metric"};
}

const json& ref_case(const std::string& name) {
  for (const json& c : reference()["cases"]) {
    if (c["name"] == name) return c;
  }
  throw std::runtime_error("no reference case " + name);
}

TEST(ValidateAnalyse, LabExampleImprovesWithScipyNumbers) {
  const json& c = ref_case("lab_example_accuracy");
  v::Options o;
  o.bootstrap = 500;
  const v::Report r =
      v::analyse({spec("acc", v::Direction::kHigher)}, side("baseline", doubles(c["baseline"])),
                 side("candidate", doubles(c["candidate"])), o);
  ASSERT_EQ(r.metrics.size(), 1U);
  const auto& m = r.metrics[0];
  EXPECT_EQ(m.verdict, v::Verdict::kImproved);
  expect_match(m.tests[0].p, c["expected"]["welch"]["p"], "p");
  expect_match(m.p_adj, c["expected"]["welch"]["p"], "p_adj (one metric)");
  expect_match(m.ci->lo, c["expected"]["welch"]["ci"][0], "ci lo");
  expect_match(m.ci->hi, c["expected"]["welch"]["ci"][1], "ci hi");
  expect_match(m.hedges_g, c["expected"]["hedges_g"], "g");
  EXPECT_EQ(m.cliffs_delta, 1.0);
  EXPECT_EQ(m.p_better, 1.0);
  EXPECT_FALSE(r.gate_failed);
}

TEST(ValidateAnalyse, LowerIsBetterFlipsSignsAndRegresses) {
  const json& c = ref_case("lab_example_accuracy");
  v::Options o;
  o.bootstrap = 0;
  const v::Report r =
      v::analyse({spec("acc", v::Direction::kLower)}, side("baseline", doubles(c["baseline"])),
                 side("candidate", doubles(c["candidate"])), o);
  const auto& m = r.metrics[0];
  EXPECT_EQ(m.verdict, v::Verdict::kRegressed);
  EXPECT_LT(m.delta_abs, 0);
  expect_match(-m.ci->hi, c["expected"]["welch"]["ci"][0], "flipped ci");
  EXPECT_EQ(m.cliffs_delta, -1.0);
  EXPECT_EQ(m.p_better, 0.0);
  EXPECT_TRUE(r.gate_failed);
  o.fail_on = v::FailOn::kNone;
  EXPECT_FALSE(v::analyse({spec("acc", v::Direction::kLower)},
                          side("baseline", doubles(c["baseline"])),
                          side("candidate", doubles(c["candidate"])), o)
                   .gate_failed);
}

TEST(ValidateAnalyse, DegenerateCases) {
  v::Options o;
  o.bootstrap = 100;
  // One run on a side: insufficient, no p-value.
  v::Report r = v::analyse({spec("acc", v::Direction::kHigher)}, side("baseline", {0.5}),
                           side("candidate", {0.6, 0.7}), o);
  EXPECT_EQ(r.metrics[0].verdict, v::Verdict::kInsufficient);
  EXPECT_TRUE(r.metrics[0].tests.empty());
  EXPECT_TRUE(std::isnan(r.metrics[0].p_adj));
  EXPECT_FALSE(r.gate_failed);
  o.fail_on = v::FailOn::kInconclusive;
  EXPECT_TRUE(v::analyse({spec("acc", v::Direction::kHigher)}, side("baseline", {0.5}),
                         side("candidate", {0.6, 0.7}), o)
                  .gate_failed);
  // Zero variance on both sides: compared exactly, and said so.
  o.fail_on = v::FailOn::kRegression;
  r = v::analyse({spec("acc", v::Direction::kHigher)}, side("baseline", {0.5, 0.5, 0.5}),
                 side("candidate", {0.5, 0.5, 0.5}), o);
  EXPECT_EQ(r.metrics[0].verdict, v::Verdict::kNoDifference);
  r = v::analyse({spec("acc", v::Direction::kHigher)}, side("baseline", {0.5, 0.5, 0.5}),
                 side("candidate", {0.25, 0.25, 0.25}), o);
  EXPECT_EQ(r.metrics[0].verdict, v::Verdict::kRegressed);
  bool said = false;
  for (const auto& w : r.metrics[0].warnings)
    said = said || w.find("zero variance") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(ValidateAnalyse, UTestWarnsWhenItCannotReachAlpha) {
  v::Options o;
  o.tests = {v::Test::kMwu};
  o.bootstrap = 0;
  const v::Report r = v::analyse({spec("acc", v::Direction::kHigher)}, side("baseline", {1, 2, 3}),
                                 side("candidate", {4, 5, 6}), o);
  const auto& m = r.metrics[0];
  expect_match(m.tests[0].p, reference()["mwu_min_p"]["3"], "U p at n=3");
  EXPECT_EQ(m.verdict, v::Verdict::kNoDifference);
  bool warned = false;
  for (const auto& w : m.warnings) {
    warned = warned || w == "mwu cannot reach p < 0.05 with n=3 and 3 (its smallest p is 0.1): run "
                            "more seeds or use a t test";
  }
  EXPECT_TRUE(warned);
}

TEST(ValidateAnalyse, MinEffectAndHolm) {
  const json& c = ref_case("lab_example_accuracy");
  v::Options o;
  o.bootstrap = 0;
  o.min_effect = v::parse_min_effect("10%");  // the change is +8.2 %
  v::Report r =
      v::analyse({spec("acc", v::Direction::kHigher)}, side("baseline", doubles(c["baseline"])),
                 side("candidate", doubles(c["candidate"])), o);
  EXPECT_EQ(r.metrics[0].verdict, v::Verdict::kNoDifference);
  o.fail_on = v::FailOn::kNotImproved;
  r = v::analyse({spec("acc", v::Direction::kHigher)}, side("baseline", doubles(c["baseline"])),
                 side("candidate", doubles(c["candidate"])), o);
  EXPECT_TRUE(r.gate_failed);
  // Two metrics: the smaller p is multiplied by 2 (Holm).
  o = v::Options();
  o.bootstrap = 0;
  v::Side b = side("baseline", doubles(c["baseline"]));
  v::Side k = side("candidate", doubles(c["candidate"]));
  const json& other = ref_case("normal_5_5");
  const v::Side b2 = side("baseline", doubles(other["baseline"]), "f1");
  const v::Side k2 = side("candidate", doubles(other["candidate"]), "f1");
  for (std::size_t i = 0; i < b.runs.size(); ++i) b.runs[i].values.push_back(b2.runs[i].values[0]);
  for (std::size_t i = 0; i < k.runs.size(); ++i) k.runs[i].values.push_back(k2.runs[i].values[0]);
  r = v::analyse({spec("acc", v::Direction::kHigher), spec("f1", v::Direction::kHigher)}, b, k, o);
  const double p1 = c["expected"]["welch"]["p"];
  const double p2 = other["expected"]["welch"]["p"];
  EXPECT_NEAR(r.metrics[0].p_adj / (2 * p1), 1.0, 1e-9);
  EXPECT_NEAR(r.metrics[1].p_adj / std::max(2 * p1, p2), 1.0, 1e-9);
}

TEST(ValidateAnalyse, PairsBySeedWhateverTheOrder) {
  const json& c = ref_case("paired_5");
  v::Options o;
  o.paired = true;
  o.bootstrap = 0;
  v::Side b = side("baseline", doubles(c["baseline"]));
  std::reverse(b.runs.begin(), b.runs.end());
  const v::Report r = v::analyse({spec("acc", v::Direction::kHigher)}, b,
                                 side("candidate", doubles(c["candidate"])), o);
  expect_match(r.metrics[0].tests[0].p, c["expected"]["paired_t"]["p"], "paired p");
  expect_match(r.metrics[0].ci->lo, c["expected"]["paired_t"]["ci"][0], "paired ci");
}

std::string analyse_error(const std::vector<v::MetricSpec>& specs, const v::Side& b,
                          const v::Side& c, bool paired) {
  v::Options o;
  o.paired = paired;
  o.bootstrap = 0;
  try {
    v::analyse(specs, b, c, o);
  } catch (const rlab::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ValidateAnalyse, BadPairingAndMissingMetrics) {
  v::Side b = side("baseline", {1, 2, 3});
  v::Side c = side("candidate", {1, 2, 4});
  c.runs[2].seed = 2;
  EXPECT_EQ(analyse_error({spec("acc", v::Direction::kHigher)}, b, c, true),
            "candidate.csv:4:3: seed 2 appears twice in the candidate for metric 'acc' (first at "
            "candidate.csv:3:3); a paired test needs one run per seed");
  EXPECT_EQ(analyse_error({spec("acc", v::Direction::kHigher)}, b,
                          side("candidate", {1, 2, 3}, "acc", 2), true),
            "baseline.csv:2:3: seed 1 of metric 'acc' has no candidate run; a paired test needs "
            "the same seeds on both sides");
  EXPECT_EQ(analyse_error({spec("accuracy", v::Direction::kHigher)}, b, c, false),
            "--metric: metric 'accuracy' is in neither the baseline nor the candidate (did you "
            "mean 'acc'?)");
  EXPECT_EQ(
      analyse_error({spec("acc", v::Direction::kHigher)}, b, side("candidate", {1, 2}, "acc_v2"),
                    false),
      "candidate.csv: metric 'acc' is missing in the candidate (the baseline has it) (did you "
      "mean 'acc_v2'?)");
}

// ---- the command ----

const std::string kExampleDir = source_path("configs/examples/validate");
const std::string kBase = kExampleDir + "/baseline.csv";
const std::string kCand = kExampleDir + "/candidate.csv";

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

TEST(E2eValidate, LabExampleImproves) {
  const RunResult r =
      run_rlab({"validate", "--config", kExampleDir + "/validate.yaml", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["summary"]["verdict"], "improved");
  EXPECT_EQ(j["summary"]["exit_code"], 0);
  ASSERT_EQ(j["metrics"].size(), 3U);
  const json& acc = j["metrics"][0];
  EXPECT_EQ(acc["name"], "accuracy");
  EXPECT_EQ(acc["verdict"], "improved");
  expect_match(acc["test"]["p"].get<double>(),
               ref_case("lab_example_accuracy")["expected"]["welch"]["p"], "example accuracy p");
  EXPECT_EQ(acc["baseline"]["seeds"], json({1, 2, 3, 4, 5}));
  EXPECT_TRUE(acc["delta"]["bootstrap_ci"].is_object());
  EXPECT_EQ(j["metrics"][2]["min_effect"], "1%");
}

TEST(E2eValidate, TableShowsVerdicts) {
  const RunResult r = run_inprocess(
      {"validate", kBase, kCand, "--metric", "accuracy:higher", "--metric", "f1:higher"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("accuracy  ↑"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+8.20%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: improved (2 improved"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(E2eValidate, RegressionFailsTheGateAndWritesJUnit) {
  TempDir dir;
  const std::string junit = dir.path() + "/report.xml";
  RunResult r = run_rlab({"validate", "old=" + kCand, "new=" + kBase, "--metric", "accuracy:higher",
                          "--metric", "recall:higher", "--junit", junit, "--format", "csv"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out.rfind("metric,direction,baseline_n", 0), 0U);
  std::ifstream in(junit);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string xml = ss.str();
  EXPECT_NE(xml.find("tests=\"2\" failures=\"2\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"rlab.validate\" name=\"recall\">"), std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"regressed\""), std::string::npos);
  EXPECT_NE(xml.find("rlab validate: new vs old"), std::string::npos);
  // Other gates.
  r = run_rlab({"validate", kCand, kBase, "--metric", "accuracy:higher", "--fail-on", "none"});
  EXPECT_EQ(r.code, 0);
  r = run_rlab(
      {"validate", kBase, kBase, "--metric", "accuracy:higher", "--fail-on", "not-improved"});
  EXPECT_EQ(r.code, 1);
  r = run_rlab(
      {"validate", kBase, kBase, "--metric", "accuracy:higher", "--fail-on", "inconclusive"});
  EXPECT_EQ(r.code, 0);
}

TEST(E2eValidate, CiExampleFailsOnRegression) {
  TempDir dir;
  RunResult r = run_program({"/bin/sh", kExampleDir + "/ci.sh", kCand, kBase},
                            {"RLAB=" + std::string(RLAB_BINARY), "OUT_DIR=" + dir.path()});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("validate: regression, failing the build"), std::string::npos) << r.err;
  r = run_program({"/bin/sh", kExampleDir + "/ci.sh"},
                  {"RLAB=" + std::string(RLAB_BINARY), "OUT_DIR=" + dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(E2eValidate, ReadsRecordsGlobsAndDirectories) {
  TempDir dir;
  const double base[] = {0.80, 0.82, 0.81};
  const double cand[] = {0.90, 0.91, 0.92};
  std::string jsonl;
  for (int i = 0; i < 3; ++i) {
    std::filesystem::create_directories(dir.path() + "/runs/b" + std::to_string(i));
    std::filesystem::create_directories(dir.path() + "/new");
    dir.write("runs/b" + std::to_string(i) + "/record.yaml",
              "id: EXP-1\nconfig: {seed: " + std::to_string(i) +
                  "}\nresults:\n  eval: {acc: " + std::to_string(base[i]) + "}\n");
    dir.write("new/run" + std::to_string(i) + ".json",
              "{\"seed\": " + std::to_string(i) +
                  ", \"metrics\": {\"eval\": {\"acc\": " + std::to_string(cand[i]) + "}}}");
  }
  const RunResult r =
      run_inprocess({"validate", dir.path() + "/runs", dir.path() + "/new/*.json", "--metric",
                     "eval.acc:higher", "--paired", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["metrics"][0]["baseline"]["n"], 3);
  EXPECT_EQ(j["metrics"][0]["test"]["name"], "paired-t");
  EXPECT_EQ(j["metrics"][0]["candidate"]["seeds"], json({0, 1, 2}));
  EXPECT_NE(r.err.find("rlab: warning: eval.acc: only 3 runs on a side"), std::string::npos)
      << r.err;
}

struct BadCase {
  std::string baseline;
  std::string candidate;
  std::vector<std::string> extra;
  int code;
  std::string error;
};

TEST(E2eValidate, BadInputsExitThreeWithTheirPlace) {
  TempDir d;
  const std::string b = d.write("b.csv", "seed,acc,f1\n1,0.8,0.7\n2,0.81,0.71\n3,0.79,0.72\n");
  const std::string c = d.write("c.csv", "seed,acc,f1\n1,0.9,0.7\n2,0.91,0.71\n3,0.92,0.73\n");
  const std::string no_f1 = d.write("nof1.csv", "seed,acc,f1_score\n1,0.9,0.7\n2,0.91,0.71\n");
  const std::string text = d.write("text.csv", "seed,acc,f1\n1,0.9,0.7\n2,high,0.71\n");
  const std::string nan = d.write("nan.csv", "seed,acc,f1\n1,0.9,nan\n");
  const std::string inf = d.write("inf.json", "[{\"seed\": 1, \"acc\": 0.9, \"f1\": \"-inf\"}]");
  const std::string empty = d.write("empty.csv", "");
  const std::string dup = d.write("dup.csv", "seed,acc,f1\n1,0.9,0.7\n1,0.91,0.71\n3,0.92,0.73\n");
  const std::string dir_cfg = d.write("dir.yaml", "validate:\n  metrics:\n    acc: upward\n");
  const std::vector<BadCase> cases = {
      {b,
       no_f1,
       {"--metric", "f1:higher"},
       3,
       "rlab: error: " + no_f1 +
           ": metric 'f1' is missing in the candidate (the baseline has it) (did you mean "
           "'f1_score'?)"},
      {b,
       text,
       {"--metric", "acc:higher"},
       3,
       "rlab: error: " + text + ":3:3: value 'high' of metric 'acc' is not a number"},
      {b,
       nan,
       {"--metric", "f1:higher"},
       3,
       "rlab: error: " + nan +
           ":2:7: value 'nan' of metric 'f1' is not finite (NaN and infinities cannot be "
           "compared)"},
      {inf,
       c,
       {"--metric", "f1:higher"},
       3,
       "rlab: error: " + inf +
           ":1:32: value '-inf' of metric 'f1' is not finite (NaN and infinities cannot be "
           "compared)"},
      {empty, c, {"--metric", "acc:higher"}, 3, "rlab: error: " + empty + ": empty file (no runs)"},
      {b,
       dup,
       {"--metric", "acc:higher", "--paired"},
       3,
       "rlab: error: " + dup +
           ":3:3: seed 1 appears twice in the candidate for metric 'acc' (first at " + dup +
           ":2:3); a paired test needs one run per seed"},
      {b,
       c,
       {"--metric", "accc:higher"},
       3,
       "rlab: error: --metric accc:higher: metric 'accc' is in neither the baseline nor the "
       "candidate (did you mean 'acc'?)"},
      {b,
       c,
       {"--config", dir_cfg},
       3,
       "rlab: error: " + dir_cfg +
           ":3:10: unknown direction 'upward' for metric 'acc', must be higher or lower"},
      {b,
       d.path() + "/missing.csv",
       {"--metric", "acc:higher"},
       3,
       "rlab: error: " + d.path() + "/missing.csv: cannot read: No such file or directory"},
      {b,
       d.path() + "/none*.csv",
       {"--metric", "acc:higher"},
       3,
       "rlab: error: " + d.path() + "/none*.csv: no file matches this pattern"},
      // Usage errors (exit 2).
      {b,
       c,
       {},
       2,
       "rlab: error: no metric declared: give each metric to gate with its direction, --metric "
       "NAME:higher or --metric NAME:lower (or 'metrics:' in --config)"},
      {b,
       c,
       {"--metric", "acc"},
       2,
       "rlab: error: --metric acc: give the metric's direction, NAME:higher or NAME:lower"},
      {b,
       c,
       {"--metric", "acc:up-ish"},
       2,
       "rlab: error: --metric acc:up-ish: unknown direction 'up-ish', must be higher or lower"},
      {b,
       c,
       {"--metric", "acc:higher", "--test", "welsh"},
       2,
       "rlab: error: unknown test 'welsh', must be one of welch, student, mwu, paired-t, wilcoxon "
       "(did you mean 'welch'?)"},
      {b,
       c,
       {"--metric", "acc:higher", "--min-effect", "5"},
       2,
       "rlab: error: minimum effect '5' must be a relative change like '5%' or an absolute one "
       "like 'abs:0.01' (not negative)"},
      {b,
       c,
       {"--metric", "acc:higher", "--format", "dot"},
       2,
       "rlab: error: validate does not support --format dot (use table, json, csv, md)"},
      {b,
       "",
       {"--metric", "acc:higher"},
       2,
       "rlab: error: validate needs a baseline and a candidate: rlab validate BASELINE CANDIDATE "
       "(files, globs or directories; label=path allowed), or --config FILE"},
  };
  for (const auto& bc : cases) {
    std::vector<std::string> args = {"validate", bc.baseline};
    if (!bc.candidate.empty()) args.push_back(bc.candidate);
    args.insert(args.end(), bc.extra.begin(), bc.extra.end());
    const RunResult r = run_inprocess(args);
    EXPECT_EQ(r.code, bc.code) << bc.error << "\n" << r.err;
    EXPECT_EQ(first_line(r.err), bc.error);
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
}  // namespace rlab::test
