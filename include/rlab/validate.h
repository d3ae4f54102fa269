// rlab validate: does a candidate beat a baseline across seeds? Statistics per metric, a
// verdict, and an exit code a CI step can gate on.
//
// Pure core: the statistics (matching scipy.stats 1.10), the analysis of declared metrics, and
// the parsing of run files from text. No I/O; randomness only from an explicit seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlab::validate {

// ---------------------------------------------------------------------------------------------
// Statistics. In every two-sample function `x` is the candidate and `y` the baseline, as in
// scipy.stats.ttest_ind(x, y) etc.; NaN marks an undefined value.

/// A hypothesis test's outcome: statistic, degrees of freedom (NaN for rank tests), two-sided
/// p-value and the method used ("exact" / "asymptotic" for U, "exact" / "approx" for the
/// signed-rank test, "t" otherwise).
struct TestResult {
  std::string name;
  double statistic = 0;
  double df = 0;
  double p = 0;
  std::string method;
};

/// Welch's unequal-variance t test (scipy.stats.ttest_ind(x, y, equal_var=False)).
TestResult welch_t(const std::vector<double>& x, const std::vector<double>& y);
/// Student's pooled-variance t test (scipy.stats.ttest_ind(x, y)).
TestResult student_t(const std::vector<double>& x, const std::vector<double>& y);
/// Mann-Whitney U (scipy.stats.mannwhitneyu(x, y), method='auto', use_continuity=True):
/// exact when one side has at most 8 values and there are no ties, else the normal
/// approximation with tie and continuity corrections. Statistic = U of x.
TestResult mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);
/// Paired t test (scipy.stats.ttest_rel(x, y)); x and y have the same length.
TestResult paired_t(const std::vector<double>& x, const std::vector<double>& y);
/// Wilcoxon signed-rank test (scipy.stats.wilcoxon(x, y) with zero_method='wilcox',
/// correction=False, method='auto'). When every difference is zero scipy refuses; this returns
/// NaN statistic and p with method "all-zero".
TestResult wilcoxon(const std::vector<double>& x, const std::vector<double>& y);

/// Two-sided p-value of Student's t with `df` degrees of freedom (Boost.Math, complement).
double t_two_sided_p(double t, double df);
/// Upper quantile: the t with P(T <= t) = q.
double t_quantile(double q, double df);
/// P(Z > z) for the standard normal (Boost.Math complement, no underflow before ~1e-308).
double normal_sf(double z);

/// Smallest two-sided p-value the U test can produce for sample sizes n1, n2 without ties.
double mwu_min_p(std::size_t n1, std::size_t n2);
/// Smallest two-sided p-value of the signed-rank test with n non-zero differences.
double wilcoxon_min_p(std::size_t n);

/// Descriptive statistics of one sample.
struct Summary {
  std::size_t n = 0;
  double mean = 0;
  double sd = 0;  ///< Sample standard deviation (ddof=1); NaN when n < 2.
  double median = 0;
  double iqm = 0;  ///< Interquartile mean: scipy.stats.trim_mean(v, 0.25).
};
Summary summarize(const std::vector<double>& v);
double mean(const std::vector<double>& v);
double median(std::vector<double> v);
double iqm(std::vector<double> v);

/// Hedges' g of x - y (pooled sd, small-sample correction 1 - 3/(4(n1+n2)-9)).
double hedges_g(const std::vector<double>& x, const std::vector<double>& y);
/// Cliff's delta: (#(x>y) - #(x<y)) / (n1 n2).
double cliffs_delta(const std::vector<double>& x, const std::vector<double>& y);
/// P(X > Y) + P(X = Y)/2 over all pairs (the common-language effect size).
double p_superiority(const std::vector<double>& x, const std::vector<double>& y);

enum class Correction { kHolm, kBonferroni, kNone };
/// Adjusted p-values (NaN entries are skipped and stay NaN).
std::vector<double> adjust_p(const std::vector<double>& p, Correction correction);

enum class Center { kMean, kMedian, kIqm };
double center_of(const std::vector<double>& v, Center center);

/// Percentile bootstrap interval of center(x) - center(y) with `resamples` resamples drawn from
/// a generator seeded with `seed`. Paired: x[i], y[i] are resampled together.
struct Interval {
  double lo = 0;
  double hi = 0;
};
Interval bootstrap_ci(const std::vector<double>& x, const std::vector<double>& y, Center center,
                      bool paired, int resamples, double confidence, std::uint64_t seed);

// ---------------------------------------------------------------------------------------------
// Run files.

/// One metric value of one run, and where it was written ("file:line:col").
struct Value {
  std::string metric;
  double value = 0;
  std::string where;
};
/// One run: its seed when the file gives one, and its metric values (nested keys flattened to
/// dotted names).
struct Run {
  std::optional<long long> seed;
  std::string where;
  std::vector<Value> values;
};

/// Parses one run file from its text. The format comes from the name: .csv (long
/// `metric,value` with optional `seed`, `group`, or wide: one row per run, one column per
/// metric, optional `seed`), .jsonl (one record per line), .json/.yaml/.yml (one record, a list
/// of records, or {runs: [...]}; rlab experiment records `record.yaml` included). A record is
/// {seed, metrics: {...}} or {seed, results: {...}}. Throws InputError "file:line:col: ..." for
/// a non-numeric or non-finite value, an empty file, malformed records. An rlab experiment
/// record (one with a `status` or a `config`) that holds no result (a failed, interrupted,
/// diverged or unfinished run) gives no run: a line "file:line:col: run ID has no results,
/// status 'failed': ERROR (skipped)" goes to `skipped` instead (when given).
std::vector<Run> parse_runs(const std::string& text, const std::string& name,
                            std::vector<std::string>* skipped = nullptr);

// ---------------------------------------------------------------------------------------------
// Analysis.

enum class Direction { kHigher, kLower };
enum class Test { kWelch, kStudent, kMwu, kPairedT, kWilcoxon };
enum class FailOn { kRegression, kNotImproved, kInconclusive, kNone };
enum class Verdict { kImproved, kRegressed, kNoDifference, kInsufficient };

const std::vector<std::string>& test_names();  ///< welch student mwu paired-t wilcoxon
std::string test_name(Test test);
bool is_paired(Test test);
std::string verdict_name(Verdict verdict);  ///< improved regressed ~ insufficient
std::string fail_on_name(FailOn fail_on);

/// Smallest change that counts: relative (0.05 = 5 % of the baseline's centre) or absolute.
struct MinEffect {
  bool relative = true;
  double value = 0;
};
/// Parses "5%" (relative) or "abs:0.01"; throws UsageError otherwise.
MinEffect parse_min_effect(const std::string& text);

/// A metric the user declared, with its direction.
struct MetricSpec {
  std::string name;
  Direction direction = Direction::kHigher;
  std::optional<MinEffect> min_effect;
  std::string where;  ///< "file:line:col" or "--metric NAME:DIR" for messages.
};

/// Every run of one side, with where it came from.
struct Side {
  std::string label;               ///< "baseline", "candidate" or the user's label.
  std::vector<std::string> files;  ///< The files read (for messages).
  std::vector<Run> runs;
};

struct Options {
  std::vector<Test> tests = {Test::kWelch};  ///< The first one decides; others are reported.
  bool paired = false;                       ///< Pair runs by seed.
  double alpha = 0.05;
  double confidence = 0.95;
  Correction correction = Correction::kHolm;
  Center center = Center::kMean;
  int bootstrap = 10000;  ///< Resamples; 0 = none.
  std::uint64_t seed = 0;
  int warn_runs = 5;
  FailOn fail_on = FailOn::kRegression;
  MinEffect min_effect;  ///< Default for metrics without their own.
};

struct SideStats {
  Summary summary;
  std::vector<double> values;
  std::vector<long long> seeds;  ///< Empty when no run gives a seed.
};

struct MetricResult {
  std::string name;
  Direction direction = Direction::kHigher;
  SideStats baseline, candidate;
  // Change of the centre, signed so that positive = better.
  double delta_abs = 0;
  std::optional<double> delta_rel;    ///< delta_abs / |baseline centre|; none when that is 0.
  std::optional<Interval> ci;         ///< Of delta_abs (t interval for the mean, else bootstrap).
  std::string ci_method;              ///< "welch-t", "student-t", "paired-t", "bootstrap", "".
  std::optional<Interval> bootstrap;  ///< Bootstrap interval of delta_abs when resampled.
  std::vector<TestResult> tests;      ///< tests[0] decides.
  double p_adj = 0;                   ///< tests[0].p after the correction (NaN if none).
  double hedges_g = 0, cliffs_delta = 0, p_better = 0;  ///< Signed: positive = better.
  MinEffect min_effect;
  Verdict verdict = Verdict::kInsufficient;
  bool gate_failed = false;
  std::vector<std::string> warnings;
};

struct Report {
  std::string baseline_label, candidate_label;
  std::vector<MetricResult> metrics;
  Verdict verdict = Verdict::kInsufficient;  ///< regressed > improved > ~ > insufficient.
  int improved = 0, regressed = 0, no_difference = 0, insufficient = 0;
  bool gate_failed = false;
  std::vector<std::string> warnings;
};

/// Analyses every declared metric. Throws InputError when a metric is missing on a side
/// (suggesting the nearest name), when a paired test meets a duplicated or unmatched seed.
Report analyse(const std::vector<MetricSpec>& metrics, const Side& baseline, const Side& candidate,
               const Options& options);

}  // namespace rlab::validate
