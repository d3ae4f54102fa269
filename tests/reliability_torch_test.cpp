// Reliability of `rlab prototype` (ctest label `torch`): killed with -9 at random steps, the run
// resumes from its last checkpoint to exactly the weights and metrics of an uninterrupted run,
// and every file in the run folder is whole at every kill.
#include "rlab/config.h"
#include "rlab/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "support/prototype_yaml.h"
#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;

// Whole lines of metrics.jsonl (a line cut by the kill is not counted).
std::vector<json> metric_rows(const std::string& path) {
  std::vector<json> rows;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line, nullptr, false);
    if (!j.is_discarded()) rows.push_back(j);
  }
  return rows;
}

TEST(ReliabilityCrashTorch, PrototypeKilledWithSigkillResumesToTheUninterruptedRun) {
  TempDir dir;
  const std::string yaml = dir.write(
      "p.yaml", small_classifier_yaml(
                    "samples: 128, size: 12",
                    "  budget: {max_batches: 40}\n"
                    "  batch_size: 16\n  log_every: 1\n  eval_every: 10\n  checkpoint_every: 3\n"
                    "  optimizer: {name: adam, lr: 0.01}\n  schedule: cosine\n"));
  const RunResult whole =
      run_rlab({"prototype", yaml, "--out", dir.path() + "/whole", "--format", "json", "-q"});
  ASSERT_EQ(whole.code, 0) << whole.err;
  const json a = json::parse(whole.out);
  const auto rows_a = metric_rows(a["run_dir"].get<std::string>() + "/metrics.jsonl");
  ASSERT_EQ(rows_a.size(), 40U);

  for (unsigned seed = 1; seed <= 3; ++seed) {
    std::mt19937 rng(seed);
    // Kill once at least this many metric lines are out (after the first checkpoint, step 3).
    const std::size_t at = std::uniform_int_distribution<std::size_t>(4, 36)(rng);
    const std::string runs = dir.path() + "/runs" + std::to_string(seed);
    const pid_t pid = start_rlab({"prototype", yaml, "--out", runs, "-q"});
    ASSERT_GE(pid, 0);
    std::string run_dir;
    bool done = false;
    for (int i = 0; i < 60000 && !done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (run_dir.empty()) {
        const auto names = list_dir(runs);
        if (!names.empty()) run_dir = runs + "/" + names.front();
        continue;
      }
      done = metric_rows(run_dir + "/metrics.jsonl").size() >= at;
    }
    ASSERT_TRUE(done) << "seed " << seed;
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    // Whatever the moment: the record parses and the metric lines so far are the uninterrupted
    // run's.
    ASSERT_NO_THROW(load_config_file(run_dir + "/record.yaml")) << "seed " << seed;
    const auto cut_rows = metric_rows(run_dir + "/metrics.jsonl");
    ASSERT_GE(cut_rows.size(), at);
    for (std::size_t i = 0; i < cut_rows.size(); ++i) {
      for (const char* k : {"step", "train_loss", "grad_norm", "lr"})
        EXPECT_EQ(cut_rows[i][k], rows_a[i][k]) << "seed " << seed << " row " << i << " " << k;
    }

    const RunResult resumed =
        run_rlab({"prototype", "--resume", run_dir, "--format", "json", "-q"});
    ASSERT_EQ(resumed.code, 0) << "seed " << seed << ": " << resumed.err;
    const json b = json::parse(resumed.out);
    EXPECT_EQ(a["weights_digest"], b["weights_digest"]) << "seed " << seed << " killed at " << at;
    EXPECT_EQ(a["metrics"], b["metrics"]) << "seed " << seed;
    const auto rows_b = metric_rows(run_dir + "/metrics.jsonl");
    ASSERT_EQ(rows_b.size(), rows_a.size()) << "seed " << seed;
    for (std::size_t i = 0; i < rows_a.size(); ++i) {
      for (const char* k : {"step", "train_loss", "grad_norm", "lr"})
        EXPECT_EQ(rows_a[i][k], rows_b[i][k]) << "seed " << seed << " row " << i << " " << k;
    }
  }
}

}  // namespace
}  // namespace rlab::test
