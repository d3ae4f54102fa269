// rlab validate's analysis: per declared metric, the samples of both sides, their summaries,
// the change signed so that positive = better, its interval, the tests, effect sizes, the
// multiple-comparison correction and the verdict.
#include "rlab/validate.h"

#include "rlab/error.h"
#include "rlab/text.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <thread>

namespace rlab::validate {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

__extension__ using Uint128 = unsigned __int128;

// xoshiro256** (Blackman & Vigna), seeded through splitmix64: fast, and the same stream on
// every platform, so a seeded bootstrap is reproducible.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& w : s_) w = splitmix(seed);
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, n) by multiply-shift (Lemire); the bias is below n / 2^64.
  std::size_t below(std::size_t n) {
    return static_cast<std::size_t>((static_cast<Uint128>(next()) * n) >> 64);
  }
  /// Two indexes uniform in [0, n) from one 64-bit draw (32 bits each, multiply-shift); for
  /// n < 2^16 the bias is below n / 2^32 < 2e-5 relative... used only when n < 2^16.
  void below2(std::uint32_t n, std::uint32_t& a, std::uint32_t& b) {
    const std::uint64_t r = next();
    a = static_cast<std::uint32_t>(((r & 0xffffffffULL) * n) >> 32);
    b = static_cast<std::uint32_t>(((r >> 32) * n) >> 32);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4]{};
};

// Linear-interpolation percentile (numpy's default) of `v`, reordering it.
double percentile(std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (b - a) * (pos - static_cast<double>(lo));
}

// Centre of buf[0..n) (reordered).
double center_in_place(std::vector<double>& buf, Center center) {
  const std::size_t n = buf.size();
  if (center == Center::kMedian) {
    auto mid = buf.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(buf.begin(), mid, buf.end());
    if (n % 2 == 1) return *mid;
    return (*std::max_element(buf.begin(), mid) + *mid) / 2;
  }
  const std::size_t cut = n / 4;
  auto lo = buf.begin() + static_cast<std::ptrdiff_t>(cut);
  auto hi = buf.end() - static_cast<std::ptrdiff_t>(cut);
  if (cut > 0) {
    std::nth_element(buf.begin(), lo, buf.end());
    std::nth_element(lo, hi - 1, buf.end());
  }
  double s = 0;
  for (auto it = lo; it != hi; ++it) s += *it;
  return s / static_cast<double>(n - 2 * cut);
}

std::string canonical(const std::string& s) {
  std::string c;
  for (char ch : s) {
    if (std::isalnum(static_cast<unsigned char>(ch)) != 0) {
      c += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  return c;
}

// " (did you mean 'x'?)": a near typo first, else a name that only differs in case and
// punctuation, or that one of the two starts with ("f1" -> "f1_score").
std::string suggest(const std::string& name, const std::vector<std::string>& names) {
  std::string hint = did_you_mean(name, names);
  if (!hint.empty()) return hint;
  const std::string c = canonical(name);
  for (const auto& n : names) {
    if (canonical(n) == c) return " (did you mean '" + n + "'?)";
  }
  for (const auto& n : names) {
    const std::string cn = canonical(n);
    if (std::min(c.size(), cn.size()) < 2) continue;
    if (cn.rfind(c, 0) == 0 || c.rfind(cn, 0) == 0) return " (did you mean '" + n + "'?)";
  }
  return "";
}

std::string fmt_p(double p) { return format_number(p, 3); }

// Sum of signed ranks of the non-zero differences: > 0 when x tends to exceed y.
double signed_rank_balance(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> d;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] != y[i]) d.push_back(x[i] - y[i]);
  }
  std::vector<std::size_t> idx(d.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(),
            [&](std::size_t a, std::size_t b) { return std::fabs(d[a]) < std::fabs(d[b]); });
  double s = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && std::fabs(d[idx[j + 1]]) == std::fabs(d[idx[i]])) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (std::size_t k = i; k <= j; ++k) s += d[idx[k]] > 0 ? rank : -rank;
    i = j + 1;
  }
  return s;
}

}  // namespace

Interval bootstrap_ci(const std::vector<double>& x, const std::vector<double>& y, Center center,
                      bool paired, int resamples, double confidence, std::uint64_t seed) {
  Rng rng(seed);
  const std::size_t n1 = x.size();
  const std::size_t n2 = y.size();
  std::vector<double> stats(static_cast<std::size_t>(std::max(resamples, 1)));
  if (center == Center::kMean) {
    const double inv1 = 1.0 / static_cast<double>(n1);
    const double inv2 = 1.0 / static_cast<double>(n2);
    const bool small = n1 < (1U << 16) && n2 < (1U << 16);
    for (double& st : stats) {
      double sx = 0;
      double sy = 0;
      if (paired) {
        for (std::size_t i = 0; i < n1; ++i) {
          const std::size_t k = rng.below(n1);
          sx += x[k];
          sy += y[k];
        }
      } else if (small) {
        std::uint32_t a = 0;
        std::uint32_t b = 0;
        std::size_t i = 0;
        for (; i + 1 < n1; i += 2) {
          rng.below2(static_cast<std::uint32_t>(n1), a, b);
          sx += x[a] + x[b];
        }
        if (i < n1) sx += x[rng.below(n1)];
        for (i = 0; i + 1 < n2; i += 2) {
          rng.below2(static_cast<std::uint32_t>(n2), a, b);
          sy += y[a] + y[b];
        }
        if (i < n2) sy += y[rng.below(n2)];
      } else {
        for (std::size_t i = 0; i < n1; ++i) sx += x[rng.below(n1)];
        for (std::size_t i = 0; i < n2; ++i) sy += y[rng.below(n2)];
      }
      st = sx * inv1 - sy * inv2;
    }
  } else {
    std::vector<double> bx(n1);
    std::vector<double> by(n2);
    for (double& st : stats) {
      if (paired) {
        for (std::size_t i = 0; i < n1; ++i) {
          const std::size_t k = rng.below(n1);
          bx[i] = x[k];
          by[i] = y[k];
        }
      } else {
        for (std::size_t i = 0; i < n1; ++i) bx[i] = x[rng.below(n1)];
        for (std::size_t i = 0; i < n2; ++i) by[i] = y[rng.below(n2)];
      }
      st = center_in_place(bx, center) - center_in_place(by, center);
    }
  }
  const double tail = (1 - confidence) / 2;
  Interval ci;
  ci.lo = percentile(stats, tail);
  ci.hi = percentile(stats, 1 - tail);
  return ci;
}

const std::vector<std::string>& test_names() {
  static const std::vector<std::string> kNames = {"welch", "student", "mwu", "paired-t",
                                                  "wilcoxon"};
  return kNames;
}

std::string test_name(Test test) { return test_names()[static_cast<std::size_t>(test)]; }

bool is_paired(Test test) { return test == Test::kPairedT || test == Test::kWilcoxon; }

std::string verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kImproved:
      return "improved";
    case Verdict::kRegressed:
      return "regressed";
    case Verdict::kNoDifference:
      return "~";
    case Verdict::kInsufficient:
      break;
  }
  return "insufficient";
}

std::string fail_on_name(FailOn fail_on) {
  switch (fail_on) {
    case FailOn::kRegression:
      return "regression";
    case FailOn::kNotImproved:
      return "not-improved";
    case FailOn::kInconclusive:
      return "inconclusive";
    case FailOn::kNone:
      break;
  }
  return "none";
}

MinEffect parse_min_effect(const std::string& text) {
  auto number = [&](const std::string& s) {
    std::size_t used = 0;
    double v = kNaN;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != s.size() || !std::isfinite(v) || v < 0) {
      throw UsageError("minimum effect '" + text +
                       "' must be a relative change like '5%' or an absolute one like "
                       "'abs:0.01' (not negative)");
    }
    return v;
  };
  MinEffect e;
  if (text.rfind("abs:", 0) == 0) {
    e.relative = false;
    e.value = number(text.substr(4));
  } else if (!text.empty() && text.back() == '%') {
    e.relative = true;
    e.value = number(text.substr(0, text.size() - 1)) / 100;
  } else {
    number("");
  }
  return e;
}

namespace {

struct Sample {
  std::vector<double> values;
  std::vector<long long> seeds;  // parallel; -1 entries never happen when has_seed
  std::vector<std::string> where;
  bool all_seeded = true;
};

Sample collect(const Side& side, const std::string& metric) {
  Sample s;
  for (const Run& run : side.runs) {
    for (const Value& v : run.values) {
      if (v.metric != metric) continue;
      s.values.push_back(v.value);
      s.seeds.push_back(run.seed.value_or(0));
      s.where.push_back(v.where);
      if (!run.seed) s.all_seeded = false;
    }
  }
  return s;
}

std::vector<std::string> metric_names(const Side& side) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const Run& run : side.runs) {
    for (const Value& v : run.values) {
      if (seen.insert(v.metric).second) names.push_back(v.metric);
    }
  }
  return names;
}

std::string side_where(const Side& side) {
  return side.files.empty() ? side.label : side.files.front();
}

// Pairs the two samples by seed (or by position when neither side gives seeds).
void pair_up(const std::string& metric, Sample& b, Sample& c, const Side& bs, const Side& cs) {
  if (!b.all_seeded || !c.all_seeded) {
    if (b.values.size() != c.values.size()) {
      throw InputError(side_where(cs) + ": a paired test needs the same runs on both sides; '" +
                       metric + "' has " + std::to_string(b.values.size()) + " baseline and " +
                       std::to_string(c.values.size()) +
                       " candidate runs and the runs carry no seeds to match");
    }
    return;
  }
  auto index = [&](const Sample& s, const Side& side) {
    std::map<long long, std::size_t> m;
    for (std::size_t i = 0; i < s.seeds.size(); ++i) {
      auto [it, fresh] = m.emplace(s.seeds[i], i);
      if (!fresh) {
        throw InputError(s.where[i] + ": seed " + std::to_string(s.seeds[i]) +
                         " appears twice in the " + side.label + " for metric '" + metric +
                         "' (first at " + s.where[it->second] +
                         "); a paired test needs one run per seed");
      }
    }
    return m;
  };
  const auto bi = index(b, bs);
  const auto ci = index(c, cs);
  Sample pb;
  Sample pc;
  for (std::size_t i = 0; i < b.seeds.size(); ++i) {
    auto it = ci.find(b.seeds[i]);
    if (it == ci.end()) {
      throw InputError(b.where[i] + ": seed " + std::to_string(b.seeds[i]) + " of metric '" +
                       metric + "' has no " + cs.label +
                       " run; a paired test needs the same seeds on both sides");
    }
    pb.values.push_back(b.values[i]);
    pb.seeds.push_back(b.seeds[i]);
    pb.where.push_back(b.where[i]);
    pc.values.push_back(c.values[it->second]);
    pc.seeds.push_back(c.seeds[it->second]);
    pc.where.push_back(c.where[it->second]);
  }
  for (std::size_t i = 0; i < c.seeds.size(); ++i) {
    if (bi.count(c.seeds[i]) == 0) {
      throw InputError(c.where[i] + ": seed " + std::to_string(c.seeds[i]) + " of metric '" +
                       metric + "' has no " + bs.label +
                       " run; a paired test needs the same seeds on both sides");
    }
  }
  b = std::move(pb);
  c = std::move(pc);
}

TestResult run_test(Test test, const std::vector<double>& x, const std::vector<double>& y) {
  switch (test) {
    case Test::kWelch:
      return welch_t(x, y);
    case Test::kStudent:
      return student_t(x, y);
    case Test::kMwu:
      return mann_whitney_u(x, y);
    case Test::kPairedT:
      return paired_t(x, y);
    case Test::kWilcoxon:
      break;
  }
  return wilcoxon(x, y);
}

// t interval of mean(x) - mean(y) in the test's own form.
std::optional<Interval> t_interval(Test family, const std::vector<double>& x,
                                   const std::vector<double>& y, double confidence,
                                   std::string& method) {
  const double q = 0.5 + confidence / 2;
  double diff = 0;
  double se = 0;
  double df = 0;
  if (family == Test::kPairedT) {
    std::vector<double> d(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
    const Summary s = summarize(d);
    diff = s.mean;
    se = s.sd / std::sqrt(static_cast<double>(d.size()));
    df = static_cast<double>(d.size()) - 1;
    method = "paired-t";
  } else {
    const Summary a = summarize(x);
    const Summary b = summarize(y);
    const auto n1 = static_cast<double>(a.n);
    const auto n2 = static_cast<double>(b.n);
    diff = a.mean - b.mean;
    if (family == Test::kStudent) {
      df = n1 + n2 - 2;
      const double sp = ((n1 - 1) * a.sd * a.sd + (n2 - 1) * b.sd * b.sd) / df;
      se = std::sqrt(sp * (1 / n1 + 1 / n2));
      method = "student-t";
    } else {
      const double vn1 = a.sd * a.sd / n1;
      const double vn2 = b.sd * b.sd / n2;
      df = (vn1 + vn2) * (vn1 + vn2) / (vn1 * vn1 / (n1 - 1) + vn2 * vn2 / (n2 - 1));
      se = std::sqrt(vn1 + vn2);
      method = "welch-t";
    }
  }
  if (!(se > 0) || !std::isfinite(df) || df <= 0) {
    if (se == 0 && std::isfinite(diff)) return Interval{diff, diff};
    return std::nullopt;
  }
  const double h = t_quantile(q, df) * se;
  return Interval{diff - h, diff + h};
}

// Each metric's baseline and candidate values (paired by seed when asked); throws when a metric
// is on neither side or only on one.
std::vector<std::pair<Sample, Sample>> collect_samples(const std::vector<MetricSpec>& metrics,
                                                       const Side& baseline, const Side& candidate,
                                                       bool paired) {
  const std::vector<std::string> base_names = metric_names(baseline);
  const std::vector<std::string> cand_names = metric_names(candidate);
  std::vector<std::string> all_names = base_names;
  for (const auto& n : cand_names) {
    if (std::find(all_names.begin(), all_names.end(), n) == all_names.end()) all_names.push_back(n);
  }

  std::vector<std::pair<Sample, Sample>> samples;
  for (const MetricSpec& spec : metrics) {
    Sample b = collect(baseline, spec.name);
    Sample c = collect(candidate, spec.name);
    if (b.values.empty() && c.values.empty()) {
      InputError e(spec.where + ": metric '" + spec.name + "' is in neither the " + baseline.label +
                   " nor the " + candidate.label + suggest(spec.name, all_names));
      e.add_note("metrics found: " + join(all_names, ", "));
      throw e;
    }
    if (b.values.empty() || c.values.empty()) {
      const Side& missing = b.values.empty() ? baseline : candidate;
      const Side& other = b.values.empty() ? candidate : baseline;
      throw InputError(side_where(missing) + ": metric '" + spec.name + "' is missing in the " +
                       missing.label + " (the " + other.label + " has it)" +
                       suggest(spec.name, b.values.empty() ? base_names : cand_names));
    }
    if (paired) pair_up(spec.name, b, c, baseline, candidate);
    samples.emplace_back(std::move(b), std::move(c));
  }
  return samples;
}

// One metric's summaries, change, tests, t interval and effect sizes (no verdict yet).
MetricResult test_metric(const MetricSpec& spec, const std::pair<Sample, Sample>& sample,
                         const Options& options, bool paired) {
  const std::vector<double>& y = sample.first.values;   // baseline
  const std::vector<double>& x = sample.second.values;  // candidate
  MetricResult r;
  r.name = spec.name;
  r.direction = spec.direction;
  r.min_effect = spec.min_effect.value_or(options.min_effect);
  const double sign = spec.direction == Direction::kHigher ? 1.0 : -1.0;
  r.baseline.summary = summarize(y);
  r.baseline.values = y;
  r.candidate.summary = summarize(x);
  r.candidate.values = x;
  if (sample.first.all_seeded) r.baseline.seeds = sample.first.seeds;
  if (sample.second.all_seeded) r.candidate.seeds = sample.second.seeds;
  const double cb = center_of(y, options.center);
  const double cc = center_of(x, options.center);
  r.delta_abs = sign * (cc - cb);
  if (cb != 0) r.delta_rel = r.delta_abs / std::fabs(cb);

  const bool enough = x.size() >= 2 && y.size() >= 2;
  if (std::min(x.size(), y.size()) < static_cast<std::size_t>(std::max(options.warn_runs, 0))) {
    const std::size_t fewest = std::min(x.size(), y.size());
    r.warnings.push_back("only " + std::to_string(fewest) + (fewest == 1 ? " run" : " runs") +
                         " on a side (fewer than " + std::to_string(options.warn_runs) +
                         "): the result is fragile, run more seeds");
  }
  auto flip = [&](Interval i) { return sign > 0 ? i : Interval{-i.hi, -i.lo}; };
  if (enough) {
    for (Test t : options.tests) {
      Test actual = t;
      if (paired && t == Test::kWelch) actual = Test::kPairedT;
      if (paired && t == Test::kStudent) actual = Test::kPairedT;
      if (paired && t == Test::kMwu) actual = Test::kWilcoxon;
      r.tests.push_back(run_test(actual, x, y));
    }
    const Test primary = paired
                             ? Test::kPairedT
                             : (options.tests[0] == Test::kStudent ? Test::kStudent : Test::kWelch);
    if (options.center == Center::kMean) {
      if (auto ci = t_interval(primary, x, y, options.confidence, r.ci_method)) r.ci = flip(*ci);
    }
    // Warn when a rank test cannot reach alpha at this n.
    const TestResult& t0 = r.tests.front();
    double min_p = 0;
    if (t0.name == "mwu") min_p = mwu_min_p(x.size(), y.size());
    if (t0.name == "wilcoxon") {
      std::size_t nonzero = 0;
      for (std::size_t i = 0; i < x.size(); ++i) nonzero += x[i] != y[i] ? 1 : 0;
      min_p = wilcoxon_min_p(nonzero);
    }
    if (min_p >= options.alpha) {
      r.warnings.push_back(t0.name + " cannot reach p < " + format_number(options.alpha, 3) +
                           " with n=" + std::to_string(y.size()) + " and " +
                           std::to_string(x.size()) + " (its smallest p is " + fmt_p(min_p) +
                           "): run more seeds or use a t test");
    }
  } else {
    r.warnings.push_back("fewer than 2 runs on a side: no test, verdict insufficient");
  }
  r.hedges_g = sign * hedges_g(x, y);
  const double cd = cliffs_delta(x, y);
  r.cliffs_delta = sign * cd;
  r.p_better = sign > 0 ? p_superiority(x, y) : p_superiority(y, x);
  return r;
}

// Bootstrap intervals, one job per metric, spread over the CPUs. Each metric has its own
// generator (seed mixed with the metric's name), so results do not depend on the threads.
void bootstrap_intervals(Report& report, const Options& options, bool paired) {
  std::vector<std::size_t> jobs;
  for (std::size_t m = 0; m < report.metrics.size(); ++m) {
    if (!report.metrics[m].tests.empty()) jobs.push_back(m);
  }
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t j = next++; j < jobs.size(); j = next++) {
      MetricResult& r = report.metrics[jobs[j]];
      const Interval i =
          bootstrap_ci(r.candidate.values, r.baseline.values, options.center, paired,
                       options.bootstrap, options.confidence, options.seed ^ fnv1a(r.name));
      r.bootstrap = r.direction == Direction::kHigher ? i : Interval{-i.hi, -i.lo};
      if (options.center != Center::kMean) {
        r.ci = r.bootstrap;
        r.ci_method = "bootstrap";
      }
    }
  };
  const std::size_t threads =
      std::min<std::size_t>({std::max(1U, std::thread::hardware_concurrency()), 8, jobs.size()});
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

// The metric's verdict from its adjusted p value, the direction of its primary test and the
// minimum effect.
Verdict verdict_of(MetricResult& r, const Options& options, bool paired) {
  const std::vector<double>& y = r.baseline.values;
  const std::vector<double>& x = r.candidate.values;
  const double sign = r.direction == Direction::kHigher ? 1.0 : -1.0;
  const double cb = center_of(y, options.center);
  const double threshold =
      r.min_effect.relative ? r.min_effect.value * std::fabs(cb) : r.min_effect.value;
  auto decide = [&](double better) {
    if (better == 0) return Verdict::kNoDifference;
    if (std::fabs(r.delta_abs) < threshold) {
      r.warnings.push_back("the change is below the minimum effect (" +
                           format_number(threshold, 4) + "): counted as ~");
      return Verdict::kNoDifference;
    }
    return better > 0 ? Verdict::kImproved : Verdict::kRegressed;
  };
  if (r.tests.empty()) return Verdict::kInsufficient;
  bool constant = false;
  if (paired) {
    constant = true;
    for (std::size_t i = 1; i < x.size(); ++i) constant = constant && (x[i] - y[i] == x[0] - y[0]);
  } else {
    constant = r.baseline.summary.sd == 0 && r.candidate.summary.sd == 0;
  }
  if (constant) {
    r.warnings.push_back(paired ? "every paired difference is the same: compared exactly"
                                : "zero variance on both sides: compared exactly");
    return decide(sign * (mean(x) - mean(y)));
  }
  if (std::isnan(r.p_adj) || !(r.p_adj < options.alpha)) return Verdict::kNoDifference;
  const std::string& name = r.tests.front().name;
  double direction = 0;
  if (name == "mwu") {
    direction = cliffs_delta(x, y);
  } else if (name == "wilcoxon") {
    direction = signed_rank_balance(x, y);
  } else {
    direction = r.tests.front().statistic;
  }
  return decide(sign * direction);
}

bool gate_fails(Verdict v, FailOn fail_on) {
  switch (fail_on) {
    case FailOn::kRegression:
      return v == Verdict::kRegressed;
    case FailOn::kInconclusive:
      return v == Verdict::kRegressed || v == Verdict::kInsufficient;
    case FailOn::kNotImproved:
      return v != Verdict::kImproved;
    case FailOn::kNone:
      return false;
  }
  return false;
}

}  // namespace

Report analyse(const std::vector<MetricSpec>& metrics, const Side& baseline, const Side& candidate,
               const Options& options) {
  Report report;
  report.baseline_label = baseline.label;
  report.candidate_label = candidate.label;
  if (options.tests.empty()) throw UsageError("no test selected");
  const bool paired =
      options.paired || std::any_of(options.tests.begin(), options.tests.end(), is_paired);
  const std::vector<std::pair<Sample, Sample>> samples =
      collect_samples(metrics, baseline, candidate, paired);
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    report.metrics.push_back(test_metric(metrics[m], samples[m], options, paired));
  }
  if (options.bootstrap > 0) bootstrap_intervals(report, options, paired);

  std::vector<double> ps;
  for (const auto& r : report.metrics) ps.push_back(r.tests.empty() ? kNaN : r.tests.front().p);
  const std::vector<double> adj = adjust_p(ps, options.correction);

  for (std::size_t m = 0; m < report.metrics.size(); ++m) {
    MetricResult& r = report.metrics[m];
    r.p_adj = adj[m];
    r.verdict = verdict_of(r, options, paired);
    switch (r.verdict) {
      case Verdict::kImproved:
        ++report.improved;
        break;
      case Verdict::kRegressed:
        ++report.regressed;
        break;
      case Verdict::kNoDifference:
        ++report.no_difference;
        break;
      case Verdict::kInsufficient:
        ++report.insufficient;
        break;
    }
    r.gate_failed = gate_fails(r.verdict, options.fail_on);
    report.gate_failed = report.gate_failed || r.gate_failed;
  }
  report.verdict = report.regressed > 0       ? Verdict::kRegressed
                   : report.improved > 0      ? Verdict::kImproved
                   : report.no_difference > 0 ? Verdict::kNoDifference
                                              : Verdict::kInsufficient;
  return report;
}

}  // namespace rlab::validate
