// Reliability and security: YAML bombs, shell injection through objective values, secrets in
// files, kill -9 and resume of bayesopt, disk full, output folders that vanish, clock jumps.
// (Sanitizer and fuzzing runs: scripts/test.sh, scripts/fuzz.sh, docs/reliability.md.)
#include "rlab/files.h"
#include "rlab/pomodoro.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/lit_server.h"
#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Every regular file under `dir`, recursively.
std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path().string());
  }
  return out;
}

// Starts rlab with `args` (and `env` added), stdout/stderr to /dev/null; returns its pid.
pid_t spawn_rlab(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> argv;
    std::string bin = RLAB_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// ---------------------------------------------------------------------------------------------
// YAML bombs: refused with exit 3 and a located message, without expanding them.

TEST(ReliabilityYaml, BillionLaughsIsRefused) {
  TempDir d;
  // 10^9 values once every alias is expanded, in ten short lines.
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  const std::string names = "abcdefghij";
  for (std::size_t i = 1; i < names.size(); ++i) {
    const std::string prev(1, names[i - 1]);
    yaml += std::string(1, names[i]) + ": &" + names[i] + " [";
    for (int k = 0; k < 10; ++k) yaml += std::string(k ? ", " : "") + "*" + prev;
    yaml += "]\n";
  }
  const std::string f = d.write("bomb.yaml", yaml);
  for (const char* cmd : {"prioritize", "cost", "bayesopt"}) {
    const RunResult r = run_inprocess({cmd, f});
    EXPECT_EQ(r.code, 3) << cmd << r.err;
    const std::string tail =
        ": the document holds more than 200000 values once its aliases are expanded; refusing "
        "it\n";
    EXPECT_EQ(r.err.rfind("rlab: error: " + f + ":", 0), 0U) << cmd << r.err;
    ASSERT_GE(r.err.size(), tail.size());
    EXPECT_EQ(r.err.substr(r.err.size() - tail.size()), tail) << cmd << r.err;
  }
}

TEST(ReliabilityYaml, DeepNestingIsRefusedWithItsLocation) {
  TempDir d;
  // The list at depth 65 (the top-level list is depth 0) opens at column 66.
  const std::string f = d.write("deep.yaml", std::string(70, '[') + std::string(70, ']') + "\n");
  RunResult r = run_inprocess({"prioritize", f});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + f + ":1:66: nested more than 64 levels deep; refusing it\n");
  // Far deeper than any parser stack should go: yaml-cpp's own guard answers first.
  const std::string g =
      d.write("deeper.yaml", "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n");
  r = run_inprocess({"prioritize", g});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err.rfind("rlab: error: " + g + ":1:", 0), 0U) << r.err.substr(0, 300);
  // A self-referencing alias is a finite document that a walker would follow forever.
  const std::string h = d.write("self.yaml", "a: &a\n  b: *a\n");
  r = run_inprocess({"prioritize", h});
  EXPECT_EQ(r.code, 3) << r.err;
}

// Found by fuzzing: a key that is a list, a map or empty used to end in "internal error".
TEST(ReliabilityYaml, KeysMustBeText) {
  TempDir d;
  const std::string f = d.write("k.yaml", "{[a]: 1}\n");
  RunResult r = run_inprocess({"prioritize", f});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + f + ":1:2: a key must be a plain value, got a list\n");
  const std::string g = d.write("g.yaml", "a:\n  ? {b: 1}\n  : 2\n");
  r = run_inprocess({"cost", g});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + g + ":2:5: a key must be a plain value, got a map\n");
  // The fuzzer's input: a JSON Lines run record whose key is an alias to a map.
  const std::string crash = slurp(source_path("tests/fuzz/corpus/validate/complex_key.jsonl"));
  const std::string jl = d.write("runs.jsonl", crash.substr(1));
  r = run_inprocess({"validate", jl, jl, "--metric", "acc:higher"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + jl + ":1:13: a key must be a plain value, got a map\n");
}

// ---------------------------------------------------------------------------------------------
// Shell injection: objective argv values reach the program as single arguments, and nothing
// else runs.

TEST(ReliabilitySecurity, ObjectiveValuesExecuteNothing) {
  TempDir d;
  const std::string canary = d.path() + "/canary";
  ::mkdir(canary.c_str(), 0755);
  const std::string log = d.path() + "/args.log";
  const std::vector<std::string> values = {"$(touch " + d.path() + "/p1)",
                                           "; touch " + d.path() + "/p2",
                                           "`touch " + d.path() + "/p3`",
                                           "| touch " + d.path() + "/p4 &&",
                                           "; rm -rf " + canary,
                                           "a' \"b\\",
                                           "line1\nline2",
                                           "{x} {trial}"};
  std::string cats;
  for (const auto& v : values) cats += std::string(cats.empty() ? "" : ", ") + json(v).dump();
  // The objective records the argument it got (NUL-terminated) and prints a number.
  const std::string f = d.write(
      "f.yaml", "bayesopt:\n  space:\n    v: [" + cats +
                    "]\n    x: {type: real, low: 0, high: 1}\n  objective:\n    type: command\n"
                    "    argv: [/bin/sh, -c, 'printf \"%s\\0\" \"$1\" >> " +
                    log + "; echo $2', sh, '{v}', '{x}']\n  n_calls: 40\n  n_initial_points: 40\n");
  const std::string s = d.path() + "/s.jsonl";
  const RunResult r = run_rlab({"bayesopt", f, "--study", s, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* p : {"p1", "p2", "p3", "p4"}) EXPECT_FALSE(exists(d.path() + "/" + p)) << p;
  EXPECT_TRUE(exists(canary));
  // What each trial's objective received, in order, is exactly the value the study records.
  std::vector<std::string> got;
  const std::string text = slurp(log);
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = text.find('\0', pos);
    got.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  const json out = json::parse(r.out);
  ASSERT_EQ(got.size(), out["trials"].size());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], out["trials"][i]["params"]["v"].get<std::string>()) << i;
    seen.insert(got[i]);
  }
  EXPECT_EQ(seen, std::set<std::string>(values.begin(), values.end()));
}

// ---------------------------------------------------------------------------------------------
// Secrets: the API keys appear in no file written, nor on stdout or stderr, also with debug
// output, API failures and cache misses.

TEST(ReliabilitySecurity, ApiKeysAppearInNoOutputAndNoFile) {
  FakeScholar s(FakeScholar::make_corpus(40));
  TempDir home;
  const std::string s2_key = "S2-K3Y-aaaa-0123456789";
  const std::string oa_key = "OA-K3Y-bbbb-9876543210";
  const std::vector<std::string> env = {"RLAB_HOME=" + home.path(),
                                        "RLAB_S2_API_BASE=" + s.s2_base(),
                                        "RLAB_OPENALEX_API_BASE=" + s.openalex_base(),
                                        "RLAB_HTTP_BACKOFF_BASE=0.01",
                                        "S2_API_KEY=" + s2_key,
                                        "OPENALEX_API_KEY=" + oa_key};
  const std::string out = home.path() + "/out";
  std::vector<RunResult> runs;
  runs.push_back(
      run_rlab({"lit-search", "--query",   "battery",    "--source", "both",         "--limit",
                "30",         "--rate",    "1000",       "--csv",    out + ".csv",   "--bibtex",
                out + ".bib", "--ris",     out + ".ris", "--jsonl",  out + ".jsonl", "--svg",
                out + ".svg", "--summary", out + ".md",  "--format", "json",         "-vv"},
               env));
  ASSERT_EQ(runs.back().code, 0) << runs.back().err;
  // Failures: the API answers 500 and then 403 (the messages name the request).
  s.fail_next("/graph/v1/paper/search", std::vector<Fault>(3, Fault{}));
  runs.push_back(
      run_rlab({"lit-search", "--query", "other", "--retries", "2", "--rate", "1000", "-vv"}, env));
  EXPECT_EQ(runs.back().code, 4);
  s.fail_next("/works", {Fault{403, R"({"error":"Forbidden"})", "application/json", {}, 0}});
  runs.push_back(run_rlab({"lit-search", "--query", "third", "--source", "openalex", "--retries",
                           "0", "--rate", "1000", "-vv"},
                          env));
  EXPECT_EQ(runs.back().code, 4);
  runs.push_back(run_rlab({"lit-search", "--query", "never", "--offline", "-vv"}, env));
  EXPECT_EQ(runs.back().code, 4);
  runs.push_back(run_rlab({"doctor", "-vv"}, env));
  // The keys were sent...
  bool sent_s2 = false;
  bool sent_oa = false;
  for (const auto& q : s.requests()) {
    auto it = q.headers.find("x-api-key");
    sent_s2 = sent_s2 || (it != q.headers.end() && it->second == s2_key);
    sent_oa = sent_oa || q.query.find(oa_key) != std::string::npos;
  }
  EXPECT_TRUE(sent_s2);
  EXPECT_TRUE(sent_oa);
  // ...and are nowhere else.
  for (const auto& r : runs) {
    for (const auto& key : {s2_key, oa_key}) {
      EXPECT_EQ(r.out.find(key), std::string::npos) << r.out;
      EXPECT_EQ(r.err.find(key), std::string::npos) << r.err;
    }
  }
  const auto files = files_under(home.path());
  EXPECT_GE(files.size(), 8U);
  for (const auto& f : files) {
    const std::string text = slurp(f);
    EXPECT_EQ(text.find(s2_key), std::string::npos) << f;
    EXPECT_EQ(text.find(oa_key), std::string::npos) << f;
  }
}

// ---------------------------------------------------------------------------------------------
// kill -9 at random moments, then resume: no finished trial lost or duplicated, the study is
// parseable after every kill (whole lines, at most a cut last line), and the resumed study is
// the uninterrupted one.

std::vector<std::string> lines_of_file(const std::string& path) {
  std::vector<std::string> out;
  const std::string text = slurp(path);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

TEST(ReliabilityCrash, BayesoptKilledAtRandomMomentsResumesToTheSameStudy) {
  TempDir d;
  const std::vector<std::string> base = {
      "bayesopt",           "--builtin", "branin",         "--n-calls", "14",
      "--n-initial-points", "4",         "--random-state", "5"};
  auto args = [&](const std::string& study) {
    std::vector<std::string> a = base;
    a.push_back("--study");
    a.push_back(study);
    return a;
  };
  const std::string whole = d.path() + "/whole.jsonl";
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(run_rlab(args(whole)).code, 0);
  const double full_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const auto want = lines_of_file(whole);
  ASSERT_EQ(want.size(), 15U);

  int kills = 0;
  for (unsigned seed = 1; seed <= 4; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> when(0.0, full_ms);
    const std::string study = d.path() + "/s" + std::to_string(seed) + ".jsonl";
    for (int attempt = 0; attempt < 3; ++attempt) {
      const pid_t pid = spawn_rlab(args(study));
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(when(rng) * 1000)));
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (WIFSIGNALED(status)) ++kills;
      // Parseable: every line but a cut last one is a whole JSON object, trials in order.
      const auto lines = lines_of_file(study);
      const std::string text = slurp(study);
      long long next = 0;
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const bool last_cut = i + 1 == lines.size() && !text.empty() && text.back() != '\n';
        const json j = json::parse(lines[i], nullptr, false);
        if (last_cut && j.is_discarded()) break;
        ASSERT_FALSE(j.is_discarded()) << "seed " << seed << " line " << i + 1 << ": " << lines[i];
        if (i == 0) {
          EXPECT_TRUE(j.contains("meta"));
        } else {
          EXPECT_EQ(j["trial"], next++);
          const json w = json::parse(want[i]);
          for (const char* k : {"trial", "params", "value", "status"})
            EXPECT_EQ(j[k], w[k]) << "seed " << seed << " line " << i + 1 << " " << k;
        }
      }
    }
    const RunResult r = run_rlab(args(study));
    ASSERT_EQ(r.code, 0) << r.err;
    const auto got = lines_of_file(study);
    ASSERT_EQ(got.size(), want.size()) << "seed " << seed;
    for (std::size_t i = 1; i < got.size(); ++i) {
      const json a = json::parse(want[i]);
      const json b = json::parse(got[i]);
      EXPECT_EQ(a["trial"], b["trial"]);
      EXPECT_EQ(a["params"], b["params"]) << "seed " << seed << " trial " << i - 1;
      EXPECT_EQ(a["value"], b["value"]) << "seed " << seed << " trial " << i - 1;
    }
  }
  EXPECT_GE(kills, 1);
}

// ---------------------------------------------------------------------------------------------
// Faults: disk full, output folder removed mid-run.

// A 64 KiB tmpfs when this process may mount one (root in a container that allows it).
class SmallDisk {
 public:
  SmallDisk() {
    ::mkdir(path_.c_str(), 0755);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=64k") == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount(path_.c_str());
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  TempDir base_;
  std::string path_ = base_.path() + "/disk";
  bool mounted_ = false;
};

TEST(ReliabilityFaults, DiskFullLeavesTheOldFileWhole) {
  SmallDisk disk;
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)";
  // An atomic write that does not fit: a clear error, the previous file untouched, no temp file.
  const std::string out = disk.path() + "/prio.csv";
  const std::string cfg = source_path("configs/examples/prioritize.yaml");
  RunResult r = run_rlab({"prioritize", cfg, "--format", "csv", "-o", out});
  if (r.code == 2) GTEST_SKIP() << "prioritize has no -o: " << r.err;
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string before = slurp(out);
  {
    std::ofstream fill(disk.path() + "/fill", std::ios::binary);
    const std::string block(1024, 'x');
    while (fill.write(block.data(), block.size()) && fill.flush()) {
    }
  }
  r = run_rlab({"prioritize", cfg, "--format", "json", "-o", out});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(
      r.err.rfind("rlab: error: " + out + ": cannot write: write: No space left on device", 0), 0U)
      << r.err;
  EXPECT_EQ(slurp(out), before);
  EXPECT_EQ(list_dir(disk.path()), (std::vector<std::string>{"fill", "prio.csv"}));
}

TEST(ReliabilityFaults, DiskFullWhileAppendingTrialsIsAnErrorNotALoss) {
  // /dev/full answers every write with ENOSPC, on any machine.
  TempDir d;
  const std::string study = d.path() + "/s.jsonl";
  ASSERT_EQ(::symlink("/dev/full", study.c_str()), 0);
  const RunResult r = run_rlab({"bayesopt", "--builtin", "branin", "--n-calls", "3",
                                "--n-initial-points", "3", "--study", study});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("rlab: error: " + study), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
}

TEST(ReliabilityFaults, StudyFolderRemovedMidRunIsAnError) {
  TempDir d;
  const std::string dir = d.path() + "/out";
  ::mkdir(dir.c_str(), 0755);
  // The objective removes the study's folder during trial 2.
  const std::string f = d.write(
      "f.yaml",
      "bayesopt:\n  space:\n    x: {type: real, low: 0, high: 1}\n  objective:\n    type: command\n"
      "    argv: [/bin/sh, -c, 'if [ $1 = 2 ]; then rm -rf " +
          dir + "; fi; echo $2', sh, '{trial}', '{x}']\n  n_calls: 6\n  n_initial_points: 6\n");
  const std::string study = dir + "/s.jsonl";
  const RunResult r = run_rlab({"bayesopt", f, "--study", study});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("rlab: error: " + study), std::string::npos) << r.err;
}

TEST(ReliabilityFaults, EndlessInputIsRefused) {
  // A device that never ends is an input error, not a hang (a pipe stops at 1 GiB).
  const RunResult r = run_rlab({"prioritize", "/dev/zero"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: /dev/zero: cannot read: is a device, not a file\n");
}

// ---------------------------------------------------------------------------------------------
// Clock jumps: the pomodoro state holds absolute times; a clock that goes backwards or leaps
// forwards gives a clear answer and never a corrupt or negative history entry.

TEST(ReliabilityClock, PomodoroClockJumpsKeepTheHistoryValid) {
  TempDir home;
  auto env = [&](const std::string& now) {
    return std::vector<std::string>{"RLAB_HOME=" + home.path(), "RLAB_NOW=" + now,
                                    "TZ=Europe/Berlin"};
  };
  const std::string history = home.path() + "/data/pomodoro/history";
  ASSERT_EQ(run_rlab({"pomodoro", "start", "--task", "a"}, env("2025-03-03T09:00:00+01:00")).code,
            0);
  // The clock went back an hour (NTP correction, manual change): status shows the session as
  // not begun, and `finish` records it with no time worked and not completed, never a negative
  // length.
  RunResult r =
      run_rlab({"pomodoro", "status", "--format", "json"}, env("2025-03-03T08:00:00+01:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["elapsed_s"], 0) << r.out;
  EXPECT_EQ(json::parse(r.out)["remaining_s"], 25 * 60) << r.out;
  r = run_rlab({"pomodoro", "finish"}, env("2025-03-03T08:00:00+01:00"));
  EXPECT_EQ(r.code, 0) << r.err;
  // Leap forwards by a year: the next session counts its planned length, not a year.
  ASSERT_EQ(run_rlab({"pomodoro", "start", "--task", "b"}, env("2025-03-03T10:00:00+01:00")).code,
            0);
  r = run_rlab({"pomodoro", "finish"}, env("2026-03-03T10:00:00+01:00"));
  EXPECT_EQ(r.code, 0) << r.err;
  const auto sessions = pomodoro::parse_history(slurp(history), history);
  ASSERT_EQ(sessions.size(), 2U);
  EXPECT_EQ(sessions[0].description, "a");
  EXPECT_EQ(sessions[0].seconds, 0);
  EXPECT_FALSE(sessions[0].completed);
  EXPECT_EQ(sessions[1].description, "b");
  EXPECT_EQ(sessions[1].seconds, 25 * 60);
  EXPECT_TRUE(sessions[1].completed);
  // The state file is gone and `status` answers from a clean state.
  r = run_rlab({"pomodoro", "status", "--format", "json"}, env("2026-03-03T10:00:01+01:00"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["state"], "idle") << r.out;
}

}  // namespace
}  // namespace rlab::test
