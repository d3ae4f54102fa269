// The bayesopt core's partial dependence and built-in test functions.
#include "rlab/bayesopt.h"
#include "rlab/error.h"

#include <cmath>

#include "core_internal.h"

namespace rlab::bayesopt {

using namespace detail;

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
