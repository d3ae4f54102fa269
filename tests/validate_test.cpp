// rlab validate: statistics against scipy.stats 1.10 (tests/reference/validate_reference.py),
// input parsing, the analysis and verdicts, and the command end to end.
#include "rlab/validate.h"

#include "rlab/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
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

}  // namespace
}  // namespace rlab::test
