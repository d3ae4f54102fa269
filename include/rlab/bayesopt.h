// `rlab bayesopt`: Bayesian optimisation with a Gaussian-process surrogate (pure core, no I/O).
//
// Search space -> unit-cube encoding -> GP (Matern-5/2 ARD x constant + noise, ML-II
// hyperparameters) -> acquisition (EI, PI, LCB, gp_hedge) -> proposal. The Optimizer offers
// ask/tell; evaluating the objective is the caller's business.
#pragma once

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlab::bayesopt {

/// One dimension of the search space.
struct Dimension {
  enum class Kind { kReal, kInteger, kCategorical };
  std::string name;
  Kind kind = Kind::kReal;
  double low = 0;                       ///< Real and integer: lower bound (inclusive).
  double high = 1;                      ///< Real and integer: upper bound (inclusive).
  bool log = false;                     ///< Real: log-uniform prior (searched on a log scale).
  std::vector<std::string> categories;  ///< Categorical: the choices.
  std::string where;                    ///< "file:line:col" for messages ("" when unknown).
};

/// The search space: dimensions in the user's order.
struct Space {
  std::vector<Dimension> dims;
  std::string where;  ///< Location of the space as a whole, for "empty space".
};

/// Throws InputError "<where>: ..." for an empty space, duplicate names, low >= high,
/// log-uniform with low <= 0, a categorical with no or duplicate categories.
void validate_space(const Space& space);

/// A point in the user's scale: reals as is, integers as whole numbers, categoricals as the
/// index of the category (0-based).
using Point = std::vector<double>;

/// JSON object name -> value (categoricals as strings, integers as JSON integers).
nlohmann::json point_to_json(const Space& space, const Point& x);
/// Inverse of point_to_json; throws InputError "<where>: ..." for missing names, wrong types,
/// values out of range or unknown categories.
Point point_from_json(const Space& space, const nlohmann::json& params, const std::string& where);
/// The space as JSON (the study file's `meta.space`, the harness's space format).
nlohmann::json space_to_json(const Space& space);
/// Human-readable reason why `other` (e.g. read from a study file) is not `space`; "" if equal.
std::string space_difference(const Space& space, const nlohmann::json& other);

/// Number of columns of the encoded (model) space: one per real/integer, one per category.
int encoded_size(const Space& space);
/// User point -> model vector in [0,1]^encoded_size (log dims on a log scale, one-hot).
Eigen::VectorXd encode(const Space& space, const Point& x);
/// Model vector -> user point (integers rounded, categoricals by largest column).
Point decode(const Space& space, const Eigen::VectorXd& z);
/// Unit-cube sample u in [0,1)^dims -> user point (one coordinate per dimension).
Point from_unit(const Space& space, const std::vector<double>& u);

// ---------------------------------------------------------------------------------------------
// Gaussian process

/// Hyperparameters, all as natural logarithms: log amplitude^2, log lengthscale per encoded
/// column, log noise variance. Targets are normalised (zero mean, unit variance) first.
struct GpParams {
  double log_amplitude = 0;
  Eigen::VectorXd log_lengthscale;
  double log_noise = std::log(1e-4);
};

/// Lower bounds of the ML-II fit (amplitude and upper bounds are fixed).
struct GpBounds {
  double noise_floor = 1e-6;      ///< noise variance of the normalised targets
  double min_lengthscale = 0.03;  ///< in unit-cube widths
};

/// Negative log marginal likelihood of normalised targets `y` at `X` (n x d) and its gradient
/// with respect to the packed parameters [log_amplitude, log_lengthscale..., log_noise].
/// Returns +inf when the kernel matrix cannot be factorised even with jitter.
double gp_neg_log_likelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                             const Eigen::VectorXd& packed, Eigen::VectorXd* gradient);

/// A fitted GP on normalised targets.
class Gp {
 public:
  /// Fits with fixed hyperparameters (Cholesky with growing jitter). `y` in the user's units.
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const GpParams& params);
  /// ML-II: multi-start L-BFGS-B on the log marginal likelihood (bounded log parameters);
  /// starts from the default and `restarts` random points drawn with `seed`.
  void fit_ml(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int restarts, std::uint64_t seed,
              const GpBounds& bounds = {});
  /// Posterior mean and standard deviation of the latent function (user units).
  void predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd* mean, Eigen::VectorXd* sd) const;
  /// Mean and sd at one point, with gradients with respect to x (normalised units).
  void predict_grad(const Eigen::VectorXd& x, double* mean, double* sd, Eigen::VectorXd* dmean,
                    Eigen::VectorXd* dsd) const;
  [[nodiscard]] const GpParams& params() const { return params_; }
  [[nodiscard]] double y_mean() const { return y_mean_; }
  [[nodiscard]] double y_scale() const { return y_scale_; }
  [[nodiscard]] double jitter() const { return jitter_; }
  [[nodiscard]] double neg_log_likelihood() const { return nll_; }

 private:
  Eigen::MatrixXd X_;
  GpParams params_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;
  double y_mean_ = 0;
  double y_scale_ = 1;
  double jitter_ = 0;
  double nll_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Optimiser

enum class Acquisition { kEI, kPI, kLCB, kHedge };
enum class InitialDesign { kRandom, kLhs, kSobol };

Acquisition parse_acquisition(const std::string& name);  ///< "EI","PI","LCB","gp_hedge"
std::string acquisition_name(Acquisition a);
InitialDesign parse_initial_design(const std::string& name);  ///< "random","lhs","sobol"
std::string initial_design_name(InitialDesign d);

/// Transform of the observed values before the GP sees them (the model, acquisitions and the
/// best value are in the transformed scale; a monotone map keeps the ordering).
enum class OutputWarp {
  kNone,   ///< the values as observed (standardised)
  kPower,  ///< Box-Cox (y > 0) or Yeo-Johnson on y / sd, lambda in [0, 1] by max. likelihood
  kAuto,   ///< kPower or kNone, whichever GP has the higher marginal likelihood of the observed
           ///< values (the warp's Jacobian included)
};

struct Settings {
  int n_initial_points = 10;
  Acquisition acquisition = Acquisition::kHedge;
  InitialDesign initial_design = InitialDesign::kRandom;
  std::uint64_t random_state = 0;
  double xi = 0.001;        ///< EI/PI exploration margin (normalised, warped units).
  double kappa = 1.96;      ///< LCB: mean - kappa * sd.
  int n_candidates = 1000;  ///< Sobol candidates for the acquisition search (plus m/10
                            ///< perturbations of each of the 5 best points).
  int n_refine = 5;         ///< Best candidates refined with L-BFGS-B.
  int hp_restarts = 2;      ///< Random restarts of the ML-II fit (besides the default start).
  /// Up to this many observations the hyperparameters are refitted for every proposal. Beyond,
  /// they are refitted when n is a multiple of k (k: the largest power of two <= n / 25, about
  /// every 4 % of n) on the first such n observations and reused in between; the GP itself is
  /// always conditioned on every observation.
  int refit_every_until = 100;
  int hp_max_points = 256;  ///< ML-II on at most this many observations: the best half and an
                            ///< even spread of the others (the GP still uses all of them).
  OutputWarp output_warp = OutputWarp::kAuto;
  GpBounds gp_bounds;           ///< ML-II bounds (noise floor, shortest lengthscale).
  bool log_acquisition = true;  ///< EI and PI searched as log EI / log PI (no underflow where
                                ///< they are tiny; the same ranking where they are not).
  /// gp_hedge's arms: EI and LCB, and PI too when set. PI's points have the lowest posterior
  /// means, which is what the hedge rewards, so with PI among the arms it drew most proposals
  /// and the search stayed greedy on multimodal objectives (docs/benchmarks.md).
  bool hedge_pi = false;
  /// Evaluations the study will make in all (its n_calls; 0: unknown). With a budget, the last
  /// part of it is a local phase (below).
  int budget = 0;
  /// From this fraction of the budget on, proposals maximise (log) EI within a box of
  /// half-width local_radius (unit-cube widths, reals and integers) around the best point so
  /// far: the model's refinement of the incumbent instead of the hedge's exploration, which late
  /// in a run scatters proposals over the domain where the posterior sd is still large.
  double local_phase = 0.5;
  double local_radius = 0.1;
  /// The local phase's candidates also hold this many points spread over the whole range of
  /// each real or integer dimension, the others at the incumbent's values.
  int local_slices = 8;
};

/// The power transform of `y` used by OutputWarp::kPower (monotone increasing; constant or
/// non-finite input comes back unchanged).
std::vector<double> power_warp(const std::vector<double>& y);
/// power_warp, and the log of its Jacobian, sum_i log dw/dy at y_i, in `log_jacobian`.
std::vector<double> power_warp(const std::vector<double>& y, double* log_jacobian);

/// Acquisition value to maximise, from the normalised posterior mean `mu` and sd `sd` and the
/// best normalised observation `best` (minimisation): EI = (best-mu-xi) Phi(z) + sd phi(z),
/// PI = Phi(z) with z = (best-mu-xi)/sd, LCB as -(mu - kappa sd). gp_hedge gives EI.
double acquisition_value(Acquisition a, double mu, double sd, double best, const Settings& s);

/// log EI or log PI (Settings::log_acquisition), accurate where EI and PI underflow (z below
/// about -38); other acquisitions as acquisition_value.
double log_acquisition_value(Acquisition a, double mu, double sd, double best, const Settings& s);

/// What ask() proposes.
struct Proposal {
  Point x;
  std::string acquisition;          ///< "initial", "EI", "PI", "LCB" (for gp_hedge: the arm drawn),
                                    ///< "EI-local" (the local phase), "random" or "exhausted".
  std::vector<double> hedge_gains;  ///< gp_hedge: gains used for this draw.
  std::vector<std::vector<double>> hedge_candidates;  ///< gp_hedge: each arm's proposal (encoded).
  /// The space is finite and every point in it has been evaluated, failed or is pending: `x` is
  /// empty and nothing is left to propose.
  bool exhausted = false;
};

/// Ask/tell Bayesian optimiser. Deterministic: the proposal depends only on the settings and the
/// observations told so far (in order), so a study replayed from its file continues exactly
/// as an uninterrupted run would.
class Optimizer {
 public:
  Optimizer(Space space, Settings settings);
  /// Next point to evaluate. With pending points (asked, not told) the model assumes each
  /// pending point returned the best value seen so far (constant liar, "cl_min").
  Proposal ask();
  /// `n` points for parallel evaluation (constant liar between them); fewer (possibly none)
  /// when a finite space runs out of points never evaluated (see exhausted()).
  std::vector<Proposal> ask_batch(int n);
  /// True after an ask found every point of a finite space evaluated, failed or pending.
  [[nodiscard]] bool exhausted() const { return exhausted_; }
  /// Records an evaluation. A point that was asked stops being pending.
  void tell(const Point& x, double value);
  /// Records a failed evaluation: never proposed again, not modelled.
  void tell_failed(const Point& x);
  /// Restores gp_hedge state from a study file (the gains and arm proposals of the last ask).
  void restore_hedge(const std::vector<double>& gains,
                     const std::vector<std::vector<double>>& candidates);
  /// Forgets pending points (e.g. asked by a run that was killed).
  void clear_pending() { pending_.clear(); }
  /// Marks `x` as being evaluated elsewhere (an open ask): avoided and lied about.
  void add_pending(const Point& x) { pending_.push_back(x); }

  [[nodiscard]] const Space& space() const { return space_; }
  [[nodiscard]] const Settings& settings() const { return settings_; }
  [[nodiscard]] std::size_t n_observations() const { return ys_.size(); }
  [[nodiscard]] const std::vector<Point>& xs() const { return xs_; }
  [[nodiscard]] const std::vector<double>& ys() const { return ys_; }
  /// Fits the model to all observations (for partial dependence); nullopt with < 2 points.
  [[nodiscard]] std::optional<Gp> model() const;

 private:
  Proposal propose(const std::vector<Point>& lies);
  /// Number of leading observations the hyperparameters are fitted on when there are n.
  [[nodiscard]] std::size_t hyper_fit_size(std::size_t n) const;
  bool seen(const Eigen::VectorXd& z) const;
  /// The targets the surrogate models (ys_ after the output warp).
  [[nodiscard]] std::vector<double> targets() const;
  struct HyperCache {
    std::size_t n = 0;  ///< hyperparameters fitted on the first n observations (0: none yet)
    GpParams params;
  };
  /// The GP on `y` (the first y.size() observations, as targets), its hyperparameters from
  /// `cache` or fitted on the first hyper_fit_size observations, power-warped when `warped`.
  [[nodiscard]] std::optional<Gp> fit_model(const std::vector<double>& y, HyperCache* cache,
                                            bool warped) const;
  /// The surrogate for proposals and the targets it models (ys_ after the output warp; with
  /// OutputWarp::kAuto the warp whose GP has the higher marginal likelihood).
  [[nodiscard]] Gp fit_surrogate(std::vector<double>* targets) const;
  /// OutputWarp::kAuto's choice on the first ys.size() observations (both models come back).
  bool warped_is_likelier(const std::vector<double>& ys, HyperCache* warped_cache,
                          HyperCache* raw_cache, std::optional<Gp>* warped_gp,
                          std::optional<Gp>* raw_gp) const;

  Space space_;
  Settings settings_;
  std::vector<Point> initial_;
  std::vector<Point> xs_;
  std::vector<double> ys_;
  std::vector<Point> failed_;
  std::vector<Point> pending_;
  std::vector<double> gains_;
  std::vector<std::vector<double>> hedge_candidates_;
  // Hyperparameters fitted on the first fit_n_ observations (a pure function of them and the
  // seed, so caching them keeps proposals independent of how the history was built).
  bool exhausted_ = false;
  mutable HyperCache fit_cache_;           // on targets() (proposals)
  mutable HyperCache raw_cache_;           // on the observed values, for OutputWarp::kAuto
  mutable std::size_t auto_choice_n_ = 0;  // kAuto beyond refit_every_until: the choice made on
  mutable bool auto_warped_ = true;        // the first auto_choice_n_ observations
  mutable HyperCache plot_cache_;          // on the observed values (model(), partial dependence)
};

/// Number of points of a space without real dimensions (integers and categoricals only), or
/// nullopt when it has a real dimension (a continuum). Saturates at 2^63.
std::optional<double> finite_size(const Space& space);

/// Partial dependence of the model on dimension `dim`: the mean prediction averaged over
/// `samples` points drawn from the other dimensions, at `grid` values of `dim`.
struct PartialDependence {
  std::vector<double> x;     ///< Grid in the user's scale (category index for categoricals).
  std::vector<double> mean;  ///< Averaged posterior mean.
  std::vector<double> sd;    ///< Spread of the posterior mean over the other dimensions' samples.
};
PartialDependence partial_dependence(const Space& space, const Gp& gp, int dim, int grid,
                                     int samples, std::uint64_t seed);

// ---------------------------------------------------------------------------------------------
// Built-in test functions (exactly as the benchmark harness defines them; all minimised)

struct Builtin {
  std::string name;
  Space space;
  double f_min;
};
/// "branin", "hartmann6", "ackley5", "rosenbrock4", "mixed4".
const std::vector<std::string>& builtin_names();
/// The function's space and optimum; std::nullopt for an unknown name.
std::optional<Builtin> builtin(const std::string& name);
/// Evaluates a built-in at a user point of its space.
double builtin_value(const std::string& name, const Point& x);

}  // namespace rlab::bayesopt
