#include "rlab/prioritize.h"

#include "rlab/error.h"

#include <gtest/gtest.h>

namespace rlab::prioritize {
namespace {

Challenge make(const std::string& id, double impact, double difficulty,
               std::vector<std::string> deps = {}) {
  Challenge c;
  c.id = id;
  c.title = id;
  c.impact = impact;
  c.difficulty = difficulty;
  c.depends_on = std::move(deps);
  c.where = "plan.yaml:" + id;
  for (const auto& d : c.depends_on) c.depends_where.push_back("plan.yaml:" + id + "->" + d);
  return c;
}

Effort three(double o, double m, double p) {
  Effort e;
  e.given = e.three_point = true;
  e.o = o;
  e.m = m;
  e.p = p;
  return e;
}

// The lab's battery example (configs/examples/prioritize.yaml).
Plan lab_plan() {
  Plan p;
  p.challenges = {make("electrode", 9, 7), make("electrolyte", 8, 6, {"electrode"}),
                  make("cycle-life", 7, 5, {"electrolyte"}),
                  make("cost-control", 6, 8, {"electrode", "electrolyte"})};
  return p;
}

std::vector<std::string> ids(const Plan& p, const std::vector<std::size_t>& v) {
  std::vector<std::string> out;
  for (std::size_t i : v) out.push_back(p.challenges[i].id);
  return out;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    std::string s = e.what();
    for (const auto& m : e.more()) s += "\n" + m;
    for (const auto& n : e.notes()) s += "\nnote: " + n;
    return s;
  }
  return "";
}

TEST(PrioritizeScore, LabExampleRatioScores) {
  const Plan p = lab_plan();
  const Result r = analyse(p);
  EXPECT_DOUBLE_EQ(r.items[0].score, 9.0 / 8.0);  // 1.125
  EXPECT_DOUBLE_EQ(r.items[1].score, 8.0 / 7.0);  // 1.143
  EXPECT_DOUBLE_EQ(r.items[2].score, 7.0 / 6.0);  // 1.167
  EXPECT_DOUBLE_EQ(r.items[3].score, 6.0 / 9.0);  // 0.667
}

TEST(PrioritizeRank, LabExampleRankingAndExecutionOrder) {
  const Plan p = lab_plan();
  const Result r = analyse(p);
  EXPECT_EQ(ids(p, r.ranking),
            (std::vector<std::string>{"cycle-life", "electrolyte", "electrode", "cost-control"}));
  EXPECT_EQ(ids(p, r.execution_order),
            (std::vector<std::string>{"electrode", "electrolyte", "cycle-life", "cost-control"}));
  EXPECT_EQ(ids(p, r.ready), std::vector<std::string>{"electrode"});
  EXPECT_EQ(r.items[3].blockers, (std::vector<std::string>{"electrode", "electrolyte"}));
}

TEST(PrioritizeRank, TiesBrokenByScoreThenId) {
  Plan p;
  p.challenges = {make("b", 5, 4), make("a", 5, 4), make("c", 9, 1)};
  const Result r = analyse(p);
  EXPECT_EQ(ids(p, r.execution_order), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(ids(p, r.ranking), (std::vector<std::string>{"c", "a", "b"}));
}

TEST(PrioritizeRank, DoneAndDroppedNeverBlock) {
  Plan p = lab_plan();
  p.challenges[0].status = Status::kDone;
  p.challenges[1].status = Status::kDropped;
  const Result r = analyse(p);
  EXPECT_EQ(ids(p, r.ready), (std::vector<std::string>{"cycle-life", "cost-control"}));
  EXPECT_TRUE(r.blocked.empty());
  EXPECT_EQ(r.items[0].rank, 0);
  EXPECT_EQ(ids(p, r.closed), (std::vector<std::string>{"electrode", "electrolyte"}));
}

TEST(PrioritizeScore, OtherModelsFollowTheirDefinitions) {
  Challenge c = make("x", 2, 4);
  c.risk = 1.5;
  c.reach = 400;
  c.confidence = 0.8;
  c.effort.given = true;
  c.effort.o = c.effort.m = c.effort.p = 2;
  c.cost_of_delay = 13;
  EXPECT_DOUBLE_EQ(score(c, Model::kRatioRisk).score, 2.0 / (4 * 1.5));
  EXPECT_DOUBLE_EQ(score(c, Model::kRice).score, 400 * 2 * 0.8 / 2);  // Intercom RICE
  EXPECT_DOUBLE_EQ(score(c, Model::kIce).score, 2 * 8.0 * 6);         // ease = 10 - difficulty
  c.ease = 9;
  EXPECT_DOUBLE_EQ(score(c, Model::kIce).score, 2 * 8.0 * 9);
  EXPECT_DOUBLE_EQ(score(c, Model::kWsjf).score, 13.0 / 2);  // SAFe WSJF = CoD / job size
  c.effort = three(1, 2, 9);                                 // PERT expectation 3
  EXPECT_DOUBLE_EQ(score(c, Model::kWsjf).score, 13.0 / 3);
  EXPECT_EQ(score(c, Model::kRice).formula, "reach * impact * confidence / effort");
}

TEST(PrioritizeScore, RiskZeroUnderRatioRiskIsAnError) {
  Challenge c = make("x", 2, 4);
  c.risk = 0;
  EXPECT_EQ(error_of([&] { score(c, Model::kRatioRisk); }),
            "plan.yaml:x: challenge 'x' has risk 0; model 'ratio-risk' divides by difficulty x "
            "risk, so risk must be > 0");
  c.risk = std::nullopt;
  EXPECT_EQ(error_of([&] { score(c, Model::kRatioRisk); }),
            "plan.yaml:x: challenge 'x' has no 'risk', which model 'ratio-risk' needs");
  EXPECT_THROW(score(c, Model::kRice), InputError);
}

TEST(PrioritizeGraph, DuplicateUnknownAndSelfDependency) {
  Plan p = lab_plan();
  p.challenges.push_back(make("electrode", 1, 1));
  EXPECT_EQ(
      error_of([&] { analyse(p); }),
      "plan.yaml:electrode: duplicate challenge id 'electrode' (first at plan.yaml:electrode)");
  p = lab_plan();
  p.challenges[2] = make("cycle-life", 7, 5, {"electrolite"});
  EXPECT_EQ(error_of([&] { analyse(p); }),
            "plan.yaml:cycle-life->electrolite: challenge 'cycle-life' depends on unknown "
            "challenge 'electrolite' (did you mean 'electrolyte'?)");
  p.challenges[2] = make("cycle-life", 7, 5, {"cycle-life"});
  EXPECT_EQ(error_of([&] { analyse(p); }),
            "plan.yaml:cycle-life->cycle-life: challenge 'cycle-life' depends on itself");
  p.challenges.clear();
  p.where = "plan.yaml:2:13";
  EXPECT_EQ(error_of([&] { analyse(p); }), "plan.yaml:2:13: the challenge list is empty");
}

TEST(PrioritizeGraph, FindsEveryElementaryCycleOnce) {
  // a->b->a and a->b->c->a share the edge a->b; d->d is impossible (self-dependency check),
  // e->f->e is separate.
  std::vector<Challenge> cs = {make("a", 1, 1, {"b"}), make("b", 1, 1, {"a", "c"}),
                               make("c", 1, 1, {"a"}), make("e", 1, 1, {"f"}),
                               make("f", 1, 1, {"e"})};
  const auto cycles = find_cycles(cs);
  ASSERT_EQ(cycles.size(), 3U);
  EXPECT_EQ(cycles[0], (Cycle{0, 1}));
  EXPECT_EQ(cycles[1], (Cycle{0, 1, 2}));
  EXPECT_EQ(cycles[2], (Cycle{3, 4}));
}

TEST(PrioritizeGraph, CycleErrorListsAllCyclesAndSuggestsEdges) {
  Plan p;
  p.challenges = {make("a", 1, 1, {"b"}), make("b", 1, 1, {"a", "c"}), make("c", 1, 1, {"a"})};
  EXPECT_EQ(error_of([&] { analyse(p); }),
            "plan.yaml:a->b: dependency cycle: a -> b -> a (each depends on the next)\n"
            "plan.yaml:a->b: dependency cycle: a -> b -> c -> a\n"
            "note: to break 2 cycles, drop 'b' from the depends_on of 'a' (plan.yaml:a->b)");
}

TEST(PrioritizeGraph, CycleLimitKeepsLargeGraphsFast) {
  // A complete digraph on 12 nodes has millions of elementary cycles.
  std::vector<Challenge> cs;
  for (int i = 0; i < 12; ++i) {
    std::vector<std::string> deps;
    for (int j = 0; j < 12; ++j) {
      if (j != i) deps.push_back("n" + std::to_string(j));
    }
    cs.push_back(make("n" + std::to_string(i), 1, 1, deps));
  }
  EXPECT_EQ(find_cycles(cs, 100).size(), 100U);
}

TEST(PrioritizePert, LabExampleCriticalPathAndDeadline) {
  Plan p = lab_plan();
  p.challenges[0].effort = three(6, 10, 18);
  p.challenges[1].effort = three(4, 8, 14);
  p.challenges[2].effort = three(8, 12, 20);
  p.challenges[3].effort = three(2, 4, 8);
  p.deadline = 35;
  const Result r = analyse(p);
  ASSERT_TRUE(r.has_schedule);
  // Hand computation: te = (o + 4m + p)/6, sd = (p - o)/6, variances add along the path.
  EXPECT_NEAR(r.expected_duration, 31.666666666666664, 1e-12);
  EXPECT_NEAR(r.duration_sigma, 3.2829526005987018, 1e-12);
  EXPECT_EQ(ids(p, r.critical_path),
            (std::vector<std::string>{"electrode", "electrolyte", "cycle-life"}));
  // Reference: Python statistics.NormalDist().cdf((35 - T) / sd).
  EXPECT_NEAR(r.deadline_probability, 0.8450295772477717, 1e-12);
  const Item& cost = r.items[3];
  EXPECT_NEAR(cost.es, 19.0, 1e-12);
  EXPECT_NEAR(cost.ef, 19.0 + 26.0 / 6, 1e-12);
  EXPECT_NEAR(cost.slack, 31.666666666666664 - cost.ef, 1e-12);
  EXPECT_FALSE(cost.critical);
  EXPECT_TRUE(r.items[0].critical && r.items[1].critical && r.items[2].critical);
}

TEST(PrioritizePert, TiedPathsPreferLargerVariance) {
  Plan p;
  p.challenges = {make("a", 1, 1), make("b", 1, 1), make("end", 1, 1, {"a", "b"})};
  p.challenges[0].effort = three(5, 5, 5);  // te 5, sd 0
  p.challenges[1].effort = three(2, 5, 8);  // te 5, sd 1
  p.challenges[2].effort = three(1, 1, 1);
  const Result r = analyse(p);
  EXPECT_EQ(ids(p, r.critical_path), (std::vector<std::string>{"b", "end"}));
  EXPECT_DOUBLE_EQ(r.duration_sigma, 1.0);
  EXPECT_TRUE(r.items[0].critical);  // zero slack too
}

TEST(PrioritizePert, NormalCdfMatchesReference) {
  // Python statistics.NormalDist().cdf values.
  EXPECT_NEAR(normal_cdf(1.0), 0.8413447460685429, 1e-15);
  EXPECT_NEAR(normal_cdf(-3.0), 0.0013498980316301035, 1e-17);
  EXPECT_DOUBLE_EQ(normal_cdf(0.0), 0.5);
}

TEST(PrioritizeMoscow, WarnsWhenMustHavesExceedSixtyPercent) {
  Plan p = lab_plan();
  for (auto& c : p.challenges) {
    c.effort.given = true;
    c.effort.o = c.effort.m = c.effort.p = 5;
  }
  p.challenges[0].moscow = "must";
  p.challenges[1].moscow = "must";
  p.capacity = 15;  // must = 10 of 15 = 67 %, open = 20 > 15
  const Result r = analyse(p);
  ASSERT_EQ(r.warnings.size(), 2U);
  EXPECT_EQ(r.warnings[0], "must-have effort 10 is 67% of capacity 15 (DSDM advises at most 60%)");
  EXPECT_EQ(r.warnings[1], "open effort 20 exceeds capacity 15");
}

}  // namespace
}  // namespace rlab::prioritize
