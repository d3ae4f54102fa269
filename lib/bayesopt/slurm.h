// `rlab bayesopt --executor slurm`: each batch of trials is one Slurm job array (sbatch),
// followed with squeue (and sacct where accounting is on), collected from the tasks' output
// files, cancelled with scancel on SIGINT/SIGTERM.
#pragma once

#include "rlab/config.h"
#include "rlab/config_schema.h"

#include <optional>
#include <string>
#include <vector>

#include "process.h"

namespace rlab::bayesopt {

/// The resource template of every trial's array task (`slurm:` in the bayesopt section).
struct SlurmSettings {
  std::string partition;
  std::string account;
  std::string qos;
  std::string time;  ///< --time; "" = from objective.timeout (rounded up to minutes), else none
  std::string mem;
  int cpus_per_task = 1;
  int gpus = 0;                         ///< --gres=gpu:N
  int max_parallel = 0;                 ///< --array=...%N; 0 = Slurm decides
  std::vector<std::string> extra;       ///< More sbatch options ("--constraint=a100").
  std::vector<std::string> setup;       ///< Shell lines run before the objective.
  std::string workdir = ".rlab-slurm";  ///< Job scripts and the tasks' output files.
  double poll_s = 2;                    ///< Seconds between squeue calls.
};

/// The keys this executor reads from a bayesopt section ("executor", "slurm"), declared.
std::vector<config::Key> executor_keys();

/// Reads `executor: local|slurm` and the `slurm:` map of a bayesopt section that
/// config::check passed against executor_keys(). Returns the settings when the executor is
/// slurm, nullopt for local (the default).
std::optional<SlurmSettings> read_slurm_settings(const ConfigNode& section);

/// --executor on the command line: "slurm" (keeping the section's settings, if any) or "local".
/// Throws UsageError for a builtin objective with slurm (those run inside rlab).
void select_executor(std::optional<SlurmSettings>& settings, const std::string& executor,
                     const std::string& objective_type);

/// Runs every argv as one task of a Slurm job array and waits for all of them. Results in the
/// order of `jobs`, like run_processes. Throws EnvironmentError (exit 4) when sbatch cannot be
/// run or refuses the job, or squeue keeps failing; InterruptedError (exit 130) after
/// cancelling the array with scancel when SIGINT/SIGTERM arrives.
std::vector<ProcessResult> run_slurm(const std::vector<std::vector<std::string>>& jobs,
                                     const SlurmSettings& settings, double timeout_s,
                                     long long first_trial);

/// `w` in single quotes for a POSIX shell (a quote inside as '\\''), as in the job scripts.
std::string shell_word(const std::string& w);

}  // namespace rlab::bayesopt
