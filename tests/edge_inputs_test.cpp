// Edge inputs of single commands. Records: whatever `rlab prototype` writes (any seed, any
// config, any end: completed, failed, interrupted, diverged, killed while running), rlab reads
// back: validate's reader, `rlab validate` on the runs folder, `rlab exp list` and `exp show`.
// Then one bad entry among good ones, a mistyped path that must not read as an empty result, and
// a question that is valid but cannot be answered from what a run reports.
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/prototype.h"
#include "rlab/validate.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>
#include <filesystem>
#include <limits>

#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;
namespace v = rlab::validate;

// A record with the fields and nesting run_prototype gives it, for one seed and config.
json make_record(const std::string& id, long long seed, bool amp, const std::string& model,
                 const std::string& status, double metric) {
  const bool cls = model == "classifier";
  json cfg = {{"model",
               {{"type", model},
                {"channels", {8, 16}},
                {"task", cls ? "classification" : "reconstruction"}}},
              {"optimizer", {{"name", "adam"}, {"lr", 1e-3}, {"nesterov", false}}},
              {"budget", {{"profile", "quick"}, {"max_batches", 2}}},
              {"seed", seed},
              {"amp", amp},
              {"diagnose", false},
              {"device", "cpu"},
              {"early_stopping", nullptr},
              {"batch_size", 32}};
  json rec = {{"id", id},
              {"name", seed % 2 == 0 ? json(nullptr) : json("naïve \"quoted\" name: x")},
              {"created", "2026-01-02T03:04:05Z"},
              {"status", "running"},
              {"run_dir", "runs/" + id},
              {"hypothesis", nullptr},
              {"command", {"rlab", "prototype", "--seed", std::to_string(seed)}},
              {"config", cfg},
              {"data",
               {{"dataset", "synthetic"},
                {"source", "synthetic squares"},
                {"train", 58},
                {"validation", 6},
                {"test", 0},
                {"shape", "1x8x8"},
                {"classes", 2},
                {"split_seed", seed < 0 ? 0 : seed}}}};
  if (status == "running") return rec;  // killed before its results
  if (status == "failed") {
    rec["status"] = "failed";
    rec["error"] = "training: out of memory: tried to allocate 2.00 GiB";
    return rec;
  }
  json metrics = {{"train_loss", status == "diverged" ? NAN : 0.5}};
  if (status != "interrupted" && status != "diverged") {
    metrics[cls ? "val_accuracy" : "val_psnr"] = metric;
    metrics[cls ? "val_loss" : "val_mse"] = 0.25;
  }
  rec["status"] = status;
  rec["finished"] = "2026-01-02T03:05:00Z";
  rec["environment"] = {{"device", "cpu"}, {"threads", 2}};
  rec["warnings"] = json::array();
  rec["results"] = {{"status", status},    {"metrics", metrics},  {"steps", 2},
                    {"epochs", 1.0},       {"device", "cpu"},     {"amp", amp},
                    {"images_per_s", 1e3}, {"checkpoint_step", 2}};
  rec["conclusion"] = "a conclusion";
  rec["next_steps"] = json::array({"check that the result holds across seeds: rlab validate"});
  return rec;
}

struct Written {
  std::string id;
  std::string status;
};

// Writes records through the writer rlab uses (to_yaml + write_file_atomic) into runs/<id>/.
std::vector<Written> write_runs(const TempDir& dir, const std::string& model, double base) {
  const std::vector<long long> seeds = {0, 1, 7, 42, 1234567, LLONG_MAX, -3};
  const std::vector<std::string> ends = {"completed", "early_stopped", "time_budget", "completed",
                                         "completed", "completed",     "completed"};
  std::vector<Written> out;
  int n = 0;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const std::string id = "EXP-20260102-" + std::to_string(100 + ++n);
    const json rec = make_record(id, seeds[i], i % 2 == 0, model, ends[i], base + 0.01 * i);
    std::filesystem::create_directories(dir.path() + "/runs/" + id);
    write_file_atomic(dir.path() + "/runs/" + id + "/record.yaml", prototype::to_yaml(rec));
    out.push_back({id, ends[i]});
  }
  for (const std::string end : {"failed", "interrupted", "diverged", "running"}) {
    const std::string id = "EXP-20260102-" + std::to_string(100 + ++n);
    const json rec = make_record(id, n, true, model, end, 0);
    std::filesystem::create_directories(dir.path() + "/runs/" + id);
    write_file_atomic(dir.path() + "/runs/" + id + "/record.yaml", prototype::to_yaml(rec));
    out.push_back({id, end});
  }
  return out;
}

TEST(Records, ValidateReaderReadsEveryRecordBackOrSaysWhyNot) {
  for (const std::string model : {"autoencoder", "classifier"}) {
    TempDir dir;
    const auto written = write_runs(dir, model, 20);
    for (const auto& w : written) {
      const std::string path = dir.path() + "/runs/" + w.id + "/record.yaml";
      std::vector<std::string> skipped;
      const auto runs = v::parse_runs(read_file(path), path, &skipped);
      const bool finished =
          w.status == "completed" || w.status == "early_stopped" || w.status == "time_budget";
      if (finished) {
        ASSERT_EQ(runs.size(), 1U) << path;
        EXPECT_TRUE(skipped.empty()) << skipped.front();
        // Only the metrics: no config, data or environment field is taken for one.
        std::vector<std::string> names;
        for (const auto& x : runs[0].values) names.push_back(x.metric);
        const std::string m = model == "classifier" ? "val_accuracy" : "val_psnr";
        EXPECT_NE(std::find(names.begin(), names.end(), m), names.end()) << path;
        for (const auto& name : names) {
          EXPECT_EQ(name.find("config."), std::string::npos) << name;
          EXPECT_NE(name, "amp");
        }
      } else {
        EXPECT_TRUE(runs.empty()) << path;
        ASSERT_EQ(skipped.size(), 1U) << path;
        EXPECT_EQ(skipped[0].rfind(
                      path + ":1:1: run " + w.id + " has no results, status '" + w.status + "'", 0),
                  0U)
            << skipped[0];
        if (w.status == "failed") {
          EXPECT_EQ(skipped[0], path + ":1:1: run " + w.id +
                                    " has no results, status 'failed': training: out of memory: "
                                    "tried to allocate 2.00 GiB (skipped)");
        }
      }
    }
  }
}

TEST(Records, ValidateExpListAndShowReadEveryRecordRlabWrites) {
  TempDir base_dir;
  TempDir cand_dir;
  const auto base = write_runs(base_dir, "autoencoder", 20);
  const auto cand = write_runs(cand_dir, "autoencoder", 21);
  const std::string runs = base_dir.path() + "/runs";
  // validate: the failed, interrupted, diverged and unfinished runs are named and skipped.
  const RunResult r = run_inprocess({"validate", runs, cand_dir.path() + "/runs", "--metric",
                                     "val_psnr:higher", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["metrics"][0]["baseline"]["n"], 7);
  EXPECT_EQ(j["metrics"][0]["candidate"]["n"], 7);
  EXPECT_NE(r.err.find("rlab: warning: " + runs + "/" + base[7].id + "/record.yaml:1:1: run " +
                       base[7].id +
                       " has no results, status 'failed': training: out of memory: tried to "
                       "allocate 2.00 GiB (skipped)\n"),
            std::string::npos)
      << r.err;
  for (std::size_t i = 8; i < base.size(); ++i) {
    EXPECT_NE(r.err.find("run " + base[i].id + " has no results, status '" + base[i].status +
                         "' (skipped)\n"),
              std::string::npos)
        << r.err;
  }
  // exp list: every record, none skipped, the failed run's error in JSON.
  const RunResult list = run_inprocess({"exp", "list", "--runs", runs, "--format", "json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.err, "");
  const json l = json::parse(list.out);
  ASSERT_EQ(l["runs"].size(), base.size());
  for (std::size_t i = 0; i < base.size(); ++i) {
    EXPECT_EQ(l["runs"][i]["id"], base[i].id);
    EXPECT_EQ(l["runs"][i]["status"], base[i].status);
    EXPECT_EQ(l["runs"][i].contains("error"), base[i].status == "failed");
  }
  EXPECT_EQ(run_inprocess({"exp", "list", "--runs", runs}).code, 0);
  // exp show: every record in every format.
  for (const auto& w : base) {
    for (const std::string format : {"table", "md", "json"}) {
      const RunResult s = run_inprocess({"exp", "show", w.id, "--runs", runs, "--format", format});
      ASSERT_EQ(s.code, 0) << w.id << " " << format << ": " << s.err;
      EXPECT_EQ(s.err, "");
      if (format == "json") {
        EXPECT_EQ(json::parse(s.out)["id"], w.id);
      } else {
        EXPECT_EQ(s.out.rfind("# " + w.id, 0), 0U) << s.out;
      }
    }
  }
}

TEST(Records, ExpShowOfAFailedRunShowsItsError) {
  TempDir dir;
  const auto written = write_runs(dir, "classifier", 0.8);
  const std::string failed = written[7].id;
  const RunResult s = run_inprocess({"exp", "show", failed, "--runs", dir.path() + "/runs"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_NE(s.out.find("- status: failed\n- error: training: out of memory: tried to allocate "
                       "2.00 GiB\n"),
            std::string::npos)
      << s.out;
  EXPECT_NE(s.out.find("## Failure analysis\n\nThe run failed: training: out of memory: tried "
                       "to allocate 2.00 GiB\n"),
            std::string::npos)
      << s.out;
  // A completed run's page has no error line.
  const RunResult ok =
      run_inprocess({"exp", "show", written[0].id, "--runs", dir.path() + "/runs"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out.find("- error:"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("No failure mode detected"), std::string::npos) << ok.out;
}

// ---- one bad entry among good ones -------------------------------------------------------

TEST(EdgeInputs, ValidateSideWithOnlyFailedRunsIsAnError) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/bad/EXP-1");
  dir.write("bad/EXP-1/record.yaml",
            "id: EXP-1\nstatus: failed\nerror: boom\nconfig: {seed: 1, amp: false}\n");
  const std::string good = dir.write("good.csv", "seed,acc\n1,0.8\n2,0.81\n3,0.79\n");
  const RunResult r =
      run_inprocess({"validate", dir.path() + "/bad", good, "--metric", "acc:higher"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: warning: " + dir.path() +
                       "/bad/EXP-1/record.yaml:1:1: run EXP-1 has no results, status 'failed': "
                       "boom (skipped)\nrlab: error: " +
                       dir.path() +
                       "/bad: no usable runs for the baseline (1 run record(s) without results "
                       "skipped)\n");
}

TEST(EdgeInputs, ValidateNeverTakesRecordFieldsForMetrics) {
  // A record with a config and no results (killed before it wrote them) is no run: its
  // config.amp: false is not a metric.
  TempDir dir;
  const std::string good = dir.write("good.csv", "seed,acc\n1,0.8\n2,0.81\n3,0.79\n");
  const std::string rec = dir.write("r.yaml",
                                    "runs:\n  - {seed: 1, metrics: {acc: 0.9}}\n"
                                    "  - {id: EXP-2, config: {seed: 2, amp: false}}\n"
                                    "  - {seed: 3, metrics: {acc: 0.92}}\n");
  const RunResult r =
      run_inprocess({"validate", good, rec, "--metric", "acc:higher", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["metrics"][0]["candidate"]["n"], 2);
  EXPECT_NE(r.err.find("rlab: warning: " + rec + ":3:5: run EXP-2 has no results (skipped)\n"),
            std::string::npos)
      << r.err;
}

TEST(EdgeInputs, ExpListSkipsARecordOfWrongTypesAmongGoodOnes) {
  TempDir dir;
  const auto written = write_runs(dir, "autoencoder", 20);
  std::filesystem::create_directories(dir.path() + "/runs/EXP-20260102-999");
  dir.write("runs/EXP-20260102-999/record.yaml", "id: EXP-20260102-999\nconfig: 5\nresults: [1]\n");
  std::filesystem::create_directories(dir.path() + "/runs/EXP-20260102-998");
  dir.write("runs/EXP-20260102-998/record.yaml", "- just\n- a list\n");
  const RunResult r =
      run_inprocess({"exp", "list", "--runs", dir.path() + "/runs", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["runs"].size(), written.size());
  EXPECT_EQ(r.err, "rlab: warning: " + dir.path() +
                       "/runs/EXP-20260102-998/record.yaml: a run record must be a map, got array "
                       "(skipped)\nrlab: warning: " +
                       dir.path() +
                       "/runs/EXP-20260102-999/record.yaml: a field has the wrong type (not a "
                       "record rlab wrote; skipped)\n");
  const RunResult s = run_inprocess({"exp", "show", "999", "--runs", dir.path() + "/runs"});
  EXPECT_EQ(s.code, 3);
  EXPECT_EQ(s.err, "rlab: error: " + dir.path() +
                       "/runs/EXP-20260102-999/record.yaml: not a run record rlab can show (a "
                       "field has the wrong type); rlab exp show --format json prints it as it "
                       "is\n");
}

TEST(EdgeInputs, PomodoroHistoryAndJournalSkipABadLineAmongGoodOnes) {
  TempDir dir;
  const std::vector<std::string> env = {"RLAB_HOME=" + dir.path(),
                                        "RLAB_NOW=2025-03-03T12:00:00+08:00", "TZ=Asia/Shanghai",
                                        "NO_COLOR=1"};
  std::filesystem::create_directories(dir.path() + "/data/pomodoro");
  const std::string history = dir.write("data/pomodoro/history",
                                        "2025-03-03T09:00:00+08:00 duration=25\n2025-03-03T09:3\n"
                                        "2025-03-03T10:00:00+08:00 duration=25\n");
  RunResult r = run_rlab({"pomodoro", "status", "--format", "json"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["completed_today"], 2);
  EXPECT_EQ(r.err, "rlab: warning: " + history +
                       ":2:1: expected an ISO 8601 timestamp with UTC offset, got "
                       "'2025-03-03T09:3' (skipped)\n");
  const std::string jp = dir.write(
      "j.jsonl",
      "{\"energy\":2,\"mood\":3,\"ts\":\"2025-03-03T09:10:00+08:00\"}\n{\"energy\":2,\"mo\n"
      "{\"energy\":4,\"mood\":5,\"ts\":\"2025-03-03T10:10:00+08:00\"}\n");
  r = run_rlab({"pomodoro", "journal", "week", "--journal", jp, "--format", "json"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["samples"], 2);
  EXPECT_EQ(r.err, "rlab: warning: " + jp + ":2:1: not a JSON object (skipped)\n");
}

// ---- a mistyped path is no empty result ----------------------------------------------------

TEST(EdgeInputs, ExpListOfAMissingFolderIsAnError) {
  TempDir dir;
  const std::string missing = dir.path() + "/nonexist";
  RunResult r = run_inprocess({"exp", "list", "--runs", missing});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "rlab: error: --runs " + missing +
                       ": no such folder\nrlab: note: rlab prototype records each run in "
                       "<folder>/<id>/record.yaml (--out, default runs)\n");
  const std::string file = dir.write("file", "x");
  r = run_inprocess({"exp", "list", "--runs", file, "--format", "json"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: --runs " + file + ": not a folder\n");
  // An existing folder with no runs yet is an empty list.
  std::filesystem::create_directories(dir.path() + "/empty");
  r = run_inprocess({"exp", "list", "--runs", dir.path() + "/empty", "--format", "json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["runs"].size(), 0U);
}

TEST(EdgeInputs, PomodoroJournalNamedButMissingIsAnError) {
  TempDir dir;
  const std::vector<std::string> env = {"RLAB_HOME=" + dir.path(),
                                        "RLAB_NOW=2025-03-03T12:00:00+08:00", "TZ=Asia/Shanghai",
                                        "NO_COLOR=1"};
  const std::string missing = dir.path() + "/nonexist.jsonl";
  for (const std::string sub : {"week", "slots"}) {
    const RunResult r = run_rlab({"pomodoro", "journal", sub, "--journal", missing}, env);
    EXPECT_EQ(r.code, 3) << sub;
    EXPECT_EQ(r.err, "rlab: error: --journal " + missing + ": no such file\n") << sub;
  }
  const RunResult plan = run_rlab(
      {"pomodoro", "plan", source_path("configs/examples/pomodoro.yaml"), "--journal", missing},
      env);
  EXPECT_EQ(plan.code, 3);
  EXPECT_EQ(plan.err, "rlab: error: --journal " + missing + ": no such file\n");
  // The default journal may not exist yet: an empty week.
  const RunResult week = run_rlab({"pomodoro", "journal", "week", "--format", "json"}, env);
  EXPECT_EQ(week.code, 0) << week.err;
}

// ---- a metric the run will never report ----------------------------------------------------

TEST(EdgeInputs, PrototypeExpectationOfAMetricTheModelNeverReports) {
  TempDir dir;
  const std::string f =
      dir.write("p.yaml", "prototype:\n  data: {dataset: synthetic, samples: 64}\n");
  const std::string out = dir.path() + "/runs";
  RunResult r = run_rlab({"prototype", f, "--out", out, "--expect", "accuracy > 0.9"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err,
            "rlab: error: --expect: metric 'accuracy' of the expected result 'accuracy > 0.9' is "
            "not reported by a reconstruction model (autoencoder); it reports: train_loss, "
            "val_loss, val_mse, val_psnr, test_loss, test_mse, test_psnr, compression_ratio\n");
  EXPECT_FALSE(std::filesystem::exists(out)) << "no run folder before the check";
  // From the config file: its place; a classifier has no PSNR.
  const std::string g = dir.write("c.yaml",
                                  "prototype:\n  data: {dataset: synthetic, samples: 64, size: 8}\n"
                                  "  model: {type: classifier}\n  expect: psnr >= 20\n");
  r = run_rlab({"prototype", g, "--out", out});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + g +
                       ":4:11: metric 'psnr' of the expected result 'psnr >= 20' is not reported "
                       "by a classification model (classifier); it reports: train_loss, "
                       "val_loss, val_accuracy, test_loss, test_accuracy\n");
  EXPECT_FALSE(std::filesystem::exists(out));
}

// The message `rlab bayesopt CONFIG` is refused with as invalid input (exit code 3).
std::string bayesopt_refusal(const std::string& config) {
  const RunResult r = run_rlab({"bayesopt", config});
  EXPECT_EQ(r.code, 3);
  return r.err;
}

TEST(EdgeInputs, BayesoptPrototypeObjectiveOfAMetricTheModelNeverReports) {
  TempDir dir;
  dir.write("p.yaml", "prototype:\n  data: {dataset: synthetic, samples: 64}\n");
  const std::string f = dir.write(
      "bo.yaml",
      "bayesopt:\n  objective: {type: prototype, config: p.yaml, metric: test_accuracy}\n"
      "  space:\n    optimizer.lr: {type: real, low: 0.0001, high: 0.1, prior: log-uniform}\n"
      "  n_calls: 3\n");
  EXPECT_EQ(bayesopt_refusal(f),
            "rlab: error: " + f +
                ":2:56: 'objective.metric' test_accuracy is not reported by the "
                "autoencoder model of " +
                dir.path() +
                "/p.yaml (its runs report: train_loss, val_loss, val_mse, val_psnr, "
                "test_loss, test_mse, test_psnr, compression_ratio)\n");
  // A typo gets a suggestion.
  dir.write("c.yaml",
            "prototype:\n  data: {dataset: synthetic, samples: 64, size: 8}\n"
            "  model: classifier\n");
  const std::string g =
      dir.write("bo2.yaml",
                "bayesopt:\n  objective: {type: prototype, config: c.yaml, metric: val_acuracy}\n"
                "  space:\n    optimizer.lr: {type: real, low: 0.0001, high: 0.1}\n");
  EXPECT_EQ(bayesopt_refusal(g),
            "rlab: error: " + g +
                ":2:56: 'objective.metric' val_acuracy is not reported by the classifier "
                "model of " +
                dir.path() +
                "/c.yaml (did you mean 'val_accuracy'?) (its runs report: train_loss, "
                "val_loss, val_accuracy, test_loss, test_accuracy)\n");
}

}  // namespace
}  // namespace rlab::test
