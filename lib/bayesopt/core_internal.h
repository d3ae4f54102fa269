// Helpers shared by the bayesopt core's files (space.cpp, gp.cpp, bayesopt.cpp, builtins.cpp).
#pragma once

#include <Eigen/Dense>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace rlab::bayesopt::detail {

constexpr double kSqrt5 = 2.23606797749978969640;
constexpr double kPi = 3.14159265358979323846;
constexpr double kInf = std::numeric_limits<double>::infinity();

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

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  Rng r(a ^ (b * 0xD1B54A32D192ED03ULL));
  r.next();
  return r.next();
}

inline double matern(double r) {
  return (1 + kSqrt5 * r + 5.0 / 3.0 * r * r) * std::exp(-kSqrt5 * r);
}

inline double norm_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
inline double norm_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * kPi); }

// Kernel matrix without noise for scaled inputs (columns divided by the lengthscales).
Eigen::MatrixXd kernel_matrix(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, double amp);

inline std::vector<double> random_unit(std::size_t dim, Rng& rng) {
  std::vector<double> u(dim);
  for (double& v : u) v = rng.uniform();
  return u;
}

}  // namespace rlab::bayesopt::detail
