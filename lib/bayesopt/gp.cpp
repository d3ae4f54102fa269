// The bayesopt core's Gaussian process: Matern-5/2 ARD kernel, ML-II fit, prediction.
#include "rlab/bayesopt.h"

#include <LBFGSB.h>

#include <algorithm>
#include <cmath>

#include "core_internal.h"

namespace rlab::bayesopt {

using namespace detail;

namespace {

// Hyperparameter box (natural logs), normalised targets and unit-cube inputs; the lower bounds
// of the lengthscales and the noise come from GpBounds (lengthscales by default at least 0.03
// of the cube's side: with tens of observations a shorter one only interpolates the ripples of
// a rough objective and leaves no trend to follow; docs/benchmarks.md has 0.1 against 0.03).
const double kLogAmpLo = std::log(1e-2);
const double kLogAmpHi = std::log(1e2);
const double kLogLenHi = std::log(1e2);
const double kLogNoiseLo = std::log(1e-6);
const double kLogNoiseHi = std::log(1.0);

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

namespace detail {

// From squared distances |a|^2 + |b|^2 - 2 a.b (one matrix product).
Eigen::MatrixXd kernel_matrix(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, double amp) {
  Eigen::MatrixXd K = -2.0 * (A * B.transpose());
  K.colwise() += A.rowwise().squaredNorm();
  K.rowwise() += B.rowwise().squaredNorm().transpose();
  return K.unaryExpr([amp](double d2) { return amp * matern(std::sqrt(std::max(d2, 0.0))); });
}

}  // namespace detail

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
                std::uint64_t seed, const GpBounds& bounds) {
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
  lb.segment(1, d).setConstant(
      std::clamp(std::log(std::max(bounds.min_lengthscale, 1e-300)), std::log(1e-3), kLogLenHi));
  ub.segment(1, d).setConstant(kLogLenHi);
  lb(d + 1) = std::clamp(std::log(std::max(bounds.noise_floor, 1e-300)), kLogNoiseLo, kLogNoiseHi);
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

}  // namespace rlab::bayesopt
