// rlab bayesopt with a `prototype` objective (ctest label `torch`): every trial trains a tiny
// classifier on synthetic data through `rlab prototype`; the value each trial reports must be
// the metric written in that trial's own record, with the trial's parameters in its config.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;

std::vector<json> study_lines(const std::string& path) {
  std::vector<json> v;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) v.push_back(json::parse(line));
  }
  return v;
}

TEST(BayesoptPrototype, TrialValuesAreTheMetricsInEachRunsRecord) {
  TempDir d;
  d.write("proto.yaml",
          "prototype:\n"
          "  data: {dataset: synthetic, samples: 96, size: 8, classes: 4, validation: 0.25}\n"
          "  model: {type: classifier, channels: [4], hidden: 8}\n"
          "  optimizer: {name: adam, lr: 0.001}\n"
          "  budget: {max_batches: 4}\n"
          "  batch_size: 16\n"
          "  threads: 1\n");
  const std::string cfg = d.write("search.yaml",
                                  "bayesopt:\n"
                                  "  space:\n"
                                  "    optimizer.lr: {type: real, low: 1.0e-4, high: 0.3, "
                                  "prior: log-uniform}\n"
                                  "    batch_size: {type: integer, low: 8, high: 32}\n"
                                  "    model.hidden: [\"4\", \"16\"]\n"
                                  "  objective:\n"
                                  "    type: prototype\n"
                                  "    config: proto.yaml\n"
                                  "    metric: val_accuracy\n"
                                  "    runs: runs\n"
                                  "  n_calls: 3\n"
                                  "  n_initial_points: 2\n"
                                  "  random_state: 3\n");
  const std::string study = d.path() + "/study.jsonl";
  const RunResult r = run_rlab({"bayesopt", cfg, "--study", study, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["direction"], "maximize");  // accuracy: larger is better
  const auto lines = study_lines(study);
  ASSERT_EQ(lines.size(), 4U);  // meta + 3 trials (the third proposed by the model)
  double best = -1;
  std::vector<std::string> runs;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const json& t = lines[i];
    ASSERT_EQ(t["status"], "ok") << t.dump();
    ASSERT_TRUE(t.contains("run")) << t.dump();
    runs.push_back(t["run"]);
    // The record as `rlab exp show` reads it.
    const RunResult show = run_rlab({"exp", "show", t["run"], "--format", "json"});
    ASSERT_EQ(show.code, 0) << show.err;
    const json rec = json::parse(show.out);
    EXPECT_EQ(rec["status"], "completed");
    EXPECT_DOUBLE_EQ(t["value"].get<double>(),
                     rec["results"]["metrics"]["val_accuracy"].get<double>());
    EXPECT_DOUBLE_EQ(rec["config"]["optimizer"]["lr"].get<double>(),
                     t["params"]["optimizer.lr"].get<double>());
    EXPECT_EQ(rec["config"]["batch_size"], t["params"]["batch_size"]);
    EXPECT_EQ(rec["config"]["model"]["hidden"].get<long long>(),
              std::stoll(t["params"]["model.hidden"].get<std::string>()));
    best = std::max(best, t["value"].get<double>());
  }
  std::sort(runs.begin(), runs.end());
  EXPECT_EQ(std::unique(runs.begin(), runs.end()), runs.end()) << "one run folder per trial";
  EXPECT_DOUBLE_EQ(out["best"]["value"].get<double>(), best);
}

}  // namespace
}  // namespace rlab::test
