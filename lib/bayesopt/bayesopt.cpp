// The pure core of `rlab bayesopt`: space encoding, GP surrogate, acquisitions, ask/tell.
#include "rlab/bayesopt.h"

#include "rlab/error.h"
#include "rlab/text.h"

#include <LBFGSB.h>

#include <algorithm>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

namespace rlab::bayesopt {

namespace {

constexpr double kSqrt5 = 2.23606797749978969640;
constexpr double kPi = 3.14159265358979323846;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Hyperparameter box (natural logs), normalised targets and unit-cube inputs. Lengthscales stay
// above a tenth of the cube's side: below that, two points 0.1 apart are nearly uncorrelated,
// and with tens of observations an ML-II fit of a rough, multimodal function (Ackley) picks such
// a lengthscale to interpolate its ripples; the surrogate then has no trend to follow.
const double kLogAmpLo = std::log(1e-2);
const double kLogAmpHi = std::log(1e2);
const double kLogLenLo = std::log(1e-1);
const double kLogLenHi = std::log(1e2);
const double kLogNoiseLo = std::log(1e-6);
const double kLogNoiseHi = std::log(1.0);

// SplitMix64: a small, well-mixed generator; the whole core draws from it, so runs are
// reproducible across platforms and standard libraries.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
  }
  double uniform() { return static_cast<double>(next() >> 11U) * 0x1.0p-53; }
  double normal() {
    double u1 = uniform();
    while (u1 <= 0) u1 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * uniform());
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * n) % n; }

 private:
  std::uint64_t s_;
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  Rng r(a ^ (b * 0xD1B54A32D192ED03ULL));
  r.next();
  return r.next();
}

double matern(double r) { return (1 + kSqrt5 * r + 5.0 / 3.0 * r * r) * std::exp(-kSqrt5 * r); }

double norm_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double norm_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * kPi); }

std::string num(double v) { return format_number(v, 6); }

// Kernel matrix without noise for scaled inputs (columns divided by the lengthscales), from
// squared distances |a|^2 + |b|^2 - 2 a.b (one matrix product).
Eigen::MatrixXd kernel_matrix(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, double amp) {
  Eigen::MatrixXd K = -2.0 * (A * B.transpose());
  K.colwise() += A.rowwise().squaredNorm();
  K.rowwise() += B.rowwise().squaredNorm().transpose();
  return K.unaryExpr([amp](double d2) { return amp * matern(std::sqrt(std::max(d2, 0.0))); });
}

// Cholesky of K + jitter*I with jitter growing from 0 until it succeeds; false if it never does.
bool factorise(Eigen::MatrixXd K, Eigen::LLT<Eigen::MatrixXd>* llt, double* jitter) {
  double j = 0;
  for (int attempt = 0; attempt < 9; ++attempt) {
    if (attempt > 0) {
      const double next = attempt == 1 ? 1e-10 : j * 10;
      K.diagonal().array() += next - j;
      j = next;
    }
    llt->compute(K);
    if (llt->info() == Eigen::Success && llt->matrixLLT().diagonal().minCoeff() > 0) {
      *jitter = j;
      return true;
    }
  }
  return false;
}

GpParams unpack(const Eigen::VectorXd& p) {
  GpParams g;
  const Eigen::Index d = p.size() - 2;
  g.log_amplitude = p(0);
  g.log_lengthscale = p.segment(1, d);
  g.log_noise = p(d + 1);
  return g;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Space

void validate_space(const Space& space) {
  if (space.dims.empty()) throw InputError(space.where + ": the search space is empty");
  std::set<std::string> names;
  for (const Dimension& d : space.dims) {
    const std::string at = d.where.empty() ? space.where : d.where;
    if (d.name.empty()) throw InputError(at + ": a dimension has an empty name");
    if (!names.insert(d.name).second) {
      throw InputError(at + ": duplicate dimension name '" + d.name + "'");
    }
    switch (d.kind) {
      case Dimension::Kind::kReal:
      case Dimension::Kind::kInteger:
        if (!std::isfinite(d.low) || !std::isfinite(d.high)) {
          throw InputError(at + ": '" + d.name + "' needs finite bounds");
        }
        if (d.low >= d.high) {
          throw InputError(at + ": '" + d.name + "' has low >= high (" + num(d.low) +
                           " >= " + num(d.high) + ")");
        }
        if (d.log && d.low <= 0) {
          throw InputError(at + ": '" + d.name + "' is log-uniform, so low must be > 0 (got " +
                           num(d.low) + ")");
        }
        if (d.kind == Dimension::Kind::kInteger &&
            (d.low != std::floor(d.low) || d.high != std::floor(d.high))) {
          throw InputError(at + ": '" + d.name + "' is an integer, so its bounds must be whole");
        }
        break;
      case Dimension::Kind::kCategorical: {
        if (d.categories.empty()) {
          throw InputError(at + ": '" + d.name + "' has no categories");
        }
        std::set<std::string> cats;
        for (const auto& c : d.categories) {
          if (!cats.insert(c).second) {
            throw InputError(at + ": '" + d.name + "' lists category '" + c + "' twice");
          }
        }
        break;
      }
    }
  }
}

int encoded_size(const Space& space) {
  int n = 0;
  for (const Dimension& d : space.dims) {
    n += d.kind == Dimension::Kind::kCategorical ? static_cast<int>(d.categories.size()) : 1;
  }
  return n;
}

Eigen::VectorXd encode(const Space& space, const Point& x) {
  Eigen::VectorXd z = Eigen::VectorXd::Zero(encoded_size(space));
  Eigen::Index c = 0;
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    switch (d.kind) {
      case Dimension::Kind::kReal:
        z(c++) = d.log ? (std::log(x[i]) - std::log(d.low)) / (std::log(d.high) - std::log(d.low))
                       : (x[i] - d.low) / (d.high - d.low);
        break;
      case Dimension::Kind::kInteger:
        z(c++) = (x[i] - d.low) / (d.high - d.low);
        break;
      case Dimension::Kind::kCategorical:
        z(c + static_cast<Eigen::Index>(x[i])) = 1;
        c += static_cast<Eigen::Index>(d.categories.size());
        break;
    }
  }
  return z;
}

Point decode(const Space& space, const Eigen::VectorXd& z) {
  Point x(space.dims.size());
  Eigen::Index c = 0;
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    if (d.kind == Dimension::Kind::kCategorical) {
      const auto k = static_cast<Eigen::Index>(d.categories.size());
      Eigen::Index best = 0;
      z.segment(c, k).maxCoeff(&best);
      x[i] = static_cast<double>(best);
      c += k;
      continue;
    }
    const double u = std::clamp(z(c++), 0.0, 1.0);
    if (d.kind == Dimension::Kind::kInteger) {
      x[i] = std::clamp(std::round(d.low + u * (d.high - d.low)), d.low, d.high);
    } else if (d.log) {
      x[i] = std::clamp(std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low))), d.low,
                        d.high);
    } else {
      x[i] = std::clamp(d.low + u * (d.high - d.low), d.low, d.high);
    }
  }
  return x;
}

Point from_unit(const Space& space, const std::vector<double>& u) {
  Point x(space.dims.size());
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    const double v = std::clamp(u[i], 0.0, std::nextafter(1.0, 0.0));
    switch (d.kind) {
      case Dimension::Kind::kReal:
        x[i] = d.log ? std::exp(std::log(d.low) + v * (std::log(d.high) - std::log(d.low)))
                     : d.low + v * (d.high - d.low);
        x[i] = std::clamp(x[i], d.low, d.high);
        break;
      case Dimension::Kind::kInteger:
        x[i] = std::min(d.high, d.low + std::floor(v * (d.high - d.low + 1)));
        break;
      case Dimension::Kind::kCategorical:
        x[i] = std::floor(v * static_cast<double>(d.categories.size()));
        break;
    }
  }
  return x;
}

nlohmann::json point_to_json(const Space& space, const Point& x) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    if (d.kind == Dimension::Kind::kCategorical) {
      j[d.name] = d.categories[static_cast<std::size_t>(x[i])];
    } else if (d.kind == Dimension::Kind::kInteger) {
      j[d.name] = static_cast<long long>(x[i]);
    } else {
      j[d.name] = x[i];
    }
  }
  return j;
}

Point point_from_json(const Space& space, const nlohmann::json& params, const std::string& where) {
  if (!params.is_object()) throw InputError(where + ": 'params' must be an object");
  Point x(space.dims.size());
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const Dimension& d = space.dims[i];
    if (!params.contains(d.name)) throw InputError(where + ": params lack '" + d.name + "'");
    const nlohmann::json& v = params.at(d.name);
    if (d.kind == Dimension::Kind::kCategorical) {
      if (!v.is_string()) throw InputError(where + ": '" + d.name + "' must be a string");
      const auto it = std::find(d.categories.begin(), d.categories.end(), v.get<std::string>());
      if (it == d.categories.end()) {
        throw InputError(where + ": '" + d.name + "' has unknown category '" +
                         v.get<std::string>() + "'");
      }
      x[i] = static_cast<double>(it - d.categories.begin());
      continue;
    }
    if (!v.is_number()) throw InputError(where + ": '" + d.name + "' must be a number");
    x[i] = v.get<double>();
    if (d.kind == Dimension::Kind::kInteger && x[i] != std::floor(x[i])) {
      throw InputError(where + ": '" + d.name + "' must be a whole number, got " + num(x[i]));
    }
    if (!(x[i] >= d.low && x[i] <= d.high)) {
      throw InputError(where + ": '" + d.name + "' = " + num(x[i]) + " is outside [" + num(d.low) +
                       ", " + num(d.high) + "]");
    }
  }
  for (const auto& item : params.items()) {
    const bool known = std::any_of(space.dims.begin(), space.dims.end(),
                                   [&](const Dimension& d) { return d.name == item.key(); });
    if (!known) throw InputError(where + ": params have unknown name '" + item.key() + "'");
  }
  return x;
}

nlohmann::json space_to_json(const Space& space) {
  nlohmann::json a = nlohmann::json::array();
  for (const Dimension& d : space.dims) {
    nlohmann::json j;
    j["name"] = d.name;
    if (d.kind == Dimension::Kind::kCategorical) {
      j["type"] = "categorical";
      j["categories"] = d.categories;
    } else if (d.kind == Dimension::Kind::kInteger) {
      j["type"] = "integer";
      j["low"] = static_cast<long long>(d.low);
      j["high"] = static_cast<long long>(d.high);
    } else {
      j["type"] = "real";
      j["low"] = d.low;
      j["high"] = d.high;
      j["prior"] = d.log ? "log-uniform" : "uniform";
    }
    a.push_back(j);
  }
  return a;
}

std::string space_difference(const Space& space, const nlohmann::json& other) {
  const nlohmann::json mine = space_to_json(space);
  if (!other.is_array()) return "the study file has no space";
  if (other.size() != mine.size()) {
    return "the study has " + std::to_string(other.size()) + " dimension(s), this space has " +
           std::to_string(mine.size());
  }
  for (std::size_t i = 0; i < mine.size(); ++i) {
    const nlohmann::json& a = mine[i];
    const nlohmann::json& b = other[i];
    const std::string name = a["name"].get<std::string>();
    if (!b.is_object() || b.value("name", std::string()) != name) {
      return "dimension " + std::to_string(i + 1) + " is '" + name + "' here, '" +
             (b.is_object() ? b.value("name", std::string("?")) : std::string("?")) +
             "' in the study";
    }
    for (const auto& item : a.items()) {
      const bool equal =
          b.contains(item.key()) && (item.value().is_number() && b[item.key()].is_number()
                                         ? item.value().get<double>() == b[item.key()].get<double>()
                                         : item.value() == b[item.key()]);
      if (!equal) {
        return "'" + name + "' has " + item.key() + " " + item.value().dump() + " here, " +
               (b.contains(item.key()) ? b[item.key()].dump() : std::string("none")) +
               " in the study";
      }
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Gaussian process

double gp_neg_log_likelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                             const Eigen::VectorXd& packed, Eigen::VectorXd* gradient) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  const double amp = std::exp(packed(0));
  const Eigen::ArrayXd len = packed.segment(1, d).array().exp();
  const double noise = std::exp(packed(d + 1));
  const Eigen::MatrixXd Xs = X.array().rowwise() / len.transpose();
  // One pass over the pairs i > j: the kernel and, for the lengthscale gradient,
  // G_ij = (5/3) amp (1 + sqrt5 r) exp(-sqrt5 r), sharing one exp per pair.
  Eigen::MatrixXd Kf(n, n);
  Eigen::MatrixXd G(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    Kf(j, j) = amp;
    G(j, j) = 0;
    for (Eigen::Index i = j + 1; i < n; ++i) {
      const double r = (Xs.row(i) - Xs.row(j)).norm();
      const double e = std::exp(-kSqrt5 * r);
      Kf(i, j) = Kf(j, i) = amp * (1 + kSqrt5 * r + 5.0 / 3.0 * r * r) * e;
      G(i, j) = 5.0 / 3.0 * amp * (1 + kSqrt5 * r) * e;
    }
  }
  Eigen::MatrixXd K = Kf;
  K.diagonal().array() += noise;
  Eigen::LLT<Eigen::MatrixXd> llt;
  double jitter = 0;
  if (!factorise(K, &llt, &jitter)) {
    if (gradient != nullptr) gradient->setZero(d + 2);
    return kInf;
  }
  const Eigen::VectorXd alpha = llt.solve(y);
  const double nll = 0.5 * y.dot(alpha) + llt.matrixLLT().diagonal().array().log().sum() +
                     0.5 * static_cast<double>(n) * std::log(2 * kPi);
  if (gradient == nullptr) return nll;
  // d nll / d theta = 0.5 * tr(W dK/dtheta), W = K^-1 - alpha alpha^T.
  Eigen::MatrixXd W = llt.solve(Eigen::MatrixXd::Identity(n, n));
  W.noalias() -= alpha * alpha.transpose();
  gradient->resize(d + 2);
  (*gradient)(0) = 0.5 * (W.array() * Kf.array()).sum();
  (*gradient)(d + 1) = 0.5 * noise * W.trace();
  // dK_ij/dlog l_k = G_ij (x_ik - x_jk)^2 / l_k^2; the pairs i > j count twice (symmetry).
  for (Eigen::Index k = 0; k < d; ++k) (*gradient)(k + 1) = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = j + 1; i < n; ++i) {
      const double w = G(i, j) * W(i, j);
      for (Eigen::Index k = 0; k < d; ++k) {
        const double diff = Xs(i, k) - Xs(j, k);
        (*gradient)(k + 1) += w * diff * diff;
      }
    }
  }
  return nll;
}

void Gp::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const GpParams& params) {
  X_ = X;
  params_ = params;
  const Eigen::Index n = X.rows();
  y_mean_ = y.mean();
  const double var = n > 1 ? (y.array() - y_mean_).square().sum() / static_cast<double>(n) : 0;
  y_scale_ = var > 0 && std::isfinite(var) ? std::sqrt(var) : 1.0;
  const Eigen::VectorXd yn = (y.array() - y_mean_) / y_scale_;
  const Eigen::ArrayXd len = params.log_lengthscale.array().exp();
  const Eigen::MatrixXd Xs = X.array().rowwise() / len.transpose();
  Eigen::MatrixXd K = kernel_matrix(Xs, Xs, std::exp(params.log_amplitude));
  K.diagonal().array() += std::exp(params.log_noise);
  if (!factorise(K, &llt_, &jitter_)) {
    // Last resort: a large noise term (the model then predicts little but stays usable).
    K.diagonal().array() += 1e-2;
    factorise(K, &llt_, &jitter_);
    jitter_ += 1e-2;
  }
  alpha_ = llt_.solve(yn);
  nll_ = 0.5 * yn.dot(alpha_) + llt_.matrixLLT().diagonal().array().log().sum() +
         0.5 * static_cast<double>(n) * std::log(2 * kPi);
}

void Gp::fit_ml(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int restarts,
                std::uint64_t seed) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  const double mean = y.mean();
  const double var =
      (y.array() - mean).square().sum() / static_cast<double>(std::max<Eigen::Index>(n, 1));
  const double scale = var > 0 && std::isfinite(var) ? std::sqrt(var) : 1.0;
  const Eigen::VectorXd yn = (y.array() - mean) / scale;

  Eigen::VectorXd lb(d + 2);
  Eigen::VectorXd ub(d + 2);
  lb(0) = kLogAmpLo;
  ub(0) = kLogAmpHi;
  lb.segment(1, d).setConstant(kLogLenLo);
  ub.segment(1, d).setConstant(kLogLenHi);
  lb(d + 1) = kLogNoiseLo;
  ub(d + 1) = kLogNoiseHi;

  LBFGSpp::LBFGSBParam<double> param;
  param.max_iterations = 50;
  param.epsilon = 1e-5;
  param.max_linesearch = 30;
  LBFGSpp::LBFGSBSolver<double> solver(param);

  Eigen::VectorXd best_p;
  double best_f = kInf;
  Rng rng(seed);
  for (int s = 0; s <= restarts; ++s) {
    Eigen::VectorXd p(d + 2);
    if (s == 0) {
      p(0) = 0;
      p.segment(1, d).setConstant(std::log(0.5));
      p(d + 1) = std::log(1e-3);
    } else {
      p(0) = std::log(0.3) + rng.uniform() * std::log(10.0);
      for (Eigen::Index k = 0; k < d; ++k) {
        p(k + 1) = std::log(0.05) + rng.uniform() * (std::log(3.0) - std::log(0.05));
      }
      p(d + 1) = std::log(1e-6) + rng.uniform() * (std::log(1e-1) - std::log(1e-6));
    }
    // The solver may stop with an exception (line search failure): keep the best point seen.
    Eigen::VectorXd seen_p = p;
    double seen_f = kInf;
    auto f = [&](const Eigen::VectorXd& q, Eigen::VectorXd& g) {
      const double v = gp_neg_log_likelihood(X, yn, q, &g);
      if (v < seen_f) {
        seen_f = v;
        seen_p = q;
      }
      if (!std::isfinite(v)) {
        g.setZero();
        return 1e10;
      }
      return v;
    };
    double fx = 0;
    try {
      solver.minimize(f, p, fx, lb, ub);
    } catch (const std::exception&) {
      // keep seen_p
    }
    if (seen_f < best_f) {
      best_f = seen_f;
      best_p = seen_p;
    }
  }
  if (best_p.size() == 0 || !std::isfinite(best_f)) {
    best_p = Eigen::VectorXd(d + 2);
    best_p(0) = 0;
    best_p.segment(1, d).setConstant(std::log(0.5));
    best_p(d + 1) = std::log(1e-2);
  }
  fit(X, y, unpack(best_p));
}

void Gp::predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd* mean, Eigen::VectorXd* sd) const {
  const Eigen::ArrayXd len = params_.log_lengthscale.array().exp();
  const Eigen::MatrixXd A = Xs.array().rowwise() / len.transpose();
  const Eigen::MatrixXd B = X_.array().rowwise() / len.transpose();
  const double amp = std::exp(params_.log_amplitude);
  Eigen::MatrixXd Kt = kernel_matrix(B, A, amp);  // n x m
  *mean = (Kt.transpose() * alpha_).array() * y_scale_ + y_mean_;
  if (sd != nullptr) {
    llt_.matrixL().solveInPlace(Kt);
    const Eigen::ArrayXd var = (amp - Kt.colwise().squaredNorm().transpose().array()).max(1e-18);
    *sd = var.sqrt() * y_scale_;
  }
}

void Gp::predict_grad(const Eigen::VectorXd& x, double* mean, double* sd, Eigen::VectorXd* dmean,
                      Eigen::VectorXd* dsd) const {
  const Eigen::Index n = X_.rows();
  const Eigen::Index d = X_.cols();
  const Eigen::ArrayXd len = params_.log_lengthscale.array().exp();
  const double amp = std::exp(params_.log_amplitude);
  Eigen::VectorXd k(n);
  Eigen::MatrixXd J(n, d);  // dk_i / dx
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::ArrayXd diff = (x.array() - X_.row(i).transpose().array()) / len;
    const double r = std::sqrt(diff.square().sum());
    const double e = std::exp(-kSqrt5 * r);
    k(i) = amp * (1 + kSqrt5 * r + 5.0 / 3.0 * r * r) * e;
    const double g = -5.0 / 3.0 * amp * (1 + kSqrt5 * r) * e;
    J.row(i) = (g * diff / len).transpose();
  }
  *mean = k.dot(alpha_);
  *dmean = J.transpose() * alpha_;
  const Eigen::VectorXd v = llt_.solve(k);
  const double var = amp - k.dot(v);
  if (var <= 1e-18) {
    *sd = 1e-9;
    dsd->setZero(d);
    return;
  }
  *sd = std::sqrt(var);
  *dsd = -(J.transpose() * v) / *sd;  // d var = -2 J^T v; d sd = d var / (2 sd)
}

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

// Acquisition value (to maximise) from normalised mean/sd, with derivatives w.r.t. mean and sd.
double acq_value(Acquisition a, double mu, double sd, double best, const Settings& s, double* dmu,
                 double* dsd) {
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

std::vector<double> random_unit(std::size_t dim, Rng& rng) {
  std::vector<double> u(dim);
  for (double& v : u) v = rng.uniform();
  return u;
}

}  // namespace

double acquisition_value(Acquisition a, double mu, double sd, double best, const Settings& s) {
  double dmu = 0;
  double dsd = 0;
  return acq_value(a, mu, sd, best, s, &dmu, &dsd);
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

std::size_t Optimizer::hyper_fit_size(std::size_t n) const {
  if (n <= static_cast<std::size_t>(std::max(0, settings_.refit_every_until))) return n;
  std::size_t k = 1;
  while (k * 2 <= n / 25) k *= 2;
  return n - n % k;
}

std::optional<Gp> Optimizer::model() const {
  if (ys_.size() < 2) return std::nullopt;
  const int d = encoded_size(space_);
  const std::size_t n = ys_.size();
  Eigen::MatrixXd X(static_cast<Eigen::Index>(n), d);
  Eigen::VectorXd y(static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    X.row(static_cast<Eigen::Index>(i)) = encode(space_, xs_[i]).transpose();
    y(static_cast<Eigen::Index>(i)) = ys_[i];
  }
  const std::size_t n_ref = std::max<std::size_t>(2, hyper_fit_size(n));
  if (fit_n_ != n_ref) {
    // The points the ML-II fit sees: all of the first n_ref, or at most hp_max_points of them
    // (the best half by value and an even spread of the rest, in observation order).
    std::vector<std::size_t> use(n_ref);
    std::iota(use.begin(), use.end(), 0);
    const auto cap = static_cast<std::size_t>(std::max(16, settings_.hp_max_points));
    if (n_ref > cap) {
      std::vector<std::size_t> order = use;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return ys_[a] < ys_[b]; });
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
      yf(static_cast<Eigen::Index>(i)) = ys_[use[i]];
    }
    Gp g;
    // Beyond 150 points one start (the default one) keeps the O(n^3) fit affordable.
    const int restarts = use.size() > 150 ? 0 : settings_.hp_restarts;
    g.fit_ml(Xf, yf, restarts, mix(settings_.random_state, 0xF17 + n_ref));
    fit_params_ = g.params();
    fit_n_ = n_ref;
    if (use.size() == n) return g;
  }
  Gp gp;
  gp.fit(X, y, fit_params_);
  return gp;
}

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
  const std::size_t dims = space_.dims.size();
  auto random_point = [&]() {
    for (int tries = 0; tries < 1000; ++tries) {
      Point p = from_unit(space_, random_unit(dims, rng));
      if (!seen(encode(space_, p))) return p;
    }
    return from_unit(space_, random_unit(dims, rng));
  };
  if (ys_.size() < 2) {
    out.x = random_point();
    out.acquisition = "random";
    return out;
  }

  // Model: ML-II on the real observations, lies added with the same hyperparameters.
  std::optional<Gp> fitted = model();
  Gp gp = *fitted;
  const int d = encoded_size(space_);
  const auto n_obs = static_cast<Eigen::Index>(xs_.size());
  const auto n_all = n_obs + static_cast<Eigen::Index>(lies.size());
  Eigen::MatrixXd X(n_all, d);
  Eigen::VectorXd y(n_all);
  const double y_min = *std::min_element(ys_.begin(), ys_.end());
  for (Eigen::Index i = 0; i < n_obs; ++i) {
    X.row(i) = encode(space_, xs_[static_cast<std::size_t>(i)]).transpose();
    y(i) = ys_[static_cast<std::size_t>(i)];
  }
  for (std::size_t i = 0; i < lies.size(); ++i) {
    X.row(n_obs + static_cast<Eigen::Index>(i)) = encode(space_, lies[i]).transpose();
    y(n_obs + static_cast<Eigen::Index>(i)) = y_min;
  }
  if (!lies.empty()) gp.fit(X, y, fitted->params());
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

  // Candidates: shifted Sobol points over the space plus perturbations of the best points.
  std::vector<Eigen::VectorXd> cands;
  const auto m = static_cast<std::size_t>(std::max(16, settings_.n_candidates));
  for (const auto& u : sobol_points(dims, m, rng))
    cands.push_back(encode(space_, from_unit(space_, u)));
  std::vector<std::size_t> order(ys_.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ys_[a] < ys_[b]; });
  const std::size_t top = std::min<std::size_t>(5, order.size());
  for (std::size_t t = 0; t < top; ++t) {
    const Eigen::VectorXd base = encode(space_, xs_[order[t]]);
    for (std::size_t j = 0; j < m / 10; ++j) {
      const double step = j % 2 == 0 ? 0.02 : 0.1;
      Eigen::VectorXd z = base;
      for (Eigen::Index c = 0; c < d; ++c) z(c) = std::clamp(z(c) + step * rng.normal(), 0.0, 1.0);
      cands.push_back(encode(space_, decode(space_, z)));  // snapped to the grid
    }
  }
  Eigen::MatrixXd Z(static_cast<Eigen::Index>(cands.size()), d);
  for (std::size_t i = 0; i < cands.size(); ++i)
    Z.row(static_cast<Eigen::Index>(i)) = cands[i].transpose();
  Eigen::VectorXd mu;
  Eigen::VectorXd sd;
  normalised(Z, &mu, &sd);

  // Columns the refinement may move: reals and integers (categoricals stay one-hot).
  std::vector<Eigen::Index> free_cols;
  {
    Eigen::Index c = 0;
    for (const Dimension& dim : space_.dims) {
      if (dim.kind == Dimension::Kind::kCategorical) {
        c += static_cast<Eigen::Index>(dim.categories.size());
      } else {
        free_cols.push_back(c++);
      }
    }
  }

  auto acq_at = [&](Acquisition a, const Eigen::VectorXd& z) {
    double mu1 = 0;
    double sd1 = 0;
    Eigen::VectorXd dm;
    Eigen::VectorXd ds;
    gp.predict_grad(z, &mu1, &sd1, &dm, &ds);
    double g1 = 0;
    double g2 = 0;
    return acq_value(a, mu1, sd1, best, settings_, &g1, &g2);
  };

  auto best_for = [&](Acquisition a) -> Eigen::VectorXd {
    std::vector<double> score(cands.size());
    for (std::size_t i = 0; i < cands.size(); ++i) {
      double g1 = 0;
      double g2 = 0;
      const auto ii = static_cast<Eigen::Index>(i);
      score[i] = acq_value(a, mu(ii), std::max(sd(ii), 1e-9), best, settings_, &g1, &g2);
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
      if (free_cols.empty() || refined >= settings_.n_refine) continue;
      ++refined;
      const auto nf = static_cast<Eigen::Index>(free_cols.size());
      Eigen::VectorXd q(nf);
      for (Eigen::Index c = 0; c < nf; ++c) q(c) = start(free_cols[static_cast<std::size_t>(c)]);
      Eigen::VectorXd full = start;
      auto f = [&](const Eigen::VectorXd& v, Eigen::VectorXd& g) {
        for (Eigen::Index c = 0; c < nf; ++c) full(free_cols[static_cast<std::size_t>(c)]) = v(c);
        double mu1 = 0;
        double sd1 = 0;
        Eigen::VectorXd dm;
        Eigen::VectorXd ds;
        gp.predict_grad(full, &mu1, &sd1, &dm, &ds);
        double dmu = 0;
        double dsd = 0;
        const double val = acq_value(a, mu1, sd1, best, settings_, &dmu, &dsd);
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
        solver.minimize(f, q, fx, Eigen::VectorXd::Zero(nf), Eigen::VectorXd::Ones(nf));
      } catch (const std::exception&) {
        continue;
      }
      for (Eigen::Index c = 0; c < nf; ++c) full(free_cols[static_cast<std::size_t>(c)]) = q(c);
      const Eigen::VectorXd snapped = encode(space_, decode(space_, full));
      if (seen(snapped)) continue;
      const double v = acq_at(a, snapped);
      if (v > winner_score) {
        winner = snapped;
        winner_score = v;
      }
    }
    return winner;
  };

  if (settings_.acquisition != Acquisition::kHedge) {
    const Eigen::VectorXd z = best_for(settings_.acquisition);
    if (z.size() == 0) {
      out.x = random_point();
      out.acquisition = "random";
    } else {
      out.x = decode(space_, z);
      out.acquisition = acquisition_name(settings_.acquisition);
    }
    return out;
  }
  const Acquisition arms[3] = {Acquisition::kEI, Acquisition::kLCB, Acquisition::kPI};
  std::vector<Eigen::VectorXd> picks;
  for (Acquisition a : arms) picks.push_back(best_for(a));
  // Softmax over the gains (eta = 1), as scikit-optimize's gp_hedge.
  const double gmax = *std::max_element(gains_.begin(), gains_.end());
  double total = 0;
  std::vector<double> w(3);
  for (std::size_t a = 0; a < 3; ++a) total += (w[a] = std::exp(gains_[a] - gmax));
  const double u = rng.uniform() * total;
  std::size_t arm = 0;
  for (double acc = w[0]; arm < 2 && u >= acc; acc += w[++arm]) {
  }
  out.hedge_gains = gains_;
  for (std::size_t a = 0; a < 3; ++a) {
    const Eigen::VectorXd& z = picks[a].size() == 0 ? picks[arm] : picks[a];
    out.hedge_candidates.emplace_back(z.data(), z.data() + z.size());
  }
  if (picks[arm].size() == 0) {
    out.x = random_point();
    out.acquisition = "random";
    out.hedge_candidates.clear();
    return out;
  }
  hedge_candidates_ = out.hedge_candidates;
  out.x = decode(space_, picks[arm]);
  out.acquisition = acquisition_name(arms[arm]);
  return out;
}

Proposal Optimizer::ask() { return ask_batch(1).front(); }

std::vector<Proposal> Optimizer::ask_batch(int n) {
  std::vector<Proposal> out;
  for (int i = 0; i < std::max(1, n); ++i) {
    Proposal p = propose(pending_);
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

PartialDependence partial_dependence(const Space& space, const Gp& gp, int dim, int grid,
                                     int samples, std::uint64_t seed) {
  const Dimension& dd = space.dims[static_cast<std::size_t>(dim)];
  PartialDependence pd;
  if (dd.kind == Dimension::Kind::kCategorical) {
    for (std::size_t c = 0; c < dd.categories.size(); ++c) pd.x.push_back(static_cast<double>(c));
  } else if (dd.kind == Dimension::Kind::kInteger && dd.high - dd.low + 1 <= grid) {
    for (double v = dd.low; v <= dd.high; v += 1) pd.x.push_back(v);
  } else {
    for (int g = 0; g < grid; ++g) {
      const double u = grid == 1 ? 0.5 : static_cast<double>(g) / (grid - 1);
      std::vector<double> unit(space.dims.size(), 0.0);
      unit[static_cast<std::size_t>(dim)] = std::min(u, std::nextafter(1.0, 0.0));
      pd.x.push_back(from_unit(space, unit)[static_cast<std::size_t>(dim)]);
    }
  }
  Rng rng(seed);
  std::vector<Point> base;
  for (int s = 0; s < samples; ++s)
    base.push_back(from_unit(space, random_unit(space.dims.size(), rng)));
  const int d = encoded_size(space);
  for (double v : pd.x) {
    Eigen::MatrixXd Z(samples, d);
    for (int s = 0; s < samples; ++s) {
      Point p = base[static_cast<std::size_t>(s)];
      p[static_cast<std::size_t>(dim)] = v;
      Z.row(s) = encode(space, p).transpose();
    }
    Eigen::VectorXd mu;
    gp.predict(Z, &mu, nullptr);
    pd.mean.push_back(mu.mean());
    pd.sd.push_back(samples > 1 ? std::sqrt((mu.array() - mu.mean()).square().sum() / (samples - 1))
                                : 0.0);
  }
  return pd;
}

// ---------------------------------------------------------------------------------------------
// Built-in test functions

namespace {

Space reals(int n, double lo, double hi) {
  Space s;
  for (int i = 1; i <= n; ++i) {
    Dimension d;
    d.name = "x" + std::to_string(i);
    d.low = lo;
    d.high = hi;
    s.dims.push_back(d);
  }
  return s;
}

const double kH6Alpha[4] = {1.0, 1.2, 3.0, 3.2};
const double kH6A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                           {0.05, 10, 17, 0.1, 8, 14},
                           {3, 3.5, 1.7, 10, 17, 8},
                           {17, 8, 0.05, 10, 0.1, 14}};
const double kH6P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                           {2329, 4135, 8307, 3736, 1004, 9991},
                           {2348, 1451, 3522, 2883, 3047, 6650},
                           {4047, 8828, 8732, 5743, 1091, 381}};

}  // namespace

const std::vector<std::string>& builtin_names() {
  static const std::vector<std::string> kNames = {"branin", "hartmann6", "ackley5", "rosenbrock4",
                                                  "mixed4"};
  return kNames;
}

std::optional<Builtin> builtin(const std::string& name) {
  Builtin b;
  b.name = name;
  if (name == "branin") {
    b.space = reals(2, 0, 1);
    b.space.dims[0].low = -5;
    b.space.dims[0].high = 10;
    b.space.dims[1].low = 0;
    b.space.dims[1].high = 15;
    b.f_min = 10.0 / (8.0 * kPi);
  } else if (name == "hartmann6") {
    b.space = reals(6, 0, 1);
    b.f_min = -3.32236801141551;
  } else if (name == "ackley5") {
    b.space = reals(5, -32.768, 32.768);
    b.f_min = 0;
  } else if (name == "rosenbrock4") {
    b.space = reals(4, -5, 10);
    b.f_min = 0;
  } else if (name == "mixed4") {
    Dimension xr{"x_real", Dimension::Kind::kReal, -5, 5, false, {}, ""};
    Dimension xl{"x_log", Dimension::Kind::kReal, 1e-3, 10, true, {}, ""};
    Dimension k{"k", Dimension::Kind::kInteger, 0, 20, false, {}, ""};
    Dimension c{"color", Dimension::Kind::kCategorical, 0, 1, false, {"red", "green", "blue"}, ""};
    b.space.dims = {xr, xl, k, c};
    b.f_min = 0;
  } else {
    return std::nullopt;
  }
  b.space.where = "builtin " + name;
  return b;
}

double builtin_value(const std::string& name, const Point& x) {
  if (name == "branin") {
    const double a = 1;
    const double b = 5.1 / (4 * kPi * kPi);
    const double c = 5 / kPi;
    const double r = 6;
    const double s = 10;
    const double t = 1 / (8 * kPi);
    const double q = x[1] - b * x[0] * x[0] + c * x[0] - r;
    return a * q * q + s * (1 - t) * std::cos(x[0]) + s;
  }
  if (name == "hartmann6") {
    double sum = 0;
    for (int i = 0; i < 4; ++i) {
      double inner = 0;
      for (int j = 0; j < 6; ++j) {
        const double diff = x[static_cast<std::size_t>(j)] - 1e-4 * kH6P[i][j];
        inner += kH6A[i][j] * diff * diff;
      }
      sum += kH6Alpha[i] * std::exp(-inner);
    }
    return -sum;
  }
  if (name == "ackley5") {
    double sq = 0;
    double cs = 0;
    for (double v : x) {
      sq += v * v;
      cs += std::cos(2 * kPi * v);
    }
    const double n = static_cast<double>(x.size());
    return -20 * std::exp(-0.2 * std::sqrt(sq / n)) - std::exp(cs / n) + 20 + std::exp(1.0);
  }
  if (name == "rosenbrock4") {
    double s = 0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
      s += 100 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1 - x[i]) * (1 - x[i]);
    }
    return s;
  }
  if (name == "mixed4") {
    static const double kShift[3] = {1.5, -2.0, 0.5};
    static const double kOffset[3] = {0.5, 0.0, 1.0};
    const auto c = static_cast<std::size_t>(x[3]);
    const double u = x[0] - kShift[c];
    const double v = std::log10(x[1]) + 1;
    const double k = x[2] - 7;
    return u * u + 0.1 * u * v + 2 * v * v + 0.5 * (1 - std::cos(2 * kPi * u)) + 0.05 * k * k +
           kOffset[c];
  }
  throw InputError("unknown builtin '" + name + "'");
}

}  // namespace rlab::bayesopt
