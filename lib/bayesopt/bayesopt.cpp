// The pure core of `rlab bayesopt`: acquisitions, the acquisition search and the ask/tell
// optimiser (the space is in space.cpp, the GP in gp.cpp, output warping and the GP fitted on
// the history in surrogate.cpp, built-in functions in builtins.cpp).
#include "rlab/bayesopt.h"

#include "rlab/error.h"

#include <LBFGSB.h>

#include <algorithm>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <optional>
#include <set>

#include "core_internal.h"

namespace rlab::bayesopt {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// Acquisitions

Acquisition parse_acquisition(const std::string& name) {
  if (name == "EI" || name == "ei") return Acquisition::kEI;
  if (name == "PI" || name == "pi") return Acquisition::kPI;
  if (name == "LCB" || name == "lcb") return Acquisition::kLCB;
  if (name == "gp_hedge" || name == "hedge") return Acquisition::kHedge;
  throw InputError("unknown acquisition '" + name + "' (use EI, PI, LCB or gp_hedge)");
}

std::string acquisition_name(Acquisition a) {
  switch (a) {
    case Acquisition::kEI:
      return "EI";
    case Acquisition::kPI:
      return "PI";
    case Acquisition::kLCB:
      return "LCB";
    case Acquisition::kHedge:
      return "gp_hedge";
  }
  return "?";
}

InitialDesign parse_initial_design(const std::string& name) {
  if (name == "random") return InitialDesign::kRandom;
  if (name == "lhs") return InitialDesign::kLhs;
  if (name == "sobol") return InitialDesign::kSobol;
  throw InputError("unknown initial design '" + name + "' (use random, lhs or sobol)");
}

std::string initial_design_name(InitialDesign d) {
  switch (d) {
    case InitialDesign::kRandom:
      return "random";
    case InitialDesign::kLhs:
      return "lhs";
    case InitialDesign::kSobol:
      return "sobol";
  }
  return "?";
}

namespace {

// Below this z the logs of EI's and PI's z-parts come from their asymptotic series (direct
// evaluation would lose digits to cancellation, then underflow near z = -38).
constexpr double kLogTailZ = -25;

// log h(z), h(z) = z Phi(z) + phi(z) (EI = sd h(z)), and d log h / dz = Phi(z) / h(z).
double log_h(double z, double* dlog) {
  if (z > kLogTailZ) {
    const double cdf = norm_cdf(z);
    const double h = z * cdf + norm_pdf(z);
    *dlog = cdf / h;
    return std::log(h);
  }
  // h = phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6); Phi = phi(z) / -z (1 - 1/z^2 + 3/z^4).
  const double w = 1 / (z * z);
  const double sh = 1 - 3 * w + 15 * w * w - 105 * w * w * w;
  *dlog = -z * (1 - w + 3 * w * w) / sh;
  return -0.5 * z * z - 0.5 * std::log(2 * kPi) + std::log(w) + std::log(sh);
}

// log Phi(z) and d log Phi / dz = phi(z) / Phi(z).
double log_cdf(double z, double* dlog) {
  if (z > kLogTailZ) {
    const double cdf = norm_cdf(z);
    *dlog = norm_pdf(z) / cdf;
    return std::log(cdf);
  }
  const double w = 1 / (z * z);
  const double sc = 1 - w + 3 * w * w - 15 * w * w * w;
  *dlog = -z / sc;
  return -0.5 * z * z - 0.5 * std::log(2 * kPi) - std::log(-z) + std::log(sc);
}

// Acquisition value (to maximise) from normalised mean/sd, with derivatives w.r.t. mean and sd.
double acq_value(Acquisition a, double mu, double sd, double best, const Settings& s, double* dmu,
                 double* dsd) {
  if (s.log_acquisition && a != Acquisition::kLCB) {
    const double z = (best - mu - s.xi) / sd;
    double dlog = 0;
    if (a == Acquisition::kPI) {
      const double v = log_cdf(z, &dlog);
      *dmu = -dlog / sd;
      *dsd = -dlog * z / sd;
      return v;
    }
    // log EI = log sd + log h(z): d/dmu = -h'/h / sd, d/dsd = (1 - z h'/h) / sd.
    const double v = std::log(sd) + log_h(z, &dlog);
    *dmu = -dlog / sd;
    *dsd = (1 - z * dlog) / sd;
    return v;
  }
  switch (a) {
    case Acquisition::kLCB:
      *dmu = -1;
      *dsd = s.kappa;
      return -(mu - s.kappa * sd);
    case Acquisition::kPI: {
      const double z = (best - mu - s.xi) / sd;
      const double p = norm_pdf(z);
      *dmu = -p / sd;
      *dsd = -p * z / sd;
      return norm_cdf(z);
    }
    case Acquisition::kEI:
    case Acquisition::kHedge: {
      const double imp = best - mu - s.xi;
      const double z = imp / sd;
      const double cdf = norm_cdf(z);
      const double pdf = norm_pdf(z);
      *dmu = -cdf;
      *dsd = pdf;
      return imp * cdf + sd * pdf;
    }
  }
  return 0;
}

// Quasi-random points in [0,1)^dim: Sobol with a random digital shift (each coordinate's bits
// XORed with a seeded word), so the set depends on the seed and stays a (t,m,s)-net.
std::vector<std::vector<double>> sobol_points(std::size_t dim, std::size_t count, Rng& rng) {
  boost::random::sobol eng(static_cast<unsigned>(dim));
  std::vector<std::uint64_t> shift(dim);
  for (auto& s : shift) s = rng.next();
  std::vector<std::vector<double>> pts(count, std::vector<double>(dim));
  // Boost's engine starts at the sequence's second point; the first one is the origin.
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t k = 0; k < dim; ++k) {
      const std::uint64_t v = i == 0 ? 0 : static_cast<std::uint64_t>(eng());
      pts[i][k] = static_cast<double>((v ^ shift[k]) >> 11U) * 0x1.0p-53;
    }
  }
  return pts;
}

std::vector<std::vector<double>> lhs_points(std::size_t dim, std::size_t count, Rng& rng) {
  std::vector<std::vector<double>> pts(count, std::vector<double>(dim));
  std::vector<std::size_t> perm(count);
  for (std::size_t k = 0; k < dim; ++k) {
    std::iota(perm.begin(), perm.end(), 0);
    for (std::size_t i = count; i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
    for (std::size_t i = 0; i < count; ++i) {
      pts[i][k] = (static_cast<double>(perm[i]) + rng.uniform()) / static_cast<double>(count);
    }
  }
  return pts;
}

}  // namespace

namespace {
double acq_value_as(Acquisition a, double mu, double sd, double best, const Settings& s,
                    bool logs) {
  double dmu = 0;
  double dsd = 0;
  Settings t = s;
  t.log_acquisition = logs;
  return acq_value(a, mu, sd, best, t, &dmu, &dsd);
}
}  // namespace

double log_acquisition_value(Acquisition a, double mu, double sd, double best, const Settings& s) {
  return acq_value_as(a, mu, sd, best, s, true);
}

double acquisition_value(Acquisition a, double mu, double sd, double best, const Settings& s) {
  return acq_value_as(a, mu, sd, best, s, false);
}

Optimizer::Optimizer(Space space, Settings settings)
    : space_(std::move(space)), settings_(settings), gains_(3, 0.0) {
  validate_space(space_);
  Rng rng(mix(settings_.random_state, 0x1A17));
  const auto n = static_cast<std::size_t>(std::max(0, settings_.n_initial_points));
  std::vector<std::vector<double>> u;
  switch (settings_.initial_design) {
    case InitialDesign::kRandom:
      for (std::size_t i = 0; i < n; ++i) u.push_back(random_unit(space_.dims.size(), rng));
      break;
    case InitialDesign::kLhs:
      u = lhs_points(space_.dims.size(), n, rng);
      break;
    case InitialDesign::kSobol:
      u = sobol_points(space_.dims.size(), n, rng);
      break;
  }
  for (const auto& p : u) initial_.push_back(from_unit(space_, p));
}

bool Optimizer::seen(const Eigen::VectorXd& z) const {
  auto same = [&](const Point& p) { return (encode(space_, p) - z).cwiseAbs().maxCoeff() < 1e-9; };
  return std::any_of(xs_.begin(), xs_.end(), same) ||
         std::any_of(failed_.begin(), failed_.end(), same) ||
         std::any_of(pending_.begin(), pending_.end(), same);
}

namespace {

using Seen = std::function<bool(const Eigen::VectorXd&)>;

// A point never evaluated, failed or pending: random draws, then (finite spaces) a scan of the
// whole space from a random offset; nullopt when a finite space has none left.
std::optional<Point> unseen_point(const Space& space,
                                  std::initializer_list<const std::vector<Point>*> lists,
                                  const Seen& seen, Rng& rng) {
  const std::size_t dims = space.dims.size();
  for (int tries = 0; tries < 1000; ++tries) {
    Point p = from_unit(space, random_unit(dims, rng));
    if (!seen(encode(space, p))) return p;
  }
  const std::optional<double> size = finite_size(space);
  if (!size || *size > 4e6) return from_unit(space, random_unit(dims, rng));
  std::set<std::vector<double>> used;
  for (const auto* list : lists)
    for (const Point& p : *list) used.insert(p);
  const auto total = static_cast<std::size_t>(*size);
  const std::size_t start = rng.below(total);
  for (std::size_t i = 0; i < total; ++i) {
    std::size_t idx = (start + i) % total;
    Point p(dims);
    for (std::size_t k = 0; k < dims; ++k) {
      const Dimension& dim = space.dims[k];
      const auto radix = static_cast<std::size_t>(dim.kind == Dimension::Kind::kCategorical
                                                      ? static_cast<double>(dim.categories.size())
                                                      : dim.high - dim.low + 1);
      p[k] = static_cast<double>(idx % radix) +
             (dim.kind == Dimension::Kind::kCategorical ? 0.0 : dim.low);
      idx /= radix;
    }
    if (used.count(p) == 0) return p;
  }
  return std::nullopt;
}

// Candidates: `m` shifted Sobol points over the space plus perturbations of the best points.
std::vector<Eigen::VectorXd> candidate_points(const Space& space, const std::vector<Point>& xs,
                                              const std::vector<double>& ys, std::size_t m,
                                              Rng& rng) {
  std::vector<Eigen::VectorXd> cands;
  const int d = encoded_size(space);
  for (const auto& u : sobol_points(space.dims.size(), m, rng))
    cands.push_back(encode(space, from_unit(space, u)));
  std::vector<std::size_t> order(ys.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ys[a] < ys[b]; });
  const std::size_t top = std::min<std::size_t>(5, order.size());
  for (std::size_t t = 0; t < top; ++t) {
    const Eigen::VectorXd base = encode(space, xs[order[t]]);
    for (std::size_t j = 0; j < m / 10; ++j) {
      const double step = j % 2 == 0 ? 0.02 : 0.1;
      Eigen::VectorXd z = base;
      for (Eigen::Index c = 0; c < d; ++c) z(c) = std::clamp(z(c) + step * rng.normal(), 0.0, 1.0);
      cands.push_back(encode(space, decode(space, z)));  // snapped to the grid
    }
  }
  return cands;
}

// Columns the refinement may move: reals and integers (categoricals stay one-hot).
std::vector<Eigen::Index> free_columns(const Space& space) {
  std::vector<Eigen::Index> free_cols;
  Eigen::Index c = 0;
  for (const Dimension& dim : space.dims) {
    if (dim.kind == Dimension::Kind::kCategorical) {
      c += static_cast<Eigen::Index>(dim.categories.size());
    } else {
      free_cols.push_back(c++);
    }
  }
  return free_cols;
}

// The local phase's candidates: `m` uniform points in the box of half-width `r` (unit cube)
// around `base` over the free columns, and `slices` points spread over the whole range of each
// free column with the others at base's values (one-dimensional slices through the incumbent:
// a coordinate stuck in a neighbouring basin can still move); snapped to the grid, categoricals
// at base's values. The box itself goes to `lo`/`hi` for the refinement.
std::vector<Eigen::VectorXd> local_candidates(const Space& space, const Eigen::VectorXd& base,
                                              const std::vector<Eigen::Index>& free_cols, double r,
                                              int slices, std::size_t m, Rng& rng,
                                              Eigen::VectorXd* lo, Eigen::VectorXd* hi) {
  const auto nf = static_cast<Eigen::Index>(free_cols.size());
  lo->resize(nf);
  hi->resize(nf);
  for (Eigen::Index c = 0; c < nf; ++c) {
    const double v = base(free_cols[static_cast<std::size_t>(c)]);
    (*lo)(c) = std::max(0.0, v - r);
    (*hi)(c) = std::min(1.0, v + r);
  }
  std::vector<Eigen::VectorXd> cands;
  for (std::size_t j = 0; j < m; ++j) {
    Eigen::VectorXd z = base;
    for (Eigen::Index c = 0; c < nf; ++c)
      z(free_cols[static_cast<std::size_t>(c)]) = (*lo)(c) + ((*hi)(c) - (*lo)(c)) * rng.uniform();
    cands.push_back(encode(space, decode(space, z)));
  }
  for (const Eigen::Index col : free_cols) {
    for (int j = 0; j < slices; ++j) {
      Eigen::VectorXd z = base;
      z(col) = (j + rng.uniform()) / slices;
      cands.push_back(encode(space, decode(space, z)));
    }
  }
  return cands;
}

// The search of one acquisition function over the scored candidates: the best unseen
// candidate, the most promising ones refined by L-BFGS-B over the free columns and snapped to
// the grid.
struct AcquisitionSearch {
  const Space& space;
  const Settings& settings;
  const Gp& gp;
  double best;  // the incumbent, normalised
  const std::vector<Eigen::VectorXd>& cands;
  const Eigen::VectorXd& mu;  // the candidates' normalised posterior
  const Eigen::VectorXd& sd;
  const std::vector<Eigen::Index>& free_cols;
  int n_refine;
  const Seen& seen;
  const Eigen::VectorXd& lo;  // the refinement's box over the free columns
  const Eigen::VectorXd& hi;

  // The acquisition at z; its derivatives by the posterior's mean and sd in dmu, dsd and the
  // posterior's gradients in dm, ds.
  double value_grad(Acquisition a, const Eigen::VectorXd& z, Eigen::VectorXd* dm,
                    Eigen::VectorXd* ds, double* dmu, double* dsd) const {
    double mu1 = 0;
    double sd1 = 0;
    gp.predict_grad(z, &mu1, &sd1, dm, ds);
    return acq_value(a, mu1, sd1, best, settings, dmu, dsd);
  }

  [[nodiscard]] double value_at(Acquisition a, const Eigen::VectorXd& z) const {
    Eigen::VectorXd dm;
    Eigen::VectorXd ds;
    double g1 = 0;
    double g2 = 0;
    return value_grad(a, z, &dm, &ds, &g1, &g2);
  }

  // `start` refined by L-BFGS-B and snapped; nullopt when the solver fails or the point is
  // already seen.
  [[nodiscard]] std::optional<Eigen::VectorXd> refine(Acquisition a,
                                                      const Eigen::VectorXd& start) const {
    const auto nf = static_cast<Eigen::Index>(free_cols.size());
    Eigen::VectorXd q(nf);
    for (Eigen::Index c = 0; c < nf; ++c) q(c) = start(free_cols[static_cast<std::size_t>(c)]);
    Eigen::VectorXd full = start;
    auto f = [&](const Eigen::VectorXd& v, Eigen::VectorXd& g) {
      for (Eigen::Index c = 0; c < nf; ++c) full(free_cols[static_cast<std::size_t>(c)]) = v(c);
      Eigen::VectorXd dm;
      Eigen::VectorXd ds;
      double dmu = 0;
      double dsd = 0;
      const double val = value_grad(a, full, &dm, &ds, &dmu, &dsd);
      g.resize(nf);
      for (Eigen::Index c = 0; c < nf; ++c) {
        const Eigen::Index col = free_cols[static_cast<std::size_t>(c)];
        g(c) = -(dmu * dm(col) + dsd * ds(col));
      }
      return -val;
    };
    LBFGSpp::LBFGSBParam<double> param;
    param.max_iterations = 30;
    param.epsilon = 1e-6;
    LBFGSpp::LBFGSBSolver<double> solver(param);
    double fx = 0;
    try {
      solver.minimize(f, q, fx, lo, hi);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    for (Eigen::Index c = 0; c < nf; ++c) full(free_cols[static_cast<std::size_t>(c)]) = q(c);
    Eigen::VectorXd snapped = encode(space, decode(space, full));
    if (seen(snapped)) return std::nullopt;
    return snapped;
  }

  // The winner for `a`; empty when every candidate is already seen.
  [[nodiscard]] Eigen::VectorXd best_for(Acquisition a) const {
    std::vector<double> score(cands.size());
    for (std::size_t i = 0; i < cands.size(); ++i) {
      double g1 = 0;
      double g2 = 0;
      const auto ii = static_cast<Eigen::Index>(i);
      score[i] = acq_value(a, mu(ii), std::max(sd(ii), 1e-9), best, settings, &g1, &g2);
    }
    std::vector<std::size_t> idx(cands.size());
    std::iota(idx.begin(), idx.end(), 0);
    const std::size_t k = std::min<std::size_t>(cands.size(), 50);
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                      [&](std::size_t p, std::size_t q) { return score[p] > score[q]; });
    Eigen::VectorXd winner;
    double winner_score = -kInf;
    int refined = 0;
    for (std::size_t r = 0; r < k; ++r) {
      const Eigen::VectorXd& start = cands[idx[r]];
      if (seen(start)) continue;
      if (score[idx[r]] > winner_score) {
        winner = start;
        winner_score = score[idx[r]];
      }
      if (free_cols.empty() || refined >= n_refine) continue;
      ++refined;
      const std::optional<Eigen::VectorXd> snapped = refine(a, start);
      if (!snapped) continue;
      const double v = value_at(a, *snapped);
      if (v > winner_score) {
        winner = *snapped;
        winner_score = v;
      }
    }
    return winner;
  }
};

// gp_hedge's draw: softmax over the gains (eta = 1, as scikit-optimize's) of EI, LCB and, with
// `pi`, PI.
std::size_t draw_arm(const std::vector<double>& gains, bool pi, Rng& rng) {
  const double gmax = *std::max_element(gains.begin(), gains.end());
  double total = 0;
  std::vector<double> w(3);
  for (std::size_t a = 0; a < 3; ++a)
    total += (w[a] = a != 2 || pi ? std::exp(gains[a] - gmax) : 0.0);
  const double u = rng.uniform() * total;
  std::size_t arm = 0;
  for (double acc = w[0]; arm < 2 && u >= acc; acc += w[++arm]) {
  }
  return arm;
}

}  // namespace

Proposal Optimizer::propose(const std::vector<Point>& lies) {
  const std::size_t asked = xs_.size() + failed_.size() + lies.size();
  Rng rng(mix(settings_.random_state, 0xA5C + asked));
  Proposal out;
  // Initial design first (skipping points already evaluated, e.g. told by hand).
  if (asked < initial_.size()) {
    out.x = initial_[asked];
    out.acquisition = "initial";
    if (!seen(encode(space_, out.x))) return out;
  }
  const Seen is_seen = [this](const Eigen::VectorXd& z) { return seen(z); };
  auto fallback = [&](Proposal& o) {
    std::optional<Point> p = unseen_point(space_, {&xs_, &failed_, &pending_}, is_seen, rng);
    o.hedge_candidates.clear();
    if (!p) {
      o.exhausted = true;
      o.x.clear();
      o.acquisition = "exhausted";
      return;
    }
    o.x = *p;
    o.acquisition = "random";
  };

  if (ys_.size() < 2) {
    fallback(out);
    return out;
  }

  // Model: ML-II on the real observations, lies added with the same hyperparameters.
  std::vector<double> ty;
  const Gp fitted = fit_surrogate(&ty);
  Gp gp = fitted;
  const int d = encoded_size(space_);
  const auto n_obs = static_cast<Eigen::Index>(xs_.size());
  const auto n_all = n_obs + static_cast<Eigen::Index>(lies.size());
  Eigen::MatrixXd X(n_all, d);
  Eigen::VectorXd y(n_all);
  const double y_min = *std::min_element(ty.begin(), ty.end());
  for (Eigen::Index i = 0; i < n_obs; ++i) {
    X.row(i) = encode(space_, xs_[static_cast<std::size_t>(i)]).transpose();
    y(i) = ty[static_cast<std::size_t>(i)];
  }
  for (std::size_t i = 0; i < lies.size(); ++i) {
    X.row(n_obs + static_cast<Eigen::Index>(i)) = encode(space_, lies[i]).transpose();
    y(n_obs + static_cast<Eigen::Index>(i)) = y_min;
  }
  if (!lies.empty()) gp.fit(X, y, fitted.params());
  const double best = (y_min - gp.y_mean()) / gp.y_scale();
  auto normalised = [&](const Eigen::MatrixXd& Z, Eigen::VectorXd* mu, Eigen::VectorXd* sd) {
    gp.predict(Z, mu, sd);
    *mu = (mu->array() - gp.y_mean()) / gp.y_scale();
    if (sd != nullptr) *sd = sd->array() / gp.y_scale();
  };

  // gp_hedge: reward each arm by the new model's (normalised) mean at its last proposal.
  if (settings_.acquisition == Acquisition::kHedge && hedge_candidates_.size() == 3) {
    Eigen::MatrixXd C(3, d);
    for (int a = 0; a < 3; ++a) {
      C.row(a) = Eigen::Map<const Eigen::VectorXd>(
                     hedge_candidates_[static_cast<std::size_t>(a)].data(), d)
                     .transpose();
    }
    Eigen::VectorXd mu;
    normalised(C, &mu, nullptr);
    for (int a = 0; a < 3; ++a) gains_[static_cast<std::size_t>(a)] -= mu(a);
    hedge_candidates_.clear();
  }

  // Beyond 200 observations the candidates (whose posterior sd costs O(n^2) each) and the
  // L-BFGS-B starts shrink as 200/n, so a proposal's search costs about what it does at 200.
  const double shrink =
      std::min(1.0, 200.0 / static_cast<double>(std::max<Eigen::Index>(1, n_all)));
  const auto m = static_cast<std::size_t>(
      std::max(16.0, std::round(std::max(16, settings_.n_candidates) * shrink)));
  const int n_refine = std::max(1, static_cast<int>(std::round(settings_.n_refine * shrink)));
  const std::vector<Eigen::Index> free_cols = free_columns(space_);
  const bool local = settings_.budget > 0 && !free_cols.empty() &&
                     static_cast<double>(asked) >= settings_.local_phase * settings_.budget;
  std::vector<Eigen::VectorXd> cands;
  const auto nf = static_cast<Eigen::Index>(free_cols.size());
  Eigen::VectorXd lo = Eigen::VectorXd::Zero(nf);  // the unit cube, or the local phase's box
  Eigen::VectorXd hi = Eigen::VectorXd::Ones(nf);
  if (local) {
    const auto inc = std::min_element(ys_.begin(), ys_.end()) - ys_.begin();
    cands = local_candidates(space_, encode(space_, xs_[static_cast<std::size_t>(inc)]), free_cols,
                             settings_.local_radius, settings_.local_slices, m, rng, &lo, &hi);
  } else {
    cands = candidate_points(space_, xs_, ys_, m, rng);
  }
  Eigen::VectorXd mu;
  Eigen::VectorXd sd;
  auto score = [&] {
    Eigen::MatrixXd Z(static_cast<Eigen::Index>(cands.size()), d);
    for (std::size_t i = 0; i < cands.size(); ++i)
      Z.row(static_cast<Eigen::Index>(i)) = cands[i].transpose();
    normalised(Z, &mu, &sd);
  };
  score();
  // The search reads cands, mu, sd, lo and hi through references (re-scored below).
  const AcquisitionSearch search{space_, settings_, gp,       best,    cands, mu,
                                 sd,     free_cols, n_refine, is_seen, lo,    hi};
  if (local) {
    const Eigen::VectorXd z = search.best_for(Acquisition::kEI);
    if (z.size() != 0) {
      out.x = decode(space_, z);
      out.acquisition = "EI-local";
      return out;
    }
    // Every point of the box and the slices is taken (a small integer space): the global search.
    cands = candidate_points(space_, xs_, ys_, m, rng);
    lo.setZero(nf);
    hi.setOnes(nf);
    score();
  }

  if (settings_.acquisition != Acquisition::kHedge) {
    const Eigen::VectorXd z = search.best_for(settings_.acquisition);
    if (z.size() == 0) {
      fallback(out);
    } else {
      out.x = decode(space_, z);
      out.acquisition = acquisition_name(settings_.acquisition);
    }
    return out;
  }
  const Acquisition arms[3] = {Acquisition::kEI, Acquisition::kLCB, Acquisition::kPI};
  // PI is an arm only with hedge_pi (its gain is kept either way, for the study file's format).
  std::vector<Eigen::VectorXd> picks;
  for (std::size_t a = 0; a < 3; ++a)
    picks.push_back(a != 2 || settings_.hedge_pi ? search.best_for(arms[a]) : Eigen::VectorXd());
  const std::size_t arm = draw_arm(gains_, settings_.hedge_pi, rng);
  out.hedge_gains = gains_;
  for (std::size_t a = 0; a < 3; ++a) {
    const Eigen::VectorXd& z = picks[a].size() == 0 ? picks[arm] : picks[a];
    out.hedge_candidates.emplace_back(z.data(), z.data() + z.size());
  }
  if (picks[arm].size() == 0) {
    fallback(out);
    return out;
  }
  hedge_candidates_ = out.hedge_candidates;
  out.x = decode(space_, picks[arm]);
  out.acquisition = acquisition_name(arms[arm]);
  return out;
}

Proposal Optimizer::ask() {
  std::vector<Proposal> p = ask_batch(1);
  if (p.empty()) {
    Proposal none;
    none.exhausted = true;
    none.acquisition = "exhausted";
    return none;
  }
  return p.front();
}

std::vector<Proposal> Optimizer::ask_batch(int n) {
  std::vector<Proposal> out;
  for (int i = 0; i < std::max(1, n); ++i) {
    Proposal p = propose(pending_);
    if (p.exhausted) {
      exhausted_ = true;
      break;
    }
    pending_.push_back(p.x);
    out.push_back(std::move(p));
  }
  return out;
}

namespace {
void drop_pending(std::vector<Point>& pending, const Space& space, const Point& x) {
  const Eigen::VectorXd z = encode(space, x);
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    if ((encode(space, *it) - z).cwiseAbs().maxCoeff() < 1e-12) {
      pending.erase(it);
      return;
    }
  }
}
}  // namespace

void Optimizer::tell(const Point& x, double value) {
  drop_pending(pending_, space_, x);
  xs_.push_back(x);
  ys_.push_back(value);
}

void Optimizer::tell_failed(const Point& x) {
  drop_pending(pending_, space_, x);
  failed_.push_back(x);
}

void Optimizer::restore_hedge(const std::vector<double>& gains,
                              const std::vector<std::vector<double>>& candidates) {
  if (gains.size() == 3) gains_ = gains;
  const auto d = static_cast<std::size_t>(encoded_size(space_));
  hedge_candidates_.clear();
  if (candidates.size() == 3 &&
      std::all_of(candidates.begin(), candidates.end(),
                  [d](const std::vector<double>& c) { return c.size() == d; })) {
    hedge_candidates_ = candidates;
  }
}

}  // namespace rlab::bayesopt
