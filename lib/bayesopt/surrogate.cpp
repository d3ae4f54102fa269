// The bayesopt core's surrogate: output warping (power transforms, the warp chosen by marginal
// likelihood) and the GP fitted on the history, with the hyperparameter cache that keeps a
// proposal a function of the history alone.
#include "rlab/bayesopt.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "core_internal.h"

namespace rlab::bayesopt {

using namespace detail;

namespace {

// Profile log-likelihood of a power transform with parameter lam: the normal log-likelihood of
// the transformed values (variance at its ML estimate) plus the log Jacobian of the transform.
template <class Transform>
double power_log_likelihood(const std::vector<double>& z, double log_jacobian, Transform t) {
  const auto n = static_cast<double>(z.size());
  double mean = 0;
  std::vector<double> v(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) mean += (v[i] = t(z[i]));
  mean /= n;
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  var /= n;
  if (!(var > 0) || !std::isfinite(var)) return -kInf;
  return -0.5 * n * std::log(var) + log_jacobian;
}

double box_cox(double x, double lam) {
  return std::abs(lam) < 1e-12 ? std::log(x) : (std::pow(x, lam) - 1) / lam;
}

double yeo_johnson(double x, double lam) {
  if (x >= 0) return std::abs(lam) < 1e-12 ? std::log1p(x) : (std::pow(x + 1, lam) - 1) / lam;
  return std::abs(lam - 2) < 1e-12 ? -std::log1p(-x) : -(std::pow(1 - x, 2 - lam) - 1) / (2 - lam);
}

}  // namespace

std::vector<double> power_warp(const std::vector<double>& y) {
  double log_jacobian = 0;
  return power_warp(y, &log_jacobian);
}

std::vector<double> power_warp(const std::vector<double>& y, double* log_jacobian) {
  *log_jacobian = 0;
  if (y.size() < 3) return y;
  double mean = 0;
  for (double v : y) mean += v;
  mean /= static_cast<double>(y.size());
  double var = 0;
  for (double v : y) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(y.size()));
  if (!(sd > 0) || !std::isfinite(sd)) return y;
  std::vector<double> z(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) z[i] = y[i] / sd;
  const bool positive = *std::min_element(z.begin(), z.end()) > 0;
  double sum_log = 0;
  for (double v : z) sum_log += positive ? std::log(v) : std::copysign(std::log1p(std::abs(v)), v);
  // Lambda on a grid over [0, 1] (the transform is monotone for every lambda). Above 1 the
  // transform would stretch the high values and squeeze the low ones, the region a minimiser
  // needs resolved; at or below 1 it compresses a long tail of bad values (and, for
  // Yeo-Johnson, stretches the good ones), 1 is the identity and 0 the logarithm; below 0 the
  // transform would turn the incumbent into an outlier the GP can only fit with a spike.
  double best_lam = 1;
  double best_ll = -kInf;
  for (int k = 0; k <= 20; ++k) {
    const double lam = 0.05 * k;
    const double ll = positive ? power_log_likelihood(z, (lam - 1) * sum_log,
                                                      [lam](double x) { return box_cox(x, lam); })
                               : power_log_likelihood(z, (lam - 1) * sum_log, [lam](double x) {
                                   return yeo_johnson(x, lam);
                                 });
    if (ll > best_ll) {
      best_ll = ll;
      best_lam = lam;
    }
  }
  std::vector<double> out(z.size());
  for (std::size_t i = 0; i < z.size(); ++i)
    out[i] = positive ? box_cox(z[i], best_lam) : yeo_johnson(z[i], best_lam);
  for (double v : out)
    if (!std::isfinite(v)) return y;
  // dw/dy = (y/sd)^(lambda-1) / sd (Box-Cox; Yeo-Johnson likewise with log1p|z| signed).
  *log_jacobian = (best_lam - 1) * sum_log - static_cast<double>(y.size()) * std::log(sd);
  return out;
}

std::vector<double> Optimizer::targets() const {
  switch (settings_.output_warp) {
    case OutputWarp::kNone:
      return ys_;
    case OutputWarp::kPower:
    case OutputWarp::kAuto:
      return power_warp(ys_);
  }
  return ys_;
}

bool Optimizer::warped_is_likelier(const std::vector<double>& ys, HyperCache* warped_cache,
                                   HyperCache* raw_cache, std::optional<Gp>* warped_gp,
                                   std::optional<Gp>* raw_gp) const {
  // Both models scored by the density of the observed values: the GP's on its standardised
  // targets, less n log(scale) for the standardisation and the warp's log Jacobian.
  double log_jacobian = 0;
  const std::vector<double> warped = power_warp(ys, &log_jacobian);
  *warped_gp = fit_model(warped, warped_cache, true);
  *raw_gp = fit_model(ys, raw_cache, false);
  const auto n = static_cast<double>(ys.size());
  const double nll_warped =
      (*warped_gp)->neg_log_likelihood() + n * std::log((*warped_gp)->y_scale()) - log_jacobian;
  const double nll_raw = (*raw_gp)->neg_log_likelihood() + n * std::log((*raw_gp)->y_scale());
  return nll_warped <= nll_raw;
}

Gp Optimizer::fit_surrogate(std::vector<double>* targets_out) const {
  if (settings_.output_warp != OutputWarp::kAuto) {
    *targets_out = targets();
    return *fit_model(*targets_out, &fit_cache_, settings_.output_warp == OutputWarp::kPower);
  }
  std::optional<Gp> warped_gp;
  std::optional<Gp> raw_gp;
  // Up to refit_every_until observations the choice is made for every proposal; beyond, it is
  // the one made on the first refit_every_until observations (one model fitted, not two).
  const auto until = static_cast<std::size_t>(std::max(3, settings_.refit_every_until));
  if (ys_.size() <= until) {
    const bool warped = warped_is_likelier(ys_, &fit_cache_, &raw_cache_, &warped_gp, &raw_gp);
    *targets_out = warped ? power_warp(ys_) : ys_;
    return warped ? *warped_gp : *raw_gp;
  }
  if (auto_choice_n_ != until) {
    HyperCache a;
    HyperCache b;
    const std::vector<double> head(ys_.begin(), ys_.begin() + static_cast<long>(until));
    auto_warped_ = warped_is_likelier(head, &a, &b, &warped_gp, &raw_gp);
    auto_choice_n_ = until;
  }
  *targets_out = auto_warped_ ? power_warp(ys_) : ys_;
  return *fit_model(*targets_out, auto_warped_ ? &fit_cache_ : &raw_cache_, auto_warped_);
}

std::size_t Optimizer::hyper_fit_size(std::size_t n) const {
  if (n <= static_cast<std::size_t>(std::max(0, settings_.refit_every_until))) return n;
  std::size_t k = 1;
  while (k * 2 <= n / 25) k *= 2;
  return n - n % k;
}

std::optional<Gp> Optimizer::model() const { return fit_model(ys_, &plot_cache_, false); }

std::optional<Gp> Optimizer::fit_model(const std::vector<double>& ys, HyperCache* cache,
                                       bool warped) const {
  if (ys.size() < 2) return std::nullopt;
  const int d = encoded_size(space_);
  const std::size_t n = ys.size();
  Eigen::MatrixXd X(static_cast<Eigen::Index>(n), d);
  Eigen::VectorXd y(static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    X.row(static_cast<Eigen::Index>(i)) = encode(space_, xs_[i]).transpose();
    y(static_cast<Eigen::Index>(i)) = ys[i];
  }
  const std::size_t n_ref = std::max<std::size_t>(2, hyper_fit_size(n));
  if (cache->n != n_ref) {
    // The hyperparameters are a function of the first n_ref observations only: their own warp,
    // not the first n_ref values of the warp of all n (whose lambda and scale depend on the
    // later ones), so a resumed study refits exactly what an uninterrupted run fitted.
    std::vector<double> ref(ys_.begin(), ys_.begin() + static_cast<long>(n_ref));
    if (warped) ref = power_warp(ref);
    // The points the ML-II fit sees: all of the first n_ref, or at most hp_max_points of them
    // (the best half by value and an even spread of the rest, in observation order).
    std::vector<std::size_t> use(n_ref);
    std::iota(use.begin(), use.end(), 0);
    const auto cap = static_cast<std::size_t>(std::max(16, settings_.hp_max_points));
    if (n_ref > cap) {
      std::vector<std::size_t> order = use;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return ref[a] < ref[b]; });
      std::vector<std::size_t> pick(order.begin(), order.begin() + static_cast<long>(cap / 2));
      std::vector<std::size_t> rest(order.begin() + static_cast<long>(cap / 2), order.end());
      std::sort(rest.begin(), rest.end());
      const std::size_t want = cap - pick.size();
      for (std::size_t j = 0; j < want; ++j) pick.push_back(rest[j * rest.size() / want]);
      std::sort(pick.begin(), pick.end());
      use = pick;
    }
    Eigen::MatrixXd Xf(static_cast<Eigen::Index>(use.size()), d);
    Eigen::VectorXd yf(static_cast<Eigen::Index>(use.size()));
    for (std::size_t i = 0; i < use.size(); ++i) {
      Xf.row(static_cast<Eigen::Index>(i)) = X.row(static_cast<Eigen::Index>(use[i]));
      yf(static_cast<Eigen::Index>(i)) = ref[use[i]];
    }
    Gp g;
    // Beyond 150 points one start (the default one) keeps the O(n^3) fit affordable.
    const int restarts = use.size() > 150 ? 0 : settings_.hp_restarts;
    g.fit_ml(Xf, yf, restarts, mix(settings_.random_state, 0xF17 + n_ref), settings_.gp_bounds);
    cache->params = g.params();
    cache->n = n_ref;
    if (use.size() == n) return g;
  }
  Gp gp;
  gp.fit(X, y, cache->params);
  return gp;
}

}  // namespace rlab::bayesopt
