// rlab bayesopt: the core against independent references (scikit-learn, scipy, the functions'
// definitions), finite differences, search quality against random search, and the binary end
// to end (study files, resume, ask/tell, command objectives, every listed bad input).
#include "rlab/bayesopt.h"

#include "rlab/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "support/run.h"
#include "support/svg.h"

namespace rlab::bayesopt {
namespace {

using nlohmann::json;
using test::run_inprocess;
using test::run_rlab;
using test::RunResult;
using test::TempDir;

const json& reference() {
  static const json kRef = [] {
    std::ifstream in(test::source_path("tests/reference/bayesopt_reference.json"));
    return json::parse(in);
  }();
  return kRef;
}

Eigen::MatrixXd matrix(const json& rows) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()),
                    static_cast<Eigen::Index>(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < rows[i].size(); ++j) {
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j].get<double>();
    }
  }
  return m;
}

Eigen::VectorXd vec(const json& a) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(a.size()));
  for (std::size_t i = 0; i < a.size(); ++i) v(static_cast<Eigen::Index>(i)) = a[i].get<double>();
  return v;
}

GpParams params_of(const Eigen::VectorXd& p) {
  GpParams g;
  g.log_amplitude = p(0);
  g.log_lengthscale = p.segment(1, p.size() - 2);
  g.log_noise = p(p.size() - 1);
  return g;
}

TEST(BayesoptBuiltins, MatchTheirDefinitions) {
  for (const json& c : reference()["builtins"]) {
    const std::string name = c["name"];
    const Point x = c["x"].get<std::vector<double>>();
    EXPECT_NEAR(builtin_value(name, x), c["value"].get<double>(),
                1e-9 * (1 + std::abs(c["value"].get<double>())))
        << name << " at " << c["x"].dump();
  }
  for (const auto& name : builtin_names()) ASSERT_TRUE(builtin(name).has_value()) << name;
  EXPECT_FALSE(builtin("branin2").has_value());
}

TEST(BayesoptGp, NegLogLikelihoodAndGradientMatchScikitLearn) {
  const json& g = reference()["gp"];
  const Eigen::MatrixXd X = matrix(g["X"]);
  const Eigen::VectorXd y = vec(g["y"]);
  const double mean = y.mean();
  const double sd = std::sqrt((y.array() - mean).square().mean());
  const Eigen::VectorXd yn = (y.array() - mean) / sd;
  for (const json& c : g["cases"]) {
    Eigen::VectorXd grad;
    const double nll = gp_neg_log_likelihood(X, yn, vec(c["packed"]), &grad);
    EXPECT_NEAR(nll, c["neg_log_likelihood"].get<double>(), 1e-6 * (1 + std::abs(nll)));
    const Eigen::VectorXd ref = vec(c["gradient"]);
    for (Eigen::Index k = 0; k < ref.size(); ++k) {
      EXPECT_NEAR(grad(k), ref(k), 1e-5 * (1 + std::abs(ref(k)))) << "component " << k;
    }
  }
}

TEST(BayesoptGp, AnalyticGradientMatchesFiniteDifferences) {
  const json& g = reference()["gp"];
  const Eigen::MatrixXd X = matrix(g["X"]);
  Eigen::VectorXd y = vec(g["y"]);
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  for (const Eigen::VectorXd& p : {(Eigen::VectorXd(5) << 0.3, -1.0, 0.2, -0.4, -5.0).finished(),
                                   (Eigen::VectorXd(5) << -0.7, 0.5, -2.0, 1.0, -2.0).finished()}) {
    Eigen::VectorXd grad;
    gp_neg_log_likelihood(X, y, p, &grad);
    for (Eigen::Index k = 0; k < p.size(); ++k) {
      const double h = 1e-5;
      Eigen::VectorXd a = p;
      Eigen::VectorXd b = p;
      a(k) += h;
      b(k) -= h;
      const double fd =
          (gp_neg_log_likelihood(X, y, a, nullptr) - gp_neg_log_likelihood(X, y, b, nullptr)) /
          (2 * h);
      EXPECT_NEAR(grad(k), fd, 1e-5 * (1 + std::abs(fd))) << "component " << k;
    }
  }
}

TEST(BayesoptGp, PosteriorMatchesScikitLearn) {
  const json& g = reference()["gp"];
  const Eigen::MatrixXd X = matrix(g["X"]);
  const Eigen::VectorXd y = vec(g["y"]);
  const Eigen::MatrixXd Xs = matrix(g["Xs"]);
  for (const json& c : g["cases"]) {
    Gp gp;
    gp.fit(X, y, params_of(vec(c["packed"])));
    ASSERT_EQ(gp.jitter(), 0.0);
    Eigen::VectorXd mu;
    Eigen::VectorXd sd;
    gp.predict(Xs, &mu, &sd);
    const Eigen::VectorXd rm = vec(c["mean"]);
    const Eigen::VectorXd rs = vec(c["sd"]);
    for (Eigen::Index i = 0; i < rm.size(); ++i) {
      EXPECT_NEAR(mu(i), rm(i), 1e-7 * (1 + std::abs(rm(i))));
      EXPECT_NEAR(sd(i), rs(i), 1e-6 * (1 + rs(i)));
    }
  }
}

TEST(BayesoptGp, PredictionGradientMatchesFiniteDifferences) {
  const json& g = reference()["gp"];
  Gp gp;
  gp.fit(matrix(g["X"]), vec(g["y"]), params_of(vec(g["cases"][1]["packed"])));
  const Eigen::VectorXd x = (Eigen::VectorXd(3) << 0.31, 0.62, 0.47).finished();
  double m = 0;
  double s = 0;
  Eigen::VectorXd dm;
  Eigen::VectorXd ds;
  gp.predict_grad(x, &m, &s, &dm, &ds);
  for (Eigen::Index k = 0; k < 3; ++k) {
    const double h = 1e-6;
    Eigen::VectorXd a = x;
    Eigen::VectorXd b = x;
    a(k) += h;
    b(k) -= h;
    double ma = 0, sa = 0, mb = 0, sb = 0;
    Eigen::VectorXd t1;
    Eigen::VectorXd t2;
    gp.predict_grad(a, &ma, &sa, &t1, &t2);
    gp.predict_grad(b, &mb, &sb, &t1, &t2);
    EXPECT_NEAR(dm(k), (ma - mb) / (2 * h), 1e-5 * (1 + std::abs(dm(k))));
    EXPECT_NEAR(ds(k), (sa - sb) / (2 * h), 1e-5 * (1 + std::abs(ds(k))));
  }
}

TEST(BayesoptGp, MaximumLikelihoodFitIsNoWorseThanTheDefaultStart) {
  const json& g = reference()["gp"];
  const Eigen::MatrixXd X = matrix(g["X"]);
  const Eigen::VectorXd y = vec(g["y"]);
  Gp ml;
  ml.fit_ml(X, y, 2, 1);
  for (const json& c : g["cases"]) {
    Gp fixed;
    fixed.fit(X, y, params_of(vec(c["packed"])));
    EXPECT_LE(ml.neg_log_likelihood(), fixed.neg_log_likelihood() + 1e-9);
  }
}

TEST(BayesoptGp, DuplicatePointsFactoriseWithJitter) {
  Eigen::MatrixXd X(3, 1);
  X << 0.5, 0.5, 0.5;
  const Eigen::VectorXd y = (Eigen::VectorXd(3) << 1.0, 1.0, 1.0).finished();
  GpParams p;
  p.log_lengthscale = Eigen::VectorXd::Constant(1, std::log(0.3));
  p.log_noise = std::log(1e-12);
  Gp gp;
  gp.fit(X, y, p);
  Eigen::VectorXd mu;
  Eigen::VectorXd sd;
  gp.predict(X, &mu, &sd);
  EXPECT_TRUE(std::isfinite(mu(0)));
  EXPECT_NEAR(mu(0), 1.0, 1e-6);
}

TEST(BayesoptAcquisition, MatchesScipy) {
  for (const json& c : reference()["acquisition"]) {
    Settings s;
    s.xi = c["xi"];
    s.kappa = c["kappa"];
    const double mu = c["mu"];
    const double sd = c["sd"];
    const double best = c["best"];
    EXPECT_NEAR(acquisition_value(Acquisition::kEI, mu, sd, best, s), c["EI"].get<double>(), 1e-12);
    EXPECT_NEAR(acquisition_value(Acquisition::kPI, mu, sd, best, s), c["PI"].get<double>(), 1e-12);
    EXPECT_NEAR(acquisition_value(Acquisition::kLCB, mu, sd, best, s), c["negLCB"].get<double>(),
                1e-12);
  }
}

TEST(BayesoptAcquisition, LogEiAndLogPiAreTheLogsAndStayFiniteInTheTail) {
  Settings s;
  // Where EI and PI are representable: their logs (both branches of the evaluation).
  for (const double best : {-0.5, -2.0, -2.4, -2.6, -4.0}) {
    for (const double sd : {0.1, 0.3, 1.0}) {
      const double mu = 0.2;
      const double ei = acquisition_value(Acquisition::kEI, mu, sd, best, s);
      const double pi = acquisition_value(Acquisition::kPI, mu, sd, best, s);
      if (ei < 1e-290) continue;
      EXPECT_NEAR(log_acquisition_value(Acquisition::kEI, mu, sd, best, s), std::log(ei), 1e-8);
      EXPECT_NEAR(log_acquisition_value(Acquisition::kPI, mu, sd, best, s), std::log(pi), 1e-8);
    }
  }
  // Where they underflow: mpmath at 40 digits, log(sd (z Phi(z) + phi(z))) and log Phi(z).
  struct Case {
    double mu, sd, best, xi, log_ei, log_pi;
  };
  for (const Case& c : {Case{0.0, 0.1, -3.0, 0.001, -460.32795320514364, -454.62162649784109},
                        Case{2.0, 0.05, -1.0, 0.001, -1813.3050584572047, -1806.2140937735209},
                        Case{0.0, 1.0, -40.0, 0.0, -808.29856835661996, -804.60844201375379}}) {
    s.xi = c.xi;
    EXPECT_NEAR(log_acquisition_value(Acquisition::kEI, c.mu, c.sd, c.best, s), c.log_ei,
                1e-7 * std::abs(c.log_ei));
    EXPECT_NEAR(log_acquisition_value(Acquisition::kPI, c.mu, c.sd, c.best, s), c.log_pi,
                1e-7 * std::abs(c.log_pi));
  }
}

Space lab_space() {
  Space s;
  s.where = "lab.yaml:2:3";
  s.dims = {{"lr", Dimension::Kind::kReal, 1e-5, 1e-2, true, {}, "lab.yaml:3:5"},
            {"hidden", Dimension::Kind::kInteger, 64, 512, false, {}, "lab.yaml:4:5"},
            {"dropout", Dimension::Kind::kReal, 0.1, 0.5, false, {}, "lab.yaml:5:5"},
            {"act",
             Dimension::Kind::kCategorical,
             0,
             1,
             false,
             {"relu", "tanh", "gelu"},
             "lab.yaml:6:5"}};
  return s;
}

TEST(BayesoptSpace, EncodeDecodeRoundTrip) {
  const Space s = lab_space();
  EXPECT_EQ(encoded_size(s), 6);
  const Point x = {1e-4, 300, 0.25, 2};
  const Eigen::VectorXd z = encode(s, x);
  EXPECT_NEAR(z(0), 1.0 / 3.0, 1e-12);  // log10: -5..-2, -4 is a third of the way
  EXPECT_NEAR(z(1), (300.0 - 64) / 448, 1e-12);
  EXPECT_EQ(z(5), 1.0);
  const Point back = decode(s, z);
  EXPECT_NEAR(back[0], 1e-4, 1e-16);
  EXPECT_EQ(back[1], 300);
  EXPECT_EQ(back[3], 2);
  const json j = point_to_json(s, x);
  EXPECT_EQ(j["act"], "gelu");
  EXPECT_TRUE(j["hidden"].is_number_integer());
  EXPECT_EQ(point_from_json(s, j, "here"), x);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BayesoptSpace, InvalidSpacesAreRejectedWithTheirLocation) {
  Space empty;
  empty.where = "a.yaml:3:8";
  EXPECT_EQ(error_of([&] { validate_space(empty); }), "a.yaml:3:8: the search space is empty");
  Space s = lab_space();
  s.dims[2].low = 0.5;
  EXPECT_EQ(error_of([&] { validate_space(s); }),
            "lab.yaml:5:5: 'dropout' has low >= high (0.5 >= 0.5)");
  s = lab_space();
  s.dims[0].low = 0;
  EXPECT_EQ(error_of([&] { validate_space(s); }),
            "lab.yaml:3:5: 'lr' is log-uniform, so low must be > 0 (got 0)");
  s = lab_space();
  s.dims[1].name = "lr";
  EXPECT_EQ(error_of([&] { validate_space(s); }), "lab.yaml:4:5: duplicate dimension name 'lr'");
}

TEST(BayesoptSpace, AbsurdBoundsAreInputErrorsWithTheirLocation) {
  Space s = lab_space();
  s.dims[2].low = -1e308;
  s.dims[2].high = 1e308;
  EXPECT_EQ(error_of([&] { validate_space(s); }).substr(0, 66),
            "lab.yaml:5:5: 'dropout' has a range too wide to search (-1e+308 ..");
  s = lab_space();
  s.dims[2].low = 1.0;
  s.dims[2].high = std::nextafter(1.0, 2.0);
  EXPECT_EQ(error_of([&] { validate_space(s); }).substr(0, 54),
            "lab.yaml:5:5: 'dropout' has low and high too close to ");
  s = lab_space();
  s.dims[1].low = 0;
  s.dims[1].high = 1e17;
  EXPECT_EQ(error_of([&] { validate_space(s); }),
            "lab.yaml:4:5: 'hidden' is an integer beyond +-2^53, where doubles skip integers");
  s = lab_space();
  s.dims[1].low = s.dims[1].high = 64;
  EXPECT_EQ(error_of([&] { validate_space(s); }),
            "lab.yaml:4:5: 'hidden' has low >= high (64 >= 64)");
}

// A range of 2e300 is valid: the search runs in the unit cube, so it is as easy as [-1, 1].
TEST(BayesoptSpace, AHugeButValidRangeIsSearchedLikeASmallOne) {
  Space s;
  s.where = "h.yaml:1:1";
  s.dims = {{"x", Dimension::Kind::kReal, -1e300, 1e300, false, {}, "h.yaml:2:3"},
            {"y", Dimension::Kind::kReal, -1.0, 1.0, false, {}, "h.yaml:3:3"}};
  Settings st;
  st.random_state = 3;
  Optimizer opt(s, st);
  double best = std::numeric_limits<double>::infinity();
  Point at;
  for (int i = 0; i < 30; ++i) {
    const Proposal p = opt.ask();
    ASSERT_TRUE(std::isfinite(p.x[0]));
    ASSERT_GE(p.x[0], -1e300);
    ASSERT_LE(p.x[0], 1e300);
    const double u = p.x[0] / 1e300;
    const double v = (u - 0.3) * (u - 0.3) + (p.x[1] + 0.2) * (p.x[1] + 0.2);
    if (v < best) {
      best = v;
      at = p.x;
    }
    opt.tell(p.x, v);
  }
  EXPECT_LT(best, 1e-3);
  EXPECT_NEAR(at[0] / 1e300, 0.3, 0.05);
}

// A finite space: every point is proposed once, and then nothing is (exhausted).
// Asks and tells `n` points, the size of a finite space: each one new, none exhausted.
template <class F>
void ask_every_point_once(Optimizer& opt, int n, F f) {
  std::set<Point> seen_points;
  for (int i = 0; i < n; ++i) {
    const Proposal p = opt.ask();
    ASSERT_FALSE(p.exhausted) << i;
    EXPECT_TRUE(seen_points.insert(p.x).second) << "proposed twice at ask " << i;
    opt.tell(p.x, f(p.x));
  }
}

TEST(BayesoptSpace, AFiniteSpaceIsNeverEvaluatedTwiceAndEndsExhausted) {
  Space s;
  s.where = "d.yaml:1:1";
  s.dims = {{"k", Dimension::Kind::kInteger, 0, 4, false, {}, "d.yaml:2:3"},
            {"c", Dimension::Kind::kCategorical, 0, 1, false, {"a", "b", "c"}, "d.yaml:3:3"}};
  ASSERT_EQ(finite_size(s), 15.0);
  Settings st;
  st.n_initial_points = 3;
  Optimizer opt(s, st);
  ask_every_point_once(opt, 15, [](const Point& x) { return (x[0] - 2) * (x[0] - 2) + x[1]; });
  EXPECT_FALSE(opt.exhausted());
  const Proposal last = opt.ask();
  EXPECT_TRUE(last.exhausted);
  EXPECT_TRUE(last.x.empty());
  EXPECT_TRUE(opt.exhausted());
  EXPECT_TRUE(opt.ask_batch(2).empty());
  // A batch asked from a fresh optimiser stops at the space's size.
  Optimizer batch(s, st);
  EXPECT_EQ(batch.ask_batch(20).size(), 15U);
  EXPECT_TRUE(batch.exhausted());
  Space real = s;
  real.dims[0].kind = Dimension::Kind::kReal;
  EXPECT_FALSE(finite_size(real).has_value());
}

TEST(BayesoptSpace, PowerWarpIsMonotoneAndTamesAWideRange) {
  std::vector<double> y = {0.5, 3, 1e2, 7e4, 2, 1e6, 40, 0.01};
  const std::vector<double> w = power_warp(y);
  ASSERT_EQ(w.size(), y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    for (std::size_t j = 0; j < y.size(); ++j) {
      if (y[i] < y[j]) {
        EXPECT_LT(w[i], w[j]) << i << " " << j;
      }
    }
  }
  // Close to a log: the ratio of the spreads shrinks by orders of magnitude.
  const auto [lo, hi] = std::minmax_element(w.begin(), w.end());
  EXPECT_LT(*hi - *lo, 100.0);
  // Negative values (Yeo-Johnson) keep the order too; a constant comes back unchanged.
  const std::vector<double> n = power_warp({-3.2, -0.1, -1.5, -2.9, -0.5});
  EXPECT_LT(n[0], n[3]);
  EXPECT_LT(n[3], n[2]);
  EXPECT_LT(n[2], n[4]);
  EXPECT_LT(n[4], n[1]);
  EXPECT_EQ(power_warp({2.0, 2.0, 2.0}), (std::vector<double>{2.0, 2.0, 2.0}));
}

TEST(BayesoptSpace, PowerWarpLogJacobianMatchesFiniteDifferences) {
  // Pairs (v, v + h): one call warps both with the same lambda and scale, so the pair's slope
  // is the warp's derivative there; the log Jacobian is the sum of the logs of those slopes.
  for (const std::vector<double>& base :
       {std::vector<double>{0.5, 3, 1e2, 7e4, 2, 1e6, 40, 0.01},
        std::vector<double>{-3.2, -0.1, 1.5, -2.9, 0.5, 12.0}, std::vector<double>{1, 2, 3, 4}}) {
    std::vector<double> y;
    for (double v : base) {
      y.push_back(v);
      y.push_back(v + 1e-7 * std::max(1.0, std::abs(v)));
    }
    double log_jacobian = 0;
    const std::vector<double> w = power_warp(y, &log_jacobian);
    double numeric = 0;
    for (std::size_t i = 0; i < y.size(); i += 2)
      numeric += 2 * std::log((w[i + 1] - w[i]) / (y[i + 1] - y[i]));
    EXPECT_NEAR(log_jacobian, numeric, 1e-4 * std::max(1.0, std::abs(numeric)));
  }
  double log_jacobian = 1;
  EXPECT_EQ(power_warp({2.0, 2.0, 2.0}, &log_jacobian), (std::vector<double>{2.0, 2.0, 2.0}));
  EXPECT_EQ(log_jacobian, 0.0);
}

double run_builtin(const std::string& name, int n_calls, std::uint64_t seed) {
  const Builtin b = *builtin(name);
  Settings st;
  st.random_state = seed;
  Optimizer opt(b.space, st);
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < n_calls; ++i) {
    const Proposal p = opt.ask();
    const double v = builtin_value(name, p.x);
    opt.tell(p.x, v);
    best = std::min(best, v);
  }
  return best - b.f_min;
}

double random_search(const std::string& name, int n_calls, std::uint64_t seed) {
  const Builtin b = *builtin(name);
  std::uint64_t s = seed * 7919 + 17;
  auto u01 = [&s] {  // an LCG of its own, independent of the optimiser's generator
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11U) * 0x1.0p-53;
  };
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < n_calls; ++i) {
    std::vector<double> u(b.space.dims.size());
    for (double& v : u) v = u01();
    best = std::min(best, builtin_value(name, from_unit(b.space, u)));
  }
  return best - b.f_min;
}

TEST(BayesoptQuality, BeatsRandomSearchOnBraninAndMixed4) {
  for (const std::string name : {"branin", "mixed4"}) {
    double bo_sum = 0;
    double rs_sum = 0;
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      bo_sum += run_builtin(name, 30, seed);
      rs_sum += random_search(name, 30, seed);
    }
    EXPECT_LT(bo_sum, rs_sum) << name;
    if (name == "branin") {
      EXPECT_LT(bo_sum / 3, 0.05) << "mean regret after 30 calls";
    }
  }
}

TEST(BayesoptOptimizer, SameSeedSameRunOtherSeedOtherRun) {
  auto trace = [](std::uint64_t seed) {
    Settings st;
    st.random_state = seed;
    st.n_initial_points = 4;
    Optimizer opt(lab_space(), st);
    std::vector<Point> xs;
    for (int i = 0; i < 8; ++i) {
      const Proposal p = opt.ask();
      opt.tell(p.x, std::pow(std::log10(p.x[0]) + 3, 2) + p.x[2]);
      xs.push_back(p.x);
    }
    return xs;
  };
  EXPECT_EQ(trace(5), trace(5));
  EXPECT_NE(trace(5), trace(6));
}

TEST(BayesoptOptimizer, BatchProposalsAreDistinctAndAvoidFailures) {
  const Builtin b = *builtin("branin");
  Settings st;
  st.n_initial_points = 3;
  Optimizer opt(b.space, st);
  for (int i = 0; i < 3; ++i) {
    const Proposal p = opt.ask();
    opt.tell(p.x, builtin_value("branin", p.x));
  }
  const std::vector<Proposal> batch = opt.ask_batch(4);
  ASSERT_EQ(batch.size(), 4U);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(batch[i].x, batch[j].x);
  }
  opt.tell_failed(batch[0].x);
  for (std::size_t i = 1; i < batch.size(); ++i)
    opt.tell(batch[i].x, builtin_value("branin", batch[i].x));
  EXPECT_EQ(opt.n_observations(), 6U);
  EXPECT_NE(opt.ask().x, batch[0].x);
}

// gp_hedge draws EI or LCB; PI only when hedge_pi asks for it.
TEST(BayesoptOptimizer, HedgeDrawsPiOnlyWhenAskedTo) {
  const Builtin b = *builtin("branin");
  for (const bool with_pi : {false, true}) {
    Settings st;
    st.n_initial_points = 5;
    st.hedge_pi = with_pi;
    std::set<std::string> drawn;
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      st.random_state = seed;
      Optimizer opt(b.space, st);
      for (int i = 0; i < 25; ++i) {
        const Proposal p = opt.ask();
        if (i >= 5) drawn.insert(p.acquisition);
        opt.tell(p.x, builtin_value("branin", p.x));
      }
    }
    EXPECT_EQ(drawn.count("PI"), with_pi ? 1U : 0U);
    EXPECT_EQ(drawn.count("EI") + drawn.count("LCB"), 2U) << "both arms are drawn";
  }
}

// With a budget, proposals from local_phase * budget on stay in the box of half-width
// local_radius around the best point so far, or on a one-dimensional slice through it (one real
// or integer coordinate anywhere, the others the incumbent's); categoricals keep the incumbent's;
// they say so. With no budget there is no local phase; with no slices every proposal is in the
// box.
TEST(BayesoptOptimizer, TheLocalPhaseRefinesTheIncumbentWithinItsBox) {
  Space s;
  s.where = "l.yaml:1:1";
  s.dims = {{"x", Dimension::Kind::kReal, -5, 5, false, {}, "l.yaml:2:3"},
            {"lr", Dimension::Kind::kReal, 1e-5, 1e-1, true, {}, "l.yaml:3:3"},
            {"n", Dimension::Kind::kInteger, 0, 100, false, {}, "l.yaml:4:3"},
            {"c", Dimension::Kind::kCategorical, 0, 0, false, {"a", "b"}, "l.yaml:5:3"}};
  auto f = [](const Point& p) {
    return std::sin(3 * p[0]) + p[0] * p[0] / 10 + std::pow(std::log10(p[1]) + 3, 2) +
           std::abs(p[2] - 37) / 20 + (p[3] == 1 ? 0 : 0.5);
  };
  for (const auto& [budget, slices] : {std::pair{0, 8}, std::pair{30, 8}, std::pair{30, 0}}) {
    Settings st;
    st.random_state = 5;
    st.n_initial_points = 6;
    st.budget = budget;
    st.local_phase = 0.5;
    st.local_radius = 0.1;
    st.local_slices = slices;
    Optimizer opt(s, st);
    Point best;
    double best_y = std::numeric_limits<double>::infinity();
    int local = 0;
    for (int i = 0; i < 30; ++i) {
      const Proposal p = opt.ask();
      ASSERT_FALSE(p.x.empty());
      if (budget > 0 && i >= 15) {
        ASSERT_EQ(p.acquisition, "EI-local") << "trial " << i;
        const Eigen::VectorXd z = encode(s, p.x);
        const Eigen::VectorXd c = encode(s, best);
        int outside = 0;  // x, log lr, n: unit-cube widths (n snapped: half a step more)
        int moved = 0;
        for (Eigen::Index k = 0; k < 3; ++k) {
          outside += std::abs(z(k) - c(k)) > 0.1 + 0.5 / 100 + 1e-9 ? 1 : 0;
          moved += z(k) != c(k) ? 1 : 0;
        }
        EXPECT_TRUE(outside == 0 || (slices > 0 && moved == 1)) << "trial " << i;
        EXPECT_EQ(p.x[3], best[3]) << "trial " << i;
      }
      local += p.acquisition == "EI-local" ? 1 : 0;
      const double y = f(p.x);
      if (y < best_y) {
        best_y = y;
        best = p.x;
      }
      opt.tell(p.x, y);
    }
    EXPECT_EQ(local, budget > 0 ? 15 : 0);
  }
}

// A small integer box is soon used up: the local phase then hands over to the global search, and
// a finite space is still proposed whole, each point once, before it says it is exhausted.
TEST(BayesoptOptimizer, AUsedUpLocalBoxHandsOverToTheGlobalSearch) {
  Space s;
  s.where = "i.yaml:1:1";
  s.dims = {{"i", Dimension::Kind::kInteger, 0, 5, false, {}, "i.yaml:2:3"},
            {"j", Dimension::Kind::kInteger, 0, 5, false, {}, "i.yaml:3:3"}};
  Settings st;
  st.n_initial_points = 4;
  st.budget = 36;
  st.local_phase = 0.2;
  Optimizer opt(s, st);
  ask_every_point_once(opt, 36,
                       [](const Point& x) { return std::abs(x[0] - 2) + std::abs(x[1] - 3); });
  EXPECT_TRUE(opt.ask().exhausted);
}

// Beyond refit_every_until observations the hyperparameters are refitted only now and then (on
// a subset of at most hp_max_points): an optimiser rebuilt from the history (a resumed study,
// nothing cached) must still propose exactly what the uninterrupted one does.
TEST(BayesoptOptimizer, SparseRefitsKeepProposalsAFunctionOfTheHistory) {
  const Builtin b = *builtin("hartmann6");
  Settings st;
  st.random_state = 4;
  st.refit_every_until = 30;
  st.hp_max_points = 24;
  st.n_candidates = 100;
  st.n_refine = 1;
  Optimizer opt(b.space, st);
  std::vector<Proposal> props;
  std::vector<double> ys;
  for (int i = 0; i < 56; ++i) {
    props.push_back(opt.ask());
    ys.push_back(builtin_value("hartmann6", props.back().x));
    opt.tell(props.back().x, ys.back());
  }
  for (const std::size_t cut : {51U, 54U}) {
    Optimizer fresh(b.space, st);
    for (std::size_t i = 0; i < cut; ++i) fresh.tell(props[i].x, ys[i]);
    // The gp_hedge state a study file carries with its last trial.
    fresh.restore_hedge(props[cut - 1].hedge_gains, props[cut - 1].hedge_candidates);
    for (std::size_t i = cut; i < props.size(); ++i) {
      const Proposal q = fresh.ask();
      ASSERT_EQ(q.x, props[i].x) << "proposal " << i << " after a resume at " << cut;
      fresh.tell(q.x, ys[i]);
    }
  }
}

TEST(BayesoptOptimizer, LatinHypercubeAndSobolDesignsCoverEveryStratum) {
  for (InitialDesign d : {InitialDesign::kLhs, InitialDesign::kSobol}) {
    Settings st;
    st.initial_design = d;
    st.n_initial_points = 8;
    Space s;
    s.dims = {{"a", Dimension::Kind::kReal, 0, 8, false, {}, ""},
              {"b", Dimension::Kind::kReal, 0, 8, false, {}, ""}};
    Optimizer opt(s, st);
    std::vector<int> seen_a(8, 0);
    std::vector<int> seen_b(8, 0);
    for (int i = 0; i < 8; ++i) {
      const Proposal p = opt.ask();
      EXPECT_EQ(p.acquisition, "initial");
      ++seen_a[static_cast<std::size_t>(p.x[0])];
      ++seen_b[static_cast<std::size_t>(p.x[1])];
      opt.tell(p.x, p.x[0]);
    }
    // LHS: one point per eighth in each coordinate. A shifted Sobol set of 8 points is a
    // (0,3,2)-net in base 2, which also puts one point in each eighth of each coordinate.
    EXPECT_EQ(seen_a, std::vector<int>(8, 1)) << initial_design_name(d);
    EXPECT_EQ(seen_b, std::vector<int>(8, 1)) << initial_design_name(d);
  }
}

// ---------------------------------------------------------------------------------------------
// End to end

std::vector<json> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

TEST(BayesoptE2e, BuiltinRunWritesHarnessTrialFormat) {
  TempDir d;
  const std::string study = d.path() + "/s.jsonl";
  const RunResult r = run_inprocess({"bayesopt", "--builtin", "mixed4", "--n-calls", "14",
                                     "--n-initial-points", "6", "--random-state", "3", "--study",
                                     study, "--format", "json", "--plots", d.path() + "/plots"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["n_trials"], 14);
  EXPECT_EQ(out["trials"].size(), 14U);
  const auto lines = lines_of(study);
  ASSERT_EQ(lines.size(), 15U);
  EXPECT_TRUE(lines[0].contains("meta"));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const json& t = lines[i];
    EXPECT_EQ(t["trial"], i - 1);
    EXPECT_TRUE(t["params"]["k"].is_number_integer());
    EXPECT_TRUE(t["params"]["color"].is_string());
    // The harness re-evaluates each point with its own function: so does this test, with the
    // reference implementation's formula (mixed4 in tests/reference).
    const double v = t["value"];
    EXPECT_GE(v, 0.0);
    EXPECT_GE(t["elapsed_s"].get<double>(), i > 1 ? lines[i - 1]["elapsed_s"].get<double>() : 0.0);
  }
  double best = 1e300;
  for (std::size_t i = 1; i < lines.size(); ++i)
    best = std::min(best, lines[i]["value"].get<double>());
  EXPECT_EQ(out["best"]["value"].get<double>(), best);
  std::ifstream svg(d.path() + "/plots/partial_dependence.svg");
  std::stringstream ss;
  ss << svg.rdbuf();
  EXPECT_NE(ss.str().find("partial dependence: color"), std::string::npos);
}

// A built-in objective with --plots into d/plots.
RunResult run_with_plots(const TempDir& d, const std::string& name, int calls) {
  return run_inprocess({"bayesopt", "--builtin", name, "--n-calls", std::to_string(calls),
                        "--n-initial-points", std::to_string(std::min(calls, 5)), "--random-state",
                        "5", "--format", "json", "--plots", d.path() + "/plots"});
}

TEST(BayesoptE2e, PlotsRenderWithRoundTicksAndCategoriesAsPoints) {
  TempDir d;
  const RunResult r = run_with_plots(d, "mixed4", 10);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string conv = test::slurp(d.path() + "/plots/convergence.svg");
  EXPECT_EQ(test::render_png(conv, d.path() + "/conv.png"), "");
  EXPECT_EQ(test::tick_problem(test::svg_texts(conv, "xtick")), "");
  const auto yt = test::svg_texts(conv, "ytick");
  EXPECT_EQ(test::tick_problem(yt), "");
  EXPECT_GE(yt.size(), 4U);
  EXPECT_LE(yt.size(), 8U);
  // The worst trial is inside the frame, not on or past it.
  EXPECT_EQ(test::markers_outside_frames(conv), std::vector<std::string>{});
  EXPECT_EQ(test::svg_texts(conv, "legend"),
            (std::vector<std::string>{"each trial", "best so far"}));
  EXPECT_EQ(test::svg_texts(conv, "xtitle"), std::vector<std::string>{"trial"});

  const std::string pd = test::slurp(d.path() + "/plots/partial_dependence.svg");
  EXPECT_EQ(test::render_png(pd, d.path() + "/pd.png"), "");
  EXPECT_EQ(test::markers_outside_frames(pd), std::vector<std::string>{});
  const Space space = builtin("mixed4")->space;
  const auto xt = test::svg_texts(pd, "xtick");
  for (const Dimension& dim : space.dims) {
    if (dim.kind != Dimension::Kind::kCategorical) continue;
    for (const auto& c : dim.categories)
      EXPECT_NE(std::find(xt.begin(), xt.end(), c), xt.end()) << c;
  }
  // No numeric tick at -0.5 or between categories.
  for (const auto& t : xt) {
    EXPECT_NE(t, "-0.5");
    EXPECT_NE(t, "2.5");
  }
  // One point with a whisker per category: circles of the model in the categorical panel.
  EXPECT_NE(pd.find("1 sd"), std::string::npos);
}

TEST(BayesoptE2e, PlotsWithoutAModelSaySo) {
  TempDir d;
  const RunResult r = run_with_plots(d, "branin", 1);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string pd = test::slurp(d.path() + "/plots/partial_dependence.svg");
  EXPECT_EQ(test::render_png(pd, d.path() + "/pd.png"), "");
  EXPECT_NE(pd.find("fewer than 2 successful trials: no model"), std::string::npos);
  const std::string conv = test::slurp(d.path() + "/plots/convergence.svg");
  EXPECT_EQ(test::render_png(conv, d.path() + "/conv.png"), "");
  EXPECT_EQ(test::tick_problem(test::svg_texts(conv, "xtick")), "");
  EXPECT_EQ(test::svg_texts(conv, "legend"),
            (std::vector<std::string>{"each trial", "best so far"}));
}

TEST(BayesoptE2e, ResumedRunEqualsAnUninterruptedOne) {
  TempDir d;
  const std::string a = d.path() + "/a.jsonl";
  const std::string b = d.path() + "/b.jsonl";
  const std::vector<std::string> base = {
      "bayesopt", "--builtin", "branin", "--n-initial-points", "5", "--random-state",
      "11",       "--format",  "json"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> v = base;
    v.insert(v.end(), extra.begin(), extra.end());
    return run_inprocess(v);
  };
  ASSERT_EQ(with({"--n-calls", "16", "--study", a}).code, 0);
  // Killed after 9 trials while writing the 10th line: what the file then holds is the meta line,
  // 9 trial lines and a partial line (the run's budget, n_calls, is the same when it resumes).
  {
    std::ifstream in(a);
    std::ofstream out(b);
    std::string line;
    for (int i = 0; i < 10 && std::getline(in, line); ++i) out << line << "\n";
    out << R"({"trial": 9, "params": {"x1": 1.)";
  }
  const RunResult r = with({"--n-calls", "16", "--study", b});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("cut short"), std::string::npos);
  EXPECT_EQ(json::parse(r.out)["resumed_trials"], 9);
  const auto la = lines_of(a);
  const auto lb = lines_of(b);
  ASSERT_EQ(la.size(), 17U);
  ASSERT_EQ(lb.size(), 17U);
  for (std::size_t i = 1; i < la.size(); ++i) {
    EXPECT_EQ(la[i]["trial"], lb[i]["trial"]);
    EXPECT_EQ(la[i]["params"], lb[i]["params"]) << "trial " << i - 1;
  }
  // A finished study run again does nothing new.
  const RunResult again = with({"--n-calls", "16", "--study", b});
  ASSERT_EQ(again.code, 0);
  EXPECT_EQ(lines_of(b).size(), 17U);
}

TEST(BayesoptE2e, StudyFromAnotherSpaceIsRefused) {
  TempDir d;
  const std::string s = d.path() + "/s.jsonl";
  ASSERT_EQ(run_inprocess({"bayesopt", "--builtin", "branin", "--n-calls", "3",
                           "--n-initial-points", "3", "--study", s})
                .code,
            0);
  const RunResult r = run_inprocess({"bayesopt", "--builtin", "rosenbrock4", "--n-calls", "3",
                                     "--n-initial-points", "3", "--study", s});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + s +
                       ":1:1: the study was made with a different space: the study has 2 "
                       "dimension(s), this space has 4\n");
  // Not a study: exit 3 with the place; an empty file (killed before its first line) starts anew.
  const std::string bad = d.write("bad.jsonl", "{\"meta\": 5}\n");
  const RunResult rb = run_inprocess({"bayesopt", "--builtin", "branin", "--n-calls", "3",
                                      "--n-initial-points", "3", "--study", bad});
  EXPECT_EQ(rb.code, 3);
  EXPECT_EQ(rb.err, "rlab: error: " + bad + ":1:1: 'meta' must be an object\n");
  const std::string trial =
      d.write("trial.jsonl",
              lines_of(s)[0].dump() +
                  "\n{\"trial\": 0, \"params\": {\"x1\": 1, \"x2\": 2}, \"value\": \"x\"}\n");
  const RunResult rt = run_inprocess({"bayesopt", "--builtin", "branin", "--n-calls", "3",
                                      "--n-initial-points", "3", "--study", trial});
  EXPECT_EQ(rt.code, 3);
  EXPECT_EQ(rt.err, "rlab: error: " + trial + ":2:1: trial without a numeric 'value'\n");
  const std::string empty = d.write("empty.jsonl", "");
  EXPECT_EQ(run_inprocess({"bayesopt", "--builtin", "branin", "--n-calls", "3",
                           "--n-initial-points", "3", "--study", empty})
                .code,
            0);
  EXPECT_EQ(lines_of(empty).size(), 4U);
}

TEST(BayesoptE2e, AskAndTellOnAStudyFile) {
  TempDir d;
  const std::string s = d.path() + "/s.jsonl";
  for (int i = 0; i < 4; ++i) {
    const RunResult ask =
        run_inprocess({"bayesopt", "ask", "--builtin", "branin", "--n-initial-points", "2",
                       "--study", s, "--format", "json"});
    ASSERT_EQ(ask.code, 0) << ask.err;
    const json a = json::parse(ask.out);
    ASSERT_EQ(a.size(), 1U);
    EXPECT_EQ(a[0]["ask"], i);
    const Point x = {a[0]["params"]["x1"].get<double>(), a[0]["params"]["x2"].get<double>()};
    const RunResult tell =
        run_inprocess({"bayesopt", "tell", "--study", s, "--ask", std::to_string(i), "--value",
                       std::to_string(builtin_value("branin", x))});
    ASSERT_EQ(tell.code, 0) << tell.err;
  }
  const RunResult two =
      run_inprocess({"bayesopt", "ask", "--study", s, "-n", "2", "--format", "json"});
  ASSERT_EQ(two.code, 0) << two.err;
  const json a = json::parse(two.out);
  ASSERT_EQ(a.size(), 2U);
  EXPECT_NE(a[0]["params"], a[1]["params"]);
  const RunResult twice =
      run_inprocess({"bayesopt", "tell", "--study", s, "--ask", "0", "--value", "1"});
  EXPECT_EQ(twice.code, 3);
  EXPECT_EQ(twice.err, "rlab: error: " + s + ": ask 0 was already told\n");
  int trials = 0;
  for (const json& l : lines_of(s)) trials += l.contains("trial") ? 1 : 0;
  EXPECT_EQ(trials, 4);
}

// `ask` plans a local phase only when given the budget (--n-calls).
TEST(BayesoptE2e, AskHasALocalPhaseOnlyWithItsBudget) {
  TempDir d;
  for (const bool budget : {false, true}) {
    const std::string s = d.path() + (budget ? "/b.jsonl" : "/n.jsonl");
    std::vector<std::string> acq;
    for (int i = 0; i < 8; ++i) {
      std::vector<std::string> args = {"bayesopt",           "ask", "--builtin", "branin",
                                       "--n-initial-points", "3",   "--study",   s,
                                       "--format",           "json"};
      if (budget) args.insert(args.end(), {"--n-calls", "8"});
      const RunResult ask = run_inprocess(args);
      ASSERT_EQ(ask.code, 0) << ask.err;
      const json a = json::parse(ask.out);
      acq.push_back(a[0]["acq"]);
      const Point x = {a[0]["params"]["x1"].get<double>(), a[0]["params"]["x2"].get<double>()};
      ASSERT_EQ(run_inprocess({"bayesopt", "tell", "--study", s, "--ask", std::to_string(i),
                               "--value", std::to_string(builtin_value("branin", x))})
                    .code,
                0);
    }
    for (int i = 4; i < 8; ++i)
      EXPECT_EQ(acq[static_cast<std::size_t>(i)] == "EI-local", budget) << "ask " << i;
    EXPECT_NE(acq[3], "EI-local");
  }
}

TEST(BayesoptE2e, TellOnAMissingOrEmptyStudyIsExitThreeWithAHint) {
  TempDir d;
  const std::string missing = d.path() + "/none.jsonl";
  const RunResult a =
      run_inprocess({"bayesopt", "tell", "--study", missing, "--ask", "0", "--value", "1"});
  EXPECT_EQ(a.code, 3);
  EXPECT_EQ(a.err, "rlab: error: " + missing +
                       ": no such study file, so it holds no ask to tell\n"
                       "rlab: note: 'rlab bayesopt ask CONFIG --study " +
                       missing + "' starts a study and prints the ask ids that 'tell' takes\n");
  const std::string empty = d.write("empty.jsonl", "");
  const RunResult b =
      run_inprocess({"bayesopt", "tell", "--study", empty, "--ask", "0", "--failed"});
  EXPECT_EQ(b.code, 3);
  EXPECT_EQ(b.err.substr(0, b.err.find('\n')),
            "rlab: error: " + empty + ": the study file is empty, so it holds no ask to tell");
  EXPECT_FALSE(std::ifstream(missing).good()) << "tell must not create the study";
}

struct Case {
  std::string yaml;
  int code;
  std::string err;
};

std::string config(const std::string& space, const std::string& objective,
                   const std::string& extra = "") {
  return "bayesopt:\n  space:\n" + space + "  objective:\n" + objective + extra;
}

const std::string kSpace = "    x: {type: real, low: 0, high: 1}\n";
const std::string kPrint = "    type: command\n    argv: [sh, -c, 'echo loss {x}']\n";

TEST(BayesoptE2e, BadInputsExitThreeWithTheirLocation) {
  const std::vector<Case> cases = {
      {"bayesopt:\n  space: {}\n  objective: {type: builtin, name: branin}\n", 3,
       "f.yaml:2:10: a builtin objective brings its own space: remove 'space'"},
      {"bayesopt:\n  space: {}\n  objective:\n" + kPrint, 3,
       "f.yaml:2:10: the search space is empty"},
      {config("    x: {type: real, low: 2, high: 1}\n", kPrint), 3,
       "f.yaml:3:26: 'space.x' has low >= high (2 >= 1)"},
      {config("    lr: {type: real, low: 0, high: 1, prior: log-uniform}\n", kPrint), 3,
       "f.yaml:3:27: 'space.lr' is log-uniform, so low must be > 0 (got 0)"},
      {config(kSpace + "    x: {type: integer, low: 0, high: 5}\n", kPrint), 3,
       "f.yaml:4:5: duplicate key 'x' (first at line 3)"},
      {config(kSpace, "    type: command\n    argv: [sh, -c, 'echo {y}']\n"), 3,
       "f.yaml:6:20: unknown placeholder '{y}' (did you mean 'x'?) (known: config_dir, trial, x)"},
      {config(kSpace, "    type: prototype\n"), 3,
       "f.yaml:5:5: missing required key 'config' in 'bayesopt.objective'"},
      {config(kSpace, "    type: prototype\n    config: nothing.yaml\n    metric: val_loss\n"), 3,
       "f.yaml:6:13: prototype config '" + std::string("DIR") + "/nothing.yaml' does not exist"},
      {config(kSpace, "    type: shell\n"), 3,
       "f.yaml:5:11: 'bayesopt.objective.type' is 'shell', must be one of builtin, command, "
       "prototype"},
      {"bayesopt:\n  objective: {type: builtin, name: brannin}\n", 3,
       "f.yaml:2:36: unknown builtin 'brannin' (did you mean 'branin'?) (available: branin, "
       "hartmann6, ackley5, "
       "rosenbrock4, mixed4)"},
      {config(kSpace, kPrint, "  n_calls: 5\n  n_initial_points: 8\n"), 3,
       "f.yaml:7:12: n_calls (5) is smaller than n_initial_points (8)"},
      {config("    x: {type: real, low: -1.0e308, high: 1.0e308}\n", kPrint), 3,
       "f.yaml:3:8: 'x' has a range too wide to search (-1e+308 .. 1e+308: high - low overflows "
       "a double); give realistic bounds, or a log-uniform prior for a range over many orders of "
       "magnitude"},
      {config("    x: {type: real, low: 1.5, high: 1.5}\n", kPrint), 3,
       "f.yaml:3:26: 'space.x' has low >= high (1.5 >= 1.5)"},
  };
  TempDir d;
  for (const Case& c : cases) {
    const std::string f = d.write("f.yaml", c.yaml);
    const RunResult r = run_inprocess({"bayesopt", f});
    EXPECT_EQ(r.code, c.code) << c.yaml << r.err;
    std::string want = c.err;
    if (want.find("DIR") != std::string::npos) want.replace(want.find("DIR"), 3, d.path());
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "rlab: error: " + d.path() + "/" + want) << c.yaml;
  }
}

// A space name that is no key of the prototype config stops the search with exit 3 (rlab
// prototype rejects the config before it loads the training core).
TEST(BayesoptE2e, PrototypeObjectiveWithANameThatIsNoPrototypeKey) {
  TempDir d;
  d.write("p.yaml", "prototype:\n  data: {dataset: synthetic, samples: 32, size: 8}\n");
  const std::string f =
      d.write("f.yaml", config("    optimizer.lrr: {type: real, low: 0.001, high: 0.1}\n",
                               "    type: prototype\n    config: p.yaml\n    metric: val_loss\n",
                               "  n_calls: 2\n  n_initial_points: 1\n"));
  const RunResult r = run_rlab({"bayesopt", f});
  EXPECT_EQ(r.code, 3) << r.err;
  const std::string head =
      "rlab: error: " + f + ":5:5: rlab prototype rejects the trial's config: ";
  EXPECT_EQ(r.err.substr(0, head.size()), head) << r.err;
  EXPECT_NE(r.err.find("unknown key 'lrr'"), std::string::npos) << r.err;
}

TEST(BayesoptE2e, AnExhaustedFiniteSpaceStopsTheSearchWithANote) {
  TempDir d;
  const std::string f =
      d.write("f.yaml", config("    k: {type: integer, low: 0, high: 2}\n    c: [a, b]\n",
                               "    type: command\n    argv: [sh, -c, 'echo {k}']\n",
                               "  n_calls: 10\n  n_initial_points: 2\n"));
  const std::string study = d.path() + "/s.jsonl";
  const RunResult r = run_rlab({"bayesopt", f, "--study", study, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("all 6 points of the search space have been evaluated; stopping after 6 "
                       "trial(s)"),
            std::string::npos)
      << r.err;
  const json rep = json::parse(r.out);
  EXPECT_EQ(rep["n_trials"], 6);
  std::set<std::string> points;
  for (const auto& t : rep["trials"]) points.insert(t["params"].dump());
  EXPECT_EQ(points.size(), 6U);
}

// Ctrl-C during a run: rlab ends by SIGINT and says where the finished trials are and how to
// go on. The objective interrupts its parent (rlab) on the third trial.
TEST(BayesoptE2e, InterruptSaysTheStudyIsSavedAndHowToResume) {
  TempDir d;
  const std::string f = d.write(
      "f.yaml", config(kSpace,
                       "    type: command\n    argv: [sh, -c, 'if [ {trial} = 2 ]; then kill -INT "
                       "$PPID; sleep 5; fi; echo {x}']\n",
                       "  n_calls: 6\n  n_initial_points: 2\n"));
  const std::string study = d.path() + "/s.jsonl";
  const RunResult r = run_rlab({"bayesopt", f, "--study", study});
  EXPECT_EQ(r.code, 130) << r.err;
  EXPECT_NE(r.err.find("rlab: interrupted: 2 finished trial(s) are saved in " + study +
                       "; run the same command again to resume:"),
            std::string::npos)
      << r.err;
  const RunResult again = run_rlab({"bayesopt", f, "--study", study, "-q"});
  EXPECT_EQ(again.code, 130) << again.err;  // the third trial interrupts again
  std::ifstream in(study);
  int lines = 0;
  for (std::string l; std::getline(in, l);) lines += l.find("\"trial\"") != std::string::npos;
  EXPECT_EQ(lines, 2);
}

TEST(BayesoptE2e, FailingObjectivesAreRecordedAndTheSearchGoesOn) {
  TempDir d;
  // Crashes (SIGSEGV) above 0.5, prints no number between 0.3 and 0.5, a number below.
  const std::string script =
      d.write("obj.sh",
              "x=$1\n"
              "if awk \"BEGIN{exit !($x > 0.5)}\"; then echo boom >&2; kill -SEGV $$; fi\n"
              "if awk \"BEGIN{exit !($x > 0.3)}\"; then echo no result here; exit 0; fi\n"
              "echo \"epoch 3/3 loss=$x\"\n");
  const std::string f =
      d.write("f.yaml", config(kSpace, "    type: command\n    argv: [sh, " + script + ", '{x}']\n",
                               "  n_calls: 10\n  n_initial_points: 6\n  initial_design: lhs\n"));
  const std::string s = d.path() + "/s.jsonl";
  const RunResult r = run_rlab({"bayesopt", f, "--study", s, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  int crashed = 0;
  int no_number = 0;
  const json out = json::parse(r.out);
  for (const json& t : out["trials"]) {
    const double x = t["params"]["x"];
    if (x > 0.5) {
      EXPECT_EQ(t["status"], "failed");
      EXPECT_EQ(t["error"], "killed by signal 11 (Segmentation fault)");
      EXPECT_EQ(t["output_tail"], "boom\n");
      ++crashed;
    } else if (x > 0.3) {
      EXPECT_EQ(t["error"], "printed no number on stdout");
      ++no_number;
    } else {
      EXPECT_EQ(t["status"], "ok");
      EXPECT_DOUBLE_EQ(t["value"].get<double>(), x);
    }
  }
  EXPECT_GE(crashed, 1);
  EXPECT_GE(no_number, 1);
  EXPECT_EQ(lines_of(s).size(), 11U);
}

TEST(BayesoptE2e, ObjectiveTimingOutOrPrintingNothingIsExitFourWhenNothingSucceeds) {
  TempDir d;
  const std::string slow = d.write(
      "f.yaml", config(kSpace, "    type: command\n    argv: [sleep, '5']\n    timeout: 0.2\n",
                       "  n_calls: 2\n  n_initial_points: 2\n"));
  RunResult r = run_rlab({"bayesopt", slow});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err.substr(r.err.find("rlab: error:")),
            "rlab: error: no trial succeeded (2 failed); trial 0: timed out after 0.2 s\n");
  const std::string quiet =
      d.write("g.yaml", config(kSpace, "    type: command\n    argv: [sh, -c, 'echo done']\n",
                               "  n_calls: 2\n  n_initial_points: 2\n"));
  r = run_rlab({"bayesopt", quiet});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find(
                "rlab: error: no trial succeeded (2 failed); trial 0: printed no number on stdout\n"
                "rlab: note: output of trial 0: done\n"),
            std::string::npos)
      << r.err;
  const std::string missing = d.write(
      "h.yaml", config(kSpace, "    type: command\n    argv: [/nonexistent/objective, '{x}']\n"));
  r = run_rlab({"bayesopt", missing});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err, "rlab: error: " + missing +
                       ":6:12: objective command '/nonexistent/objective' cannot run: No such file "
                       "or directory\n");
}

TEST(BayesoptE2e, JsonKeyParallelJobsAndMaximize) {
  TempDir d;
  const std::string f = d.write(
      "f.yaml", config("    x: {type: real, low: -2, high: 2}\n    c: [a, b]\n",
                       "    type: command\n    argv: [sh, -c, 'echo \"{{\\\"acc\\\": $0}}\"', "
                       "'{x}']\n    json_key: acc\n",
                       "  n_calls: 8\n  n_initial_points: 4\n  jobs: 2\n  maximize: true\n"));
  const RunResult r = run_rlab({"bayesopt", f, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["direction"], "maximize");
  double best = -1e300;
  for (const json& t : out["trials"]) {
    EXPECT_EQ(t["status"], "ok") << t.dump();
    EXPECT_DOUBLE_EQ(t["value"].get<double>(), t["params"]["x"].get<double>());
    best = std::max(best, t["value"].get<double>());
  }
  EXPECT_EQ(out["best"]["value"].get<double>(), best);
}

}  // namespace
}  // namespace rlab::bayesopt
