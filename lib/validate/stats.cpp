// Statistics of rlab validate, written to give the numbers scipy.stats 1.10 gives (including
// its choices of method and its degenerate cases). Distributions come from Boost.Math.
#include "rlab/validate.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/policies/policy.hpp>
#include <cmath>
#include <limits>
#include <numeric>

namespace rlab::validate {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Never throw from a distribution: every error becomes a NaN or an infinity.
using Policy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>>;

double variance(const std::vector<double>& v) {
  const std::size_t n = v.size();
  if (n < 2) return kNaN;
  const double m = mean(v);
  double s = 0;
  for (double a : v) s += (a - m) * (a - m);
  return s / static_cast<double>(n - 1);
}

// Average ranks (1-based) of `v`, ties sharing the mean of their positions (scipy's rankdata).
std::vector<double> rank_average(const std::vector<double>& v) {
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double avg = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;
    for (std::size_t k = i; k <= j; ++k) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

// Sizes of the groups of equal values in `v` (only groups of 2 or more).
std::vector<double> tie_groups(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::vector<double> groups;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[i]) ++j;
    if (j > i) groups.push_back(static_cast<double>(j - i + 1));
    i = j + 1;
  }
  return groups;
}

double binomial(std::size_t n, std::size_t k) {
  k = std::min(k, n - k);
  double b = 1;
  for (std::size_t i = 1; i <= k; ++i) {
    b = b * static_cast<double>(n - k + i) / static_cast<double>(i);
  }
  return b < 9e15 ? std::round(b) : b;
}

// P(U <= k) * C(m+n, m) for the null distribution of U with sample sizes m, n: the number of
// arrangements with U <= k. The counts are the coefficients of the Gaussian binomial
// [m+n choose m]_q, built as prod_{a=1..m} (1 - q^(n+a)) / (1 - q^a), truncated at degree k:
// O(min(m,n) k) work, every intermediate value an integer (exact in a double below 2^53).
double mwu_count_le(std::size_t m, std::size_t n, std::size_t k) {
  if (m > n) std::swap(m, n);
  std::vector<double> c(k + 1, 0.0);
  c[0] = 1;  // [n choose 0]_q = 1
  for (std::size_t a = 1; a <= m; ++a) {
    const std::size_t up = n + a;
    for (std::size_t j = k + 1; j-- > up;) c[j] -= c[j - up];  // times (1 - q^(n+a))
    for (std::size_t j = a; j <= k; ++j) c[j] += c[j - a];     // divided by (1 - q^a)
  }
  double s = 0;
  for (std::size_t j = 0; j <= k; ++j) s += c[j];
  return s;
}

// scipy's _get_wilcoxon_distr: probabilities of r_plus = 0..n(n+1)/2.
std::vector<double> wilcoxon_pmf(std::size_t n) {
  std::vector<double> c(1, 1.0);
  for (std::size_t k = 1; k <= n; ++k) {
    std::vector<double> next(k * (k + 1) / 2 + 1, 0.0);
    const std::size_t m = c.size();
    for (std::size_t i = 0; i < m; ++i) next[i] = c[i] * 0.5;
    for (std::size_t i = 0; i < m; ++i) next[next.size() - m + i] += c[i] * 0.5;
    c.swap(next);
  }
  return c;
}

}  // namespace

double mean(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  double s = 0;
  for (double a : v) s += a;
  return s / static_cast<double>(v.size());
}

double median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double iqm(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t cut = v.size() / 4;  // int(0.25 * n)
  double s = 0;
  for (std::size_t i = cut; i < v.size() - cut; ++i) s += v[i];
  return s / static_cast<double>(v.size() - 2 * cut);
}

Summary summarize(const std::vector<double>& v) {
  Summary s;
  s.n = v.size();
  s.mean = mean(v);
  s.sd = std::sqrt(variance(v));
  s.median = median(v);
  s.iqm = iqm(v);
  return s;
}

double center_of(const std::vector<double>& v, Center center) {
  switch (center) {
    case Center::kMedian:
      return median(v);
    case Center::kIqm:
      return iqm(v);
    case Center::kMean:
      break;
  }
  return mean(v);
}

double normal_sf(double z) {
  if (std::isnan(z)) return kNaN;
  if (std::isinf(z)) return z > 0 ? 0.0 : 1.0;
  return boost::math::cdf(
      boost::math::complement(boost::math::normal_distribution<double, Policy>(), z));
}

double t_two_sided_p(double t, double df) {
  if (std::isnan(t) || std::isnan(df) || df <= 0) return kNaN;
  if (std::isinf(t)) return 0.0;
  const boost::math::students_t_distribution<double, Policy> dist(df);
  return 2 * boost::math::cdf(boost::math::complement(dist, std::fabs(t)));
}

double t_quantile(double q, double df) {
  if (std::isnan(q) || std::isnan(df) || df <= 0) return kNaN;
  return boost::math::quantile(boost::math::students_t_distribution<double, Policy>(df), q);
}

TestResult welch_t(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n1 = static_cast<double>(x.size());
  const auto n2 = static_cast<double>(y.size());
  const double vn1 = variance(x) / n1;
  const double vn2 = variance(y) / n2;
  double df = (vn1 + vn2) * (vn1 + vn2) / (vn1 * vn1 / (n1 - 1) + vn2 * vn2 / (n2 - 1));
  if (std::isnan(df)) df = 1;  // scipy: variances are zero (or undefined); df does not matter
  const double t = (mean(x) - mean(y)) / std::sqrt(vn1 + vn2);
  return {"welch", t, df, t_two_sided_p(t, df), "t"};
}

TestResult student_t(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n1 = static_cast<double>(x.size());
  const auto n2 = static_cast<double>(y.size());
  const double df = n1 + n2 - 2;
  const double sp = ((n1 - 1) * variance(x) + (n2 - 1) * variance(y)) / df;
  const double t = (mean(x) - mean(y)) / std::sqrt(sp * (1 / n1 + 1 / n2));
  return {"student", t, df, t_two_sided_p(t, df), "t"};
}

TestResult paired_t(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> d(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
  const auto n = static_cast<double>(d.size());
  const double df = n - 1;
  const double t = mean(d) / std::sqrt(variance(d) / n);
  return {"paired-t", t, df, t_two_sided_p(t, df), "t"};
}

TestResult mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  TestResult r{"mwu", kNaN, kNaN, kNaN, ""};
  const std::size_t n1 = x.size();
  const std::size_t n2 = y.size();
  if (n1 == 0 || n2 == 0) return r;
  std::vector<double> xy(x);
  xy.insert(xy.end(), y.begin(), y.end());
  const std::vector<double> ties = tie_groups(xy);
  // scipy's choice, except that beyond n1 n2 = 4e7 (e.g. 8 runs against 5 million) the exact
  // distribution is not computed and the normal approximation is used; method says which.
  const bool exact = (n1 <= 8 || n2 <= 8) && ties.empty() &&
                     static_cast<double>(n1) * static_cast<double>(n2) <= 4e7;
  r.method = exact ? "exact" : "asymptotic";
  const std::vector<double> ranks = rank_average(xy);
  double r1 = 0;
  for (std::size_t i = 0; i < n1; ++i) r1 += ranks[i];
  const double fn1 = static_cast<double>(n1);
  const double fn2 = static_cast<double>(n2);
  const double u1 = r1 - fn1 * (fn1 + 1) / 2;
  const double u2 = fn1 * fn2 - u1;
  const double u = std::max(u1, u2);
  r.statistic = u1;
  double p = 0;
  if (exact) {
    // P(U >= u) = P(U <= n1 n2 - u) by symmetry.
    const auto k = static_cast<std::size_t>(static_cast<long long>(fn1 * fn2 - u));
    p = mwu_count_le(n1, n2, k) / binomial(n1 + n2, n1);
  } else {
    const double n = fn1 + fn2;
    double tie_term = 0;
    for (double t : ties) tie_term += t * t * t - t;
    const double s = std::sqrt(fn1 * fn2 / 12 * ((n + 1) - tie_term / (n * (n - 1))));
    const double z = (u - fn1 * fn2 / 2 - 0.5) / s;
    p = normal_sf(z);
  }
  r.p = std::clamp(2 * p, 0.0, 1.0);
  return r;
}

TestResult wilcoxon(const std::vector<double>& x, const std::vector<double>& y) {
  TestResult r{"wilcoxon", kNaN, kNaN, kNaN, ""};
  std::vector<double> d(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
  if (d.empty()) return r;
  const std::size_t zeros = static_cast<std::size_t>(std::count(d.begin(), d.end(), 0.0));
  const bool exact = d.size() <= 50 && zeros == 0;
  r.method = exact ? "exact" : "approx";
  if (!exact) {
    if (zeros == d.size()) {
      r.method = "all-zero";
      return r;
    }
    d.erase(std::remove(d.begin(), d.end(), 0.0), d.end());
  }
  const std::size_t count = d.size();
  std::vector<double> a(count);
  for (std::size_t i = 0; i < count; ++i) a[i] = std::fabs(d[i]);
  const std::vector<double> ranks = rank_average(a);
  double r_plus = 0;
  double r_minus = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (d[i] > 0) r_plus += ranks[i];
    if (d[i] < 0) r_minus += ranks[i];
  }
  r.statistic = std::min(r_plus, r_minus);
  const double fc = static_cast<double>(count);
  if (!exact) {
    const double mn = fc * (fc + 1) * 0.25;
    double se = fc * (fc + 1) * (2 * fc + 1);
    for (double t : tie_groups(ranks)) se -= 0.5 * (t * (t * t - 1));
    se = std::sqrt(se / 24);
    const double z = (r.statistic - mn) / se;
    r.p = 2 * normal_sf(std::fabs(z));
    return r;
  }
  const std::vector<double> pmf = wilcoxon_pmf(count);
  const auto rp = static_cast<std::size_t>(r_plus);  // scipy truncates to int
  double p = 0;
  if (rp == (pmf.size() - 1) / 2) {
    p = 1.0;
  } else {
    double less = 0;
    double greater = 0;
    for (std::size_t i = 0; i <= rp && i < pmf.size(); ++i) less += pmf[i];
    for (std::size_t i = rp; i < pmf.size(); ++i) greater += pmf[i];
    p = 2 * std::min(less, greater);
  }
  r.p = std::clamp(p, 0.0, 1.0);
  return r;
}

double mwu_min_p(std::size_t n1, std::size_t n2) {
  if (n1 == 0 || n2 == 0) return 1;
  if (n1 <= 8 || n2 <= 8) return std::min(1.0, 2 / binomial(n1 + n2, n1));
  const double a = static_cast<double>(n1);
  const double b = static_cast<double>(n2);
  const double z = (a * b / 2 - 0.5) / std::sqrt(a * b * (a + b + 1) / 12);
  return std::min(1.0, 2 * normal_sf(z));
}

double wilcoxon_min_p(std::size_t n) {
  if (n == 0) return 1;
  if (n <= 50) return std::min(1.0, 2 * std::pow(0.5, static_cast<double>(n)));
  const double c = static_cast<double>(n);
  const double z = (c * (c + 1) / 4) / std::sqrt(c * (c + 1) * (2 * c + 1) / 24);
  return 2 * normal_sf(z);
}

double hedges_g(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n1 = static_cast<double>(x.size());
  const auto n2 = static_cast<double>(y.size());
  if (n1 + n2 <= 2) return kNaN;
  const double sp =
      ((n1 - 1) * (n1 > 1 ? variance(x) : 0) + (n2 - 1) * (n2 > 1 ? variance(y) : 0)) /
      (n1 + n2 - 2);
  if (!(sp > 0)) return kNaN;
  const double j = 1 - 3 / (4 * (n1 + n2) - 9);
  return (mean(x) - mean(y)) / std::sqrt(sp) * j;
}

namespace {
// Pairs (x > y), (x < y) over all n1 n2 pairs, by sorting y and binary search.
std::pair<double, double> dominance(const std::vector<double>& x, std::vector<double> y) {
  std::sort(y.begin(), y.end());
  double gt = 0;
  double lt = 0;
  for (double a : x) {
    gt += static_cast<double>(std::lower_bound(y.begin(), y.end(), a) - y.begin());
    lt += static_cast<double>(y.end() - std::upper_bound(y.begin(), y.end(), a));
  }
  return {gt, lt};
}
}  // namespace

double cliffs_delta(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty() || y.empty()) return kNaN;
  const auto [gt, lt] = dominance(x, y);
  return (gt - lt) / (static_cast<double>(x.size()) * static_cast<double>(y.size()));
}

double p_superiority(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty() || y.empty()) return kNaN;
  const auto [gt, lt] = dominance(x, y);
  const double total = static_cast<double>(x.size()) * static_cast<double>(y.size());
  return (gt + 0.5 * (total - gt - lt)) / total;
}

std::vector<double> adjust_p(const std::vector<double>& p, Correction correction) {
  std::vector<double> out(p.size(), kNaN);
  std::vector<std::size_t> valid;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!std::isnan(p[i])) valid.push_back(i);
  }
  const double m = static_cast<double>(valid.size());
  if (correction == Correction::kNone) return p;
  if (correction == Correction::kBonferroni) {
    for (std::size_t i : valid) out[i] = std::min(1.0, p[i] * m);
    return out;
  }
  std::stable_sort(valid.begin(), valid.end(),
                   [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  double running = 0;
  for (std::size_t r = 0; r < valid.size(); ++r) {
    running = std::max(running, std::min(1.0, (m - static_cast<double>(r)) * p[valid[r]]));
    out[valid[r]] = running;
  }
  return out;
}

}  // namespace rlab::validate
