// `rlab bayesopt --executor slurm` against STAND-IN Slurm clients: small shell scripts named
// sbatch/squeue/scancel on PATH that run the array tasks locally or stay pending. They test what
// rlab sends and how it follows and collects; the real Slurm run is scripts/test-slurm.sh.
#include "rlab/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;

class FakeSlurm : public ::testing::Test {
 protected:
  TempDir dir;
  std::string bin() const { return dir.path() + "/bin"; }
  void tool(const std::string& name, const std::string& body) {
    ::mkdir(bin().c_str(), 0755);
    const std::string p = bin() + "/" + name;
    std::ofstream(p) << "#!/bin/bash\n" << body;
    ::chmod(p.c_str(), 0755);
  }
  std::vector<std::string> env() const { return {"PATH=" + bin() + ":/usr/bin:/bin"}; }
  std::string config(const std::string& extra = "") {
    return dir.write("bo.yaml",
                     "bayesopt:\n"
                     "  space:\n    x: {type: real, low: -2, high: 2}\n"
                     "  objective:\n    type: command\n"
                     "    argv: [/usr/bin/python3, -c, \"import sys; x = float(sys.argv[1]); "
                     "print('x is', x); print(repr(x * x))\", \"{x}\"]\n"
                     "  n_calls: 4\n  n_initial_points: 4\n  jobs: 2\n  random_state: 3\n"
                     "  executor: slurm\n"
                     "  slurm: {workdir: " +
                         dir.path() + "/slurm, poll: 0.05, partition: short, mem: 1G}\n" + extra);
  }
};

// sbatch runs every array task at once with bash (as a node would), squeue then finds nothing
// left: the trials' values are read from the tasks' output files.
TEST_F(FakeSlurm, TrialsRunAsJobArrays) {
  tool("sbatch",
       "echo \"$@\" >> " + dir.path() +
           "/sbatch.log\n"
           "arr=${2#--array=0-}; arr=${arr%%%*}\n"
           "for i in $(seq 0 \"$arr\"); do SLURM_ARRAY_TASK_ID=$i bash \"$3\" "
           "> \"$(dirname \"$3\")/trial-$i.out\" 2> \"$(dirname \"$3\")/trial-$i.err\"; done\n"
           "echo 4242\n");
  tool("squeue", "exit 0\n");
  const RunResult r = run_rlab({"bayesopt", config(), "--format", "json"}, env());
  ASSERT_EQ(r.code, 0) << r.err;
  const json out = json::parse(r.out);
  ASSERT_EQ(out["trials"].size(), 4U);
  for (const auto& t : out["trials"]) {
    ASSERT_EQ(t["status"], "ok") << t.dump();
    const double x = t["params"]["x"];
    EXPECT_NEAR(t["value"].get<double>(), x * x, 1e-9) << t.dump();
  }
  // Two batches of two trials: two job arrays of two tasks with the resources of the template.
  const std::string log = read_file(dir.path() + "/sbatch.log");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
  EXPECT_TRUE(starts_with(log, "--parsable --array=0-1 " + dir.path() + "/slurm/trials-0-")) << log;
  std::string script;
  std::istringstream(log) >> script >> script >> script;
  const std::string text = read_file(script);
  EXPECT_NE(text.find("#SBATCH --partition=short\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#SBATCH --mem=1G\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#SBATCH --cpus-per-task=1\n"), std::string::npos) << text;
}

TEST_F(FakeSlurm, SbatchMissingIsExitFour) {
  ::mkdir(bin().c_str(), 0755);  // an empty PATH: no Slurm at all
  const RunResult r = run_rlab({"bayesopt", config()}, {"PATH=" + bin()});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err,
            "rlab: error: --executor slurm: sbatch cannot run: No such file or directory\n"
            "rlab: note: is Slurm installed and its client commands (sbatch, squeue, scancel) on "
            "PATH?\n");
}

TEST_F(FakeSlurm, SbatchRefusalIsExitFour) {
  tool("sbatch", "echo 'sbatch: error: invalid partition specified: short' >&2\nexit 1\n");
  const RunResult r = run_rlab({"bayesopt", config()}, env());
  EXPECT_EQ(r.code, 4);
  EXPECT_TRUE(starts_with(r.err,
                          "rlab: error: --executor slurm: sbatch refused the job (exit 1): sbatch: "
                          "error: invalid partition specified: short (script: "))
      << r.err;
}

TEST_F(FakeSlurm, BuiltinObjectiveIsUsageError) {
  const RunResult r = run_rlab({"bayesopt", "--builtin", "branin", "--executor", "slurm"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "rlab: error: --executor slurm runs command objectives; a builtin objective is "
            "evaluated inside rlab\n");
}

// SIGINT while the array is queued: rlab cancels it with scancel and exits 130.
TEST_F(FakeSlurm, SigintCancelsTheArray) {
  tool("sbatch", "echo 777\n");
  tool("squeue", "touch " + dir.path() + "/polled\necho '777_[0-1] PENDING'\n");
  tool("scancel", "echo \"$@\" > " + dir.path() + "/cancelled\n");
  const std::string f = config();
  const std::string err_file = dir.path() + "/stderr";
  const std::string path = "PATH=" + bin() + ":/usr/bin:/bin";
  const pid_t pid = start_rlab({"bayesopt", f}, err_file, {path});
  ASSERT_GE(pid, 0);
  for (int i = 0; i < 600 && !std::ifstream(dir.path() + "/polled").good(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_EQ(read_file(dir.path() + "/cancelled"), "777\n");
  EXPECT_TRUE(starts_with(read_file(err_file),
                          "rlab: error: interrupted: cancelled Slurm job array 777 (scancel)\n"))
      << read_file(err_file);
}

}  // namespace
}  // namespace rlab::test
