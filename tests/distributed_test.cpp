// `rlab prototype` beyond one process, without training: torchrun's variables, --nproc
// misuse, and the Slurm job script of --emit-sbatch (its text, `bash -n`, and what it runs).
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/prototype.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <fstream>

#include "support/run.h"

namespace rlab::test {
namespace {

namespace pt = rlab::prototype;
using nlohmann::json;

std::string input_error(const std::map<std::string, std::string>& env) {
  try {
    (void)pt::parse_distributed(env);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(DistributedEnv, OneProcessWithoutVariables) {
  const pt::Distributed d = pt::parse_distributed({});
  EXPECT_FALSE(d.active());
  EXPECT_EQ(d.rank, 0);
  EXPECT_EQ(d.world_size, 1);
  EXPECT_FALSE(pt::parse_distributed({{"WORLD_SIZE", "1"}, {"RANK", "0"}}).active());
}

TEST(DistributedEnv, TorchrunVariables) {
  const pt::Distributed d = pt::parse_distributed({{"WORLD_SIZE", "4"},
                                                   {"RANK", "3"},
                                                   {"LOCAL_RANK", "1"},
                                                   {"MASTER_ADDR", "node7"},
                                                   {"MASTER_PORT", "29500"}});
  EXPECT_TRUE(d.active());
  EXPECT_EQ(d.rank, 3);
  EXPECT_EQ(d.world_size, 4);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.master_addr, "node7");
  EXPECT_EQ(d.master_port, 29500);
}

TEST(DistributedEnv, BadValuesNameTheVariable) {
  const std::map<std::string, std::string> ok = {
      {"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};
  auto with = [&ok](const std::string& k, const std::string& v) {
    auto e = ok;
    e[k] = v;
    return e;
  };
  auto without = [&ok](const std::string& k) {
    auto e = ok;
    e.erase(k);
    return e;
  };
  EXPECT_EQ(input_error(with("WORLD_SIZE", "abc")),
            "WORLD_SIZE=abc: must be a whole number from 1 to 65536 (the ranks)");
  EXPECT_EQ(input_error(with("WORLD_SIZE", "0")),
            "WORLD_SIZE=0: must be a whole number from 1 to 65536 (the ranks)");
  EXPECT_EQ(input_error(with("WORLD_SIZE", "-2")),
            "WORLD_SIZE=-2: must be a whole number from 1 to 65536 (the ranks)");
  EXPECT_EQ(input_error(with("RANK", "2")),
            "RANK=2: must be a whole number from 0 to 1 (WORLD_SIZE=2)");
  EXPECT_EQ(input_error(with("RANK", "")),
            "RANK='': must be a whole number from 0 to 1 (WORLD_SIZE=2)");
  EXPECT_EQ(input_error(without("RANK")), "WORLD_SIZE=2: needs RANK (0..1) for this process");
  EXPECT_EQ(input_error({{"RANK", "1"}}),
            "RANK=1: set without WORLD_SIZE (set both, as torchrun does, or neither)");
  EXPECT_EQ(input_error(without("MASTER_ADDR")),
            "WORLD_SIZE=2: needs MASTER_ADDR (the host of rank 0) and MASTER_PORT");
  EXPECT_EQ(input_error(without("MASTER_PORT")),
            "WORLD_SIZE=2: needs MASTER_PORT (a free TCP port on 127.0.0.1)");
  EXPECT_EQ(input_error(with("MASTER_PORT", "70000")),
            "MASTER_PORT=70000: must be a TCP port from 1 to 65535");
  EXPECT_EQ(input_error(with("LOCAL_RANK", "x")), "LOCAL_RANK=x: must be a whole number >= 0");
}

// The command line: exit 3 for bad variables, exit 2 for --nproc misuse; all before libtorch.
TEST(DistributedEnv, CommandLineExitCodes) {
  TempDir dir;
  const std::string f =
      dir.write("p.yaml", "prototype:\n  data: {dataset: synthetic, samples: 32, size: 8}\n");
  const std::string runs = dir.path() + "/runs";
  RunResult r = run_rlab({"prototype", f, "--out", runs}, {"WORLD_SIZE=two", "RANK=0"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err,
            "rlab: error: WORLD_SIZE=two: must be a whole number from 1 to 65536 (the ranks)\n");
  r = run_rlab({"prototype", f, "--out", runs},
               {"WORLD_SIZE=2", "RANK=5", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29500"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: RANK=5: must be a whole number from 0 to 1 (WORLD_SIZE=2)\n");
  r = run_rlab({"prototype", f, "--out", runs, "--set", "batch_size=1"},
               {"WORLD_SIZE=2", "RANK=0", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29500"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + f +
                       ": batch_size 1 cannot be split across 2 ranks (the batch is global: each "
                       "rank takes batch_size / WORLD_SIZE)\n");
  r = run_rlab({"prototype", f, "--nproc", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("rlab: error: --nproc: ", 0), 0U) << r.err;
  r = run_rlab({"prototype", f, "--nproc", "2"}, {"WORLD_SIZE=2", "RANK=0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "rlab: error: --nproc 2: WORLD_SIZE=2 is set, so this process is already one rank of "
            "a distributed run; use --nproc or torchrun's variables, not both\n");
  EXPECT_TRUE(list_dir(runs).empty());  // nothing was started
}

// ---- Slurm job script ------------------------------------------------------------------------

TEST(Sbatch, CompactRangesAndQuoting) {
  EXPECT_EQ(pt::compact_ranges({3, 0, 1, 2, 7, 9, 10, 2}), "0-3,7,9-10");
  EXPECT_EQ(pt::compact_ranges({42}), "42");
  EXPECT_EQ(pt::shell_quote("plain/path-1.yaml"), "plain/path-1.yaml");
  EXPECT_EQ(pt::shell_quote("it's a test"), "'it'\\''s a test'");
  EXPECT_EQ(pt::shell_quote(""), "''");
  EXPECT_EQ(pt::shell_quote("$HOME"), "'$HOME'");
}

int bash(const std::string& script_args, const std::vector<std::string>& env, std::string* out) {
  const RunResult r = run_program({"/bin/bash", "-c", script_args}, env);
  *out = r.out + r.err;
  return r.code;
}

class SbatchFile : public ::testing::Test {
 protected:
  TempDir dir;
  std::string config() {
    return dir.write("exp.yaml",
                     "experiment: {name: fmnist ae, seeds: 3}\n"
                     "prototype:\n"
                     "  data: {dataset: synthetic, samples: 32, size: 8}\n"
                     "  budget: {max_batches: 5}\n"
                     "  slurm:\n"
                     "    partition: gpu\n"
                     "    account: lab42\n"
                     "    gpus: 1\n"
                     "    mem: 16G\n"
                     "    cpus_per_task: 6\n"
                     "    setup: [\"echo setup runs first\"]\n"
                     "    extra: [\"--constraint=a100\"]\n");
  }
};

TEST_F(SbatchFile, ArrayOverSeedsWithResources) {
  const std::string f = config();
  const std::string job = dir.path() + "/job.sh";
  const RunResult r = run_rlab({"prototype", f, "--emit-sbatch", job, "--hypothesis", "it's fine",
                                "--minutes", "20", "--out", "results"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + job +
                       ": a Slurm array of 3 task(s), seeds 0-2; submit with: sbatch " + job +
                       "\n");
  const std::string text = read_file(job);
  for (const std::string line :
       {"#!/bin/bash\n", "#SBATCH --job-name=fmnist-ae\n", "#SBATCH --array=0-2\n",
        "#SBATCH --time=00:30:00\n", "#SBATCH --nodes=1\n", "#SBATCH --ntasks-per-node=1\n",
        "#SBATCH --cpus-per-task=6\n", "#SBATCH --gres=gpu:1\n", "#SBATCH --mem=16G\n",
        "#SBATCH --partition=gpu\n", "#SBATCH --account=lab42\n",
        "#SBATCH --output=slurm-%A_%a.out\n", "#SBATCH --constraint=a100\n",
        "echo setup runs first\n",
        "exec \"$RLAB\" prototype \"${ARGS[@]}\" --seed \"$SLURM_ARRAY_TASK_ID\"\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(text.find("srun"), std::string::npos);  // one task per array element
  struct stat st {};
  ASSERT_EQ(::stat(job.c_str(), &st), 0);
  EXPECT_NE(st.st_mode & S_IXUSR, 0U);
  std::string out;
  EXPECT_EQ(bash("bash -n " + job, {}, &out), 0) << out;

  // What an array task runs: a stand-in for rlab prints its arguments, one per line.
  const std::string fake =
      dir.write("fake-rlab", "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
  ::chmod(fake.c_str(), 0755);
  ASSERT_EQ(bash("bash " + job, {"RLAB=" + fake, "SLURM_ARRAY_TASK_ID=2"}, &out), 0) << out;
  EXPECT_EQ(out.rfind("setup runs first\nprototype\n" + f +
                          "\n--minutes\n20\n--hypothesis\nit's fine\n--out\n",
                      0),
            0U)
      << out;
  EXPECT_EQ(out.substr(out.size() - 9), "--seed\n2\n") << out;
}

TEST_F(SbatchFile, TaskRunsTheSameCommandWithItsSeed) {
  const std::string f = dir.write("p.yaml",
                                  "prototype:\n  data: {dataset: synthetic, samples: 32, size: 8}\n"
                                  "  slurm: {seeds: [1, 7, 8]}\n");
  const std::string job = dir.path() + "/job.sh";
  const RunResult r = run_rlab({"prototype", f, "--emit-sbatch", job, "--hypothesis", "it's fine",
                                "--set", "batch_size=8", "--out", "results"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = read_file(job);
  EXPECT_NE(text.find("#SBATCH --array=1,7-8\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#SBATCH --time=01:00:00\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("--gres"), std::string::npos) << text;
  const std::string fake =
      dir.write("fake-rlab", "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
  ::chmod(fake.c_str(), 0755);
  std::string out;
  ASSERT_EQ(bash("bash " + job, {"RLAB=" + fake, "SLURM_ARRAY_TASK_ID=7"}, &out), 0) << out;
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(out, "prototype\n" + f + "\n--set\nbatch_size=8\n--hypothesis\nit's fine\n--out\n" +
                     std::string(cwd) + "/results\n--seed\n7\n");
}

// gpus: 4 -> four ranks per node under srun, with torchrun's variables from Slurm's.
TEST_F(SbatchFile, MultiGpuStartsOneRankPerGpu) {
  const std::string f = dir.write("p.yaml",
                                  "prototype:\n  data: {dataset: synthetic, samples: 32, size: 8}\n"
                                  "  device: cuda\n  slurm: {gpus: 2, nodes: 1}\n");
  const std::string job = dir.path() + "/job.sh";
  ASSERT_EQ(run_rlab({"prototype", f, "--emit-sbatch", job}).code, 0);
  const std::string text = read_file(job);
  EXPECT_NE(text.find("#SBATCH --ntasks-per-node=2\n#SBATCH --cpus-per-task=4\n#SBATCH "
                      "--gres=gpu:2\n"),
            std::string::npos)
      << text;
  // Stand-ins: srun starts the command once per task with Slurm's task variables; scontrol
  // names the first node; the rank prints its variables.
  const std::string bin = dir.path() + "/bin";
  ::mkdir(bin.c_str(), 0755);
  std::ofstream(bin + "/srun") << "#!/bin/bash\nwhile [[ $1 == --* ]]; do shift; done\n"
                                  "for i in 0 1; do SLURM_PROCID=$i SLURM_LOCALID=$i \"$@\"; "
                                  "done\n";
  // A large allocation: many names after the first, so a job script that closes the pipe early
  // would meet SIGPIPE (exit 141 under pipefail).
  std::ofstream(bin + "/scontrol") << "#!/bin/sh\necho node01\necho node02\n"
                                      "seq -f 'node%06g' 3 200000\n";
  ::chmod((bin + "/srun").c_str(), 0755);
  ::chmod((bin + "/scontrol").c_str(), 0755);
  const std::string fake = dir.write(
      "fake-rlab",
      "#!/bin/bash\necho \"$RANK/$WORLD_SIZE local $LOCAL_RANK at $MASTER_ADDR:$MASTER_PORT: "
      "$1 ${*: -2}\"\n");
  ::chmod(fake.c_str(), 0755);
  std::string out;
  ASSERT_EQ(bash("bash " + job,
                 {"PATH=" + bin + ":/usr/bin:/bin", "RLAB=" + fake, "SLURM_ARRAY_TASK_ID=3",
                  "SLURM_JOB_ID=1234", "SLURM_NTASKS=2", "SLURM_JOB_NODELIST=node[01-02]"},
                 &out),
            0)
      << out;
  EXPECT_EQ(out,
            "0/2 local 0 at node01:21234: prototype --seed 3\n"
            "1/2 local 1 at node01:21234: prototype --seed 3\n");
}

TEST_F(SbatchFile, BadSlurmSection) {
  const std::string f = dir.write("p.yaml", "prototype:\n  slurm:\n    time: 2 hours\n");
  const RunResult r = run_rlab({"prototype", f, "--emit-sbatch", dir.path() + "/job.sh"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: " + f +
                       ":3:11: 'slurm.time' must be minutes or [D-]HH:MM:SS, got '2 hours'\n");
  const std::string g = dir.write("q.yaml", "prototype:\n  slurm: {gpu: 1}\n");
  const RunResult q = run_rlab({"prototype", g, "--emit-sbatch", dir.path() + "/job.sh"});
  EXPECT_EQ(q.code, 3);
  EXPECT_NE(q.err.find("gpu"), std::string::npos) << q.err;
}

}  // namespace
}  // namespace rlab::test
