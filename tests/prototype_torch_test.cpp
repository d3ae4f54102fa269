// rlab prototype with the training core (ctest label `torch`): tiny runs on synthetic data and
// on the small files from tests/reference/prototype_reference.py, compared with PyTorch.
#include "rlab/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "support/prototype_yaml.h"
#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;

json reference() {
  return json::parse(read_file(source_path("tests/reference/prototype_reference.json")));
}

std::string data(const std::string& name) { return source_path("tests/data/prototype/" + name); }

class PrototypeTrain : public ::testing::Test {
 protected:
  TempDir dir;
  RunResult run(const std::string& yaml, std::vector<std::string> extra = {}) {
    const std::string f = dir.write("p.yaml", yaml);
    std::vector<std::string> args = {"prototype",          f,          "--out",
                                     dir.path() + "/runs", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_rlab(args);
  }
};

// The small classifier on 64 synthetic images trained by SGD without momentum at learning rate
// `lr` for `max_batches` batches of 16, then the YAML lines `rest`.
std::string plain_sgd_yaml(const std::string& lr, int max_batches, const std::string& rest) {
  return small_classifier_yaml("samples: 64, size: 8",
                               "  optimizer: {name: sgd, lr: " + lr +
                                   ", momentum: 0}\n  budget: {max_batches: " +
                                   std::to_string(max_batches) + "}\n  batch_size: 16\n" + rest);
}

std::string tiny_torchscript(const std::string& optimizer) {
  return "prototype:\n  data: {dataset: idx, train_images: " + data("tiny-train-images") +
         ", train_labels: " + data("tiny-train-labels") +
         ", test_images: " + data("tiny-test-images") +
         ", test_labels: " + data("tiny-test-labels") +
         ", validation: 0}\n  model: {torchscript: " + data("tiny_classifier.pt") +
         "}\n  optimizer: " + optimizer +
         "\n  budget: {max_batches: 3}\n  batch_size: 32\n  log_every: 1\n";
}

// The same TorchScript module, data, normalisation and optimiser in PyTorch (Python) and in rlab:
// the losses of the three steps and the test metrics agree.
TEST_F(PrototypeTrain, TorchScriptTrainsLikePyTorch) {
  const json ref = reference();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"torchscript_adam", "{name: adam, lr: 0.01}"},
      {"torchscript_sgd", "{name: sgd, lr: 0.05, momentum: 0.9}"},
      {"torchscript_layerwise_adam", "{name: layerwise-adam, lr: 0.01}"}};
  for (const auto& [key, opt] : cases) {
    const RunResult r = run(tiny_torchscript(opt));
    ASSERT_EQ(r.code, 0) << key << r.err;
    const json out = json::parse(r.out);
    const auto rows = read_jsonl(out["run_dir"].get<std::string>() + "/metrics.jsonl");
    ASSERT_EQ(rows.size(), 3U) << key;
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_NEAR(rows[i]["train_loss"].get<double>(), ref[key]["losses"][i].get<double>(), 2e-5)
          << key << i;
    }
    EXPECT_NEAR(out["metrics"]["test_loss"].get<double>(), ref[key]["test_loss"].get<double>(),
                2e-5)
        << key;
    EXPECT_DOUBLE_EQ(out["metrics"]["test_accuracy"].get<double>(),
                     ref[key]["test_accuracy"].get<double>())
        << key;
  }
}

TEST_F(PrototypeTrain, TorchScriptFileThatDoesNotLoad) {
  const RunResult r = run(
      "prototype:\n  data: {dataset: synthetic, samples: 32, size: 8}\n  model: {torchscript: " +
      data("not_a_module.pt") + "}\n");
  EXPECT_EQ(r.code, 3);
  const std::string prefix = "rlab: error: " + dir.path() +
                             "/p.yaml:3:24: cannot load TorchScript module '" +
                             data("not_a_module.pt") + "': ";
  EXPECT_EQ(r.err.substr(0, prefix.size()), prefix) << r.err;
}

// The built-in models have the architecture of the same models built in PyTorch.
TEST_F(PrototypeTrain, ModelsMatchPyTorchArchitectures) {
  const json ref = reference();
  RunResult r =
      run("prototype:\n  data: {dataset: synthetic, samples: 32, size: 28, classes: 10}\n"
          "  budget: {max_batches: 1}\n");
  ASSERT_EQ(r.code, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["parameters"], ref["autoencoder_1x28x28_16_32"]["parameters"]);
  EXPECT_EQ(out["metrics"]["compression_ratio"].get<double>(),
            ref["autoencoder_1x28x28_16_32"]["compression_ratio"].get<double>());
  // PSNR is 10 log10(1 / MSE) for images in [0, 1].
  EXPECT_NEAR(out["metrics"]["test_psnr"].get<double>(),
              10 * std::log10(1 / out["metrics"]["test_mse"].get<double>()), 1e-9);
  r =
      run("prototype:\n  data: {dataset: synthetic, samples: 32, size: 13, channels: 1}\n"
          "  model: {type: autoencoder, channels: [8, 8, 8]}\n  budget: {max_batches: 1}\n");
  ASSERT_EQ(r.code, 0) << r.err;
  // Odd sizes: the decoder's output padding restores 13 from 7 and 4 (parameter counts do not
  // depend on the image size, so the 13x11 reference applies).
  EXPECT_EQ(json::parse(r.out)["parameters"], ref["autoencoder_1x13x11_8_8_8"]["parameters"]);
  r =
      run("prototype:\n  data: {dataset: synthetic, samples: 32, size: 28, classes: 10}\n"
          "  model: classifier\n  budget: {max_batches: 1}\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["parameters"],
            ref["classifier_1x28x28_32_64_h128_c10"]["parameters"]);
}

TEST_F(PrototypeTrain, ClassifierLearnsAndRecordsTheExperiment) {
  const RunResult r = run(
      "prototype:\n  name: synthetic check\n  data: {dataset: synthetic, samples: 256, size: 16}\n"
      "  model: {type: classifier, channels: [8], hidden: 16}\n  budget: {max_batches: 40}\n"
      "  batch_size: 32\n  log_every: 5\n  eval_every: 20\n  optimizer: {name: adamw, lr: 0.005}\n"
      "  schedule: cosine\n",
      {"--hypothesis", "squares are separable", "--expect", "accuracy>=0.9", "--diagnose"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["status"], "completed");
  EXPECT_GE(out["metrics"]["test_accuracy"].get<double>(), 0.9);
  EXPECT_EQ(out["expectation"]["met"], true);
  EXPECT_EQ(out["expectation"]["metric"], "test_accuracy");
  const std::string run_dir = out["run_dir"];
  const auto rows = read_jsonl(run_dir + "/metrics.jsonl");
  ASSERT_EQ(rows.size(), 8U);  // steps 5..40
  EXPECT_TRUE(rows[3].contains("val_accuracy"));
  EXPECT_TRUE(rows[0].contains("layers"));
  EXPECT_TRUE(rows[0]["layers"][0].contains("dead_relu"));
  std::ifstream svg(run_dir + "/curve.svg");
  EXPECT_TRUE(svg.good());
  const RunResult list =
      run_rlab({"exp", "list", "--runs", dir.path() + "/runs", "--format", "json"});
  ASSERT_EQ(list.code, 0);
  EXPECT_EQ(json::parse(list.out)["runs"][0]["hypothesis"], "squares are separable");
  const RunResult show = run_rlab({"exp", "show", out["id"], "--runs", dir.path() + "/runs"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("## Goal\n\nsquares are separable"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("Expectation accuracy>=0.9: met"), std::string::npos);
}

// Interrupted at step 5 and resumed: the same final weights, metrics and metric lines as a run
// that was never interrupted.
TEST_F(PrototypeTrain, ResumeGivesExactlyTheUninterruptedRun) {
  const std::string yaml = small_classifier_yaml(
      "samples: 128, size: 16",
      "  budget: {max_batches: 12}\n"
      "  batch_size: 16\n  log_every: 2\n  eval_every: 4\n  optimizer: {name: sgd, lr: 0.05}\n"
      "  schedule: {name: step, step_size: 4, gamma: 0.5}\n");
  const RunResult whole = run(yaml);
  ASSERT_EQ(whole.code, 0) << whole.err;
  const RunResult cut = run(yaml, {"--stop-at-step", "5"});
  ASSERT_EQ(cut.code, 130) << cut.err;
  const json cut_out = json::parse(cut.out);
  EXPECT_EQ(cut_out["status"], "interrupted");
  const RunResult resumed =
      run_rlab({"prototype", "--resume", cut_out["run_dir"], "--format", "json"});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const json a = json::parse(whole.out);
  const json b = json::parse(resumed.out);
  EXPECT_EQ(a["weights_digest"], b["weights_digest"]);
  EXPECT_EQ(a["metrics"], b["metrics"]);
  const auto ra = read_jsonl(a["run_dir"].get<std::string>() + "/metrics.jsonl");
  const auto rb = read_jsonl(b["run_dir"].get<std::string>() + "/metrics.jsonl");
  ASSERT_EQ(ra.size(), rb.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    for (const char* k : {"step", "train_loss", "grad_norm", "lr"})
      EXPECT_EQ(ra[i][k], rb[i][k]) << i << k;
  }
}

// A real SIGTERM during training: the run saves a checkpoint, records status "interrupted" and
// exits 130; the run can then be resumed.
TEST_F(PrototypeTrain, SigtermSavesACheckpointAndExits130) {
  const std::string f =
      dir.write("p.yaml", small_classifier_yaml("samples: 256, size: 16",
                                                "  budget: {max_batches: 100000000}\n"
                                                "  batch_size: 16\n  log_every: 1\n"));
  const std::string runs = dir.path() + "/runs";
  const pid_t pid = start_rlab({"prototype", f, "--out", runs, "-q"});
  ASSERT_GE(pid, 0);
  // Wait until training has logged a step (metrics.jsonl has a line), then send SIGTERM.
  const std::string run_dir = wait_for_logged_step(runs);
  ASSERT_FALSE(run_dir.empty());
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_TRUE(std::ifstream(run_dir + "/checkpoint.pt").good());
  EXPECT_NE(read_file(run_dir + "/record.yaml").find("\"status\": \"interrupted\""),
            std::string::npos);
}

TEST_F(PrototypeTrain, DivergenceStopsWithTheBatchAndExitOne) {
  const RunResult r = run(plain_sgd_yaml("1.0e+12", 200, "  checkpoint_every: 1\n"));
  EXPECT_EQ(r.code, 1) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["status"], "diverged");
  bool found = false;
  for (const auto& w : out["warnings"]) found = found || w["code"] == "non_finite_loss";
  EXPECT_TRUE(found) << out.dump();
  EXPECT_NE(
      r.err.find("last good checkpoint: " + out["run_dir"].get<std::string>() + "/checkpoint.pt"),
      std::string::npos)
      << r.err;
}

TEST_F(PrototypeTrain, FlatLossIsReported) {
  const RunResult r = run(plain_sgd_yaml("1.0e-9", 20, "  checks: {no_progress_steps: 10}\n"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("rlab: warning: loss has not decreased after 10 steps"), std::string::npos)
      << r.err;
}

// Real runs, several seeds, AMP off and on in the config, and a failed and a diverged run in the
// same folder: rlab validate reads the folder back (the failed and diverged runs named and
// skipped), exp list lists every run, exp show shows the failed run's error.
TEST_F(PrototypeTrain, EveryRecordWrittenIsReadBack) {
  const std::string runs = dir.path() + "/runs";
  const std::string base =
      "prototype:\n  data: {dataset: synthetic, samples: 64, size: 8}\n"
      "  budget: {max_batches: 2}\n  batch_size: 16\n";
  for (const std::string seed : {"0", "7", "123456789"}) {
    const RunResult r = run(base + "  seed: " + seed +
                            "\n  amp: " + (seed == "7" ? "true" : "false") + "\n  device: cpu\n");
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const RunResult failed =
      run("prototype:\n  data: {dataset: synthetic, samples: 32, size: 8}\n"
          "  model: {torchscript: " +
          data("not_a_module.pt") + "}\n");
  ASSERT_EQ(failed.code, 3);
  const RunResult diverged = run(plain_sgd_yaml("1.0e+12", 200, ""));
  ASSERT_EQ(diverged.code, 1);
  const RunResult v =
      run_rlab({"validate", runs, runs, "--metric", "test_psnr:higher", "--format", "json"});
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(json::parse(v.out)["metrics"][0]["baseline"]["n"], 3);
  EXPECT_NE(v.err.find(" has no results, status 'failed': "), std::string::npos) << v.err;
  EXPECT_NE(v.err.find(" has no results, status 'diverged' (skipped)"), std::string::npos) << v.err;
  const RunResult list = run_rlab({"exp", "list", "--runs", runs, "--format", "json"});
  ASSERT_EQ(list.code, 0) << list.err;
  const json l = json::parse(list.out)["runs"];
  ASSERT_EQ(l.size(), 5U);
  EXPECT_EQ(l[3]["status"], "failed");
  const std::string error = l[3]["error"];
  EXPECT_NE(error.find("cannot load TorchScript module"), std::string::npos) << error;
  const RunResult show = run_rlab({"exp", "show", l[3]["id"], "--runs", runs});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("- error: " + error + "\n"), std::string::npos) << show.out;
}

TEST_F(PrototypeTrain, CudaWithoutGpuIsExitFour) {
  const RunResult r =
      run("prototype:\n  data: {dataset: synthetic, samples: 32, size: 8}\n", {"--device", "cuda"});
  if (r.code == 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err.rfind("rlab: error: device 'cuda' asked for, but no CUDA device is available", 0),
            0U)
      << r.err;
}

}  // namespace
}  // namespace rlab::test
