// Data-parallel `rlab prototype` (ctest label `torch`): ranks on loopback with Gloo, compared
// with PyTorch and with one process; a rank that dies; the progress bar on a terminal.
#include "rlab/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/prototype_yaml.h"
#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;

std::string data(const std::string& name) { return source_path("tests/data/prototype/" + name); }

// The tiny TorchScript classifier of tests/reference/prototype_reference.py (32 training
// images, batch 32 = the whole set per step, 3 Adam steps).
std::string tiny_config(int batch) {
  return "prototype:\n  data: {dataset: idx, train_images: " + data("tiny-train-images") +
         ", train_labels: " + data("tiny-train-labels") +
         ", test_images: " + data("tiny-test-images") +
         ", test_labels: " + data("tiny-test-labels") +
         ", validation: 0}\n  model: {torchscript: " + data("tiny_classifier.pt") +
         "}\n  optimizer: {name: adam, lr: 0.01}\n  budget: {max_batches: 3}\n  batch_size: " +
         std::to_string(batch) + "\n  log_every: 1\n";
}

// Largest relative difference between two runs' weights_summary entries (sum, norm, projection
// of every parameter).
double weights_difference(const json& a, const json& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    EXPECT_EQ(a[i]["name"], b[i]["name"]);
    for (const char* k : {"sum", "norm", "projection"}) {
      const double x = a[i][k];
      const double y = b[i][k];
      worst = std::max(worst, std::abs(x - y) / std::max(1e-3, std::abs(x) + std::abs(y)));
    }
  }
  return worst;
}

// Two ranks on loopback, each with half of every global batch, end where one process with the
// whole batch ends, and where PyTorch (Python, independent reference) ends: the same losses
// step by step and the same test metrics. A single process with half the batch does not.
TEST(PrototypeDistributed, TwoRanksMatchOneProcessAndPyTorch) {
  TempDir dir;
  const json ref = json::parse(read_file(source_path("tests/reference/prototype_reference.json")));
  const std::string f = dir.write("p.yaml", tiny_config(32));
  const RunResult two = run_rlab({"prototype", f, "--nproc", "2", "--out", dir.path() + "/two",
                                  "--format", "json", "--dist-timeout", "60"});
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_EQ(two.err, "");               // rank 1 is silent, rank 0 has nothing to warn about
  const json a = json::parse(two.out);  // one JSON document: rank 0's
  EXPECT_EQ(list_dir(dir.path() + "/two").size(), 1U);  // one run folder
  const auto rows = read_jsonl(a["run_dir"].get<std::string>() + "/metrics.jsonl");
  ASSERT_EQ(rows.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(rows[i]["train_loss"].get<double>(),
                ref["torchscript_adam"]["losses"][i].get<double>(), 2e-5)
        << i;
  }
  EXPECT_NEAR(a["metrics"]["test_loss"].get<double>(),
              ref["torchscript_adam"]["test_loss"].get<double>(), 2e-5);
  EXPECT_DOUBLE_EQ(a["metrics"]["test_accuracy"].get<double>(),
                   ref["torchscript_adam"]["test_accuracy"].get<double>());
  const std::string record = read_file(a["run_dir"].get<std::string>() + "/record.yaml");
  EXPECT_NE(record.find("\"backend\": \"gloo\""), std::string::npos) << record;
  EXPECT_NE(record.find("\"world_size\": 2"), std::string::npos) << record;

  const RunResult one =
      run_rlab({"prototype", f, "--out", dir.path() + "/one", "--format", "json", "--seed", "0"});
  ASSERT_EQ(one.code, 0) << one.err;
  const json b = json::parse(one.out);
  EXPECT_LT(weights_difference(a["weights_summary"], b["weights_summary"]), 1e-5);

  const std::string g = dir.write("half.yaml", tiny_config(16));
  const RunResult half = run_rlab(
      {"prototype", g, "--out", dir.path() + "/half", "--format", "json", "--max-batches", "3"});
  ASSERT_EQ(half.code, 0) << half.err;
  EXPECT_GT(weights_difference(a["weights_summary"], json::parse(half.out)["weights_summary"]),
            1e-3);
}

// Three ranks and uneven shards (54 training images: batches of 10 = 3 + 3 + 4 images, the last
// batch of 4 = 1 + 1 + 2) with SGD: the same weights and metrics as one process.
TEST(PrototypeDistributed, UnevenShardsMatchOneProcess) {
  TempDir dir;
  const std::string f = dir.write(
      "p.yaml",
      small_classifier_yaml("samples: 60, size: 8, classes: 3, seed: 5",
                            "  optimizer: {name: sgd, lr: 0.1}\n"
                            "  budget: {epochs: 2}\n  batch_size: 10\n  eval_every: 3\n"));
  const RunResult three = run_rlab({"prototype", f, "--nproc", "3", "--out", dir.path() + "/a",
                                    "--format", "json", "--dist-timeout", "60"});
  ASSERT_EQ(three.code, 0) << three.err;
  const RunResult one = run_rlab({"prototype", f, "--out", dir.path() + "/b", "--format", "json"});
  ASSERT_EQ(one.code, 0) << one.err;
  const json a = json::parse(three.out);
  const json b = json::parse(one.out);
  EXPECT_EQ(a["steps"], b["steps"]);
  EXPECT_LT(weights_difference(a["weights_summary"], b["weights_summary"]), 1e-5);
  EXPECT_NEAR(a["metrics"]["val_loss"].get<double>(), b["metrics"]["val_loss"].get<double>(), 1e-5);
  EXPECT_NEAR(a["metrics"]["test_loss"].get<double>(), b["metrics"]["test_loss"].get<double>(),
              1e-5);
}

// A data-parallel run interrupted at step 5 (every rank stops at the same step, rank 0 saves the
// checkpoint) and resumed with the ranks again ends where one uninterrupted process ends.
TEST(PrototypeDistributed, InterruptedAndResumedMatchesOneProcess) {
  TempDir dir;
  const std::string f =
      dir.write("p.yaml", small_classifier_yaml("samples: 60, size: 8, classes: 3, seed: 5",
                                                "  optimizer: {name: adam, lr: 0.01}\n"
                                                "  budget: {max_batches: 9}\n  batch_size: 10\n"));
  const RunResult cut = run_rlab({"prototype", f, "--nproc", "2", "--out", dir.path() + "/a",
                                  "--format", "json", "--stop-at-step", "5"});
  ASSERT_EQ(cut.code, 130) << cut.err;
  const std::string run_dir = json::parse(cut.out)["run_dir"];
  const RunResult resumed =
      run_rlab({"prototype", "--resume", run_dir, "--nproc", "2", "--format", "json"});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const RunResult one = run_rlab({"prototype", f, "--out", dir.path() + "/b", "--format", "json"});
  ASSERT_EQ(one.code, 0) << one.err;
  const json a = json::parse(resumed.out);
  const json b = json::parse(one.out);
  EXPECT_EQ(a["steps"], 9);
  EXPECT_LT(weights_difference(a["weights_summary"], b["weights_summary"]), 1e-5);
  EXPECT_EQ(read_jsonl(run_dir + "/metrics.jsonl").size(),
            read_jsonl(b["run_dir"].get<std::string>() + "/metrics.jsonl").size());
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A rank whose peer never comes: it gives up after --dist-timeout with exit 4, no hang.
TEST(PrototypeDistributed, MissingPeerTimesOutWithExitFour) {
  TempDir dir;
  const std::string f =
      dir.write("p.yaml", "prototype:\n  data: {dataset: synthetic, samples: 32, size: 8}\n");
  const std::string port = std::to_string(free_port());
  const RunResult r =
      run_rlab({"prototype", f, "--out", dir.path() + "/runs", "--dist-timeout", "2"},
               {"WORLD_SIZE=2", "RANK=0", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port});
  EXPECT_EQ(r.code, 4) << r.err;
  const std::string prefix = "rlab: error: distributed training: rank 0 of 2: ";
  EXPECT_EQ(r.err.rfind(prefix, 0), 0U) << r.err;
  EXPECT_NE(r.err.find("within 2 s"), std::string::npos) << r.err;
}

std::string environ_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  std::replace(s.begin(), s.end(), '\0', '\n');
  return "\n" + s;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  if (DIR* d = ::opendir("/proc")) {
    while (const dirent* e = ::readdir(d)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0) continue;
      std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
      std::string stat;
      std::getline(in, stat);
      const auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(stat.substr(close + 2));
      char state = 0;
      pid_t ppid = 0;
      rest >> state >> ppid;
      if (ppid == parent) out.push_back(pid);
    }
    ::closedir(d);
  }
  return out;
}

// `--nproc 2`; rank 1 is killed (SIGKILL) while training: rank 0 stops with a clear error in
// seconds (its next all-reduce fails), the launcher names the dead rank, exit 4.
TEST(PrototypeDistributed, RankThatDiesStopsTheOthers) {
  TempDir dir;
  const std::string f =
      dir.write("p.yaml", small_classifier_yaml("samples: 256, size: 16",
                                                "  budget: {max_batches: 100000000}\n"
                                                "  batch_size: 16\n  log_every: 1\n"));
  const std::string runs = dir.path() + "/runs";
  const std::string err_file = dir.path() + "/stderr";
  const pid_t pid =
      start_rlab({"prototype", f, "--nproc", "2", "--out", runs, "--dist-timeout", "30"}, err_file);
  ASSERT_GE(pid, 0);
  // Wait until rank 0 has logged a step, then kill rank 1.
  const std::string run_dir = wait_for_logged_step(runs);
  pid_t rank1 = -1;
  for (pid_t c : children_of(pid)) {
    if (environ_of(c).find("\nRANK=1\n") != std::string::npos) rank1 = c;
  }
  if (run_dir.empty() || rank1 < 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    FAIL() << "training did not start: " << read_file(err_file);
  }
  ::kill(rank1, SIGKILL);
  // The launcher must end on its own; 120 s is a guard against a hang, not a timing assertion.
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 2400 && done == 0; ++i) {
    done = ::waitpid(pid, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (done == 0) {
    for (pid_t c : children_of(pid)) ::kill(c, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    FAIL() << "the surviving rank hung";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4);
  const std::string err = read_file(err_file);
  EXPECT_NE(err.find("rlab: error: distributed training: rank 0 of 2: all-reduce failed "
                     "(another rank died, was stopped, or did not answer within 30 s): "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("rlab: error: --nproc: rank 1 (pid " + std::to_string(rank1) +
                     ") was killed by signal 9 (Killed)"),
            std::string::npos)
      << err;
  EXPECT_NE(read_file(run_dir + "/record.yaml").find("\"status\": \"failed\""), std::string::npos);
}

// ---- the progress bar: drawn on a terminal only --------------------------------------------

TEST(PrototypeProgress, DrawnOnATerminalOnly) {
  TempDir dir;
  const std::string f = dir.write("p.yaml", small_classifier_yaml("samples: 64, size: 8",
                                                                  "  budget: {max_batches: 7}\n"
                                                                  "  batch_size: 16\n"));
  const std::string runs = dir.path() + "/runs";
  int fd = -1;
  const pid_t pid = ::forkpty(&fd, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("NO_COLOR", "1", 1);
    ::execl(RLAB_BINARY, RLAB_BINARY, "prototype", f.c_str(), "--out", runs.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string out;
  for (int idle = 0; idle < 600;) {  // until the child closes the terminal (60 s guard)
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) == 0) {
      ++idle;
      continue;
    }
    char buf[4096];
    const ssize_t k = ::read(fd, buf, sizeof buf);
    if (k <= 0) break;
    out.append(buf, static_cast<std::size_t>(k));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fd);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  // The last redraw: a full bar at step 7 of 7, loss, throughput and ETA on one line.
  EXPECT_NE(out.find("\r[########################] step 7/7  loss "), std::string::npos) << out;
  EXPECT_NE(out.find(" img/s  ETA 0s"), std::string::npos) << out;

  // Not a terminal: no bar at all.
  const RunResult plain = run_rlab({"prototype", f, "--out", runs});
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(plain.err.find("step 7/7"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find('\r'), std::string::npos) << plain.err;
}

}  // namespace
}  // namespace rlab::test
