// Internal to `rlab bayesopt`'s adapter: the job (space, objective, settings), the options every
// subcommand shares and the pieces they reuse. command.cpp declares the CLI; job.cpp reads the
// config and the study's meta; objective.cpp evaluates points; search.cpp runs the search and
// the workers of a shared storage; ask_tell.cpp holds `ask` and `tell`; report.cpp renders.
#pragma once

#include "rlab/bayesopt.h"
#include "rlab/context.h"
#include "rlab/error.h"
#include "rlab/output.h"
#include "rlab/study_storage.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slurm.h"
#include "storage_jsonl.h"

namespace rlab::bayesopt_cmd {

namespace bo = bayesopt;
using bo::file_exists;
using bo::trial_json;
using Trial = bo::TrialRecord;  // one trial type for every storage
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Objective {
  std::string type;  // "builtin", "command" or "prototype"
  std::string builtin;
  // prototype: a `rlab prototype` run per trial; each space name is a dotted key of the
  // prototype section, set with --set; the value is results.metrics[metric] of its record.
  std::string proto_config;
  std::string metric;
  std::string runs;
  std::vector<std::string> proto_args;
  std::vector<std::string> argv;
  std::vector<std::string> argv_where;
  double timeout_s = 0;
  std::string json_key;  // "" = last number on stdout
  std::string config_dir = ".";
};

struct Job {
  bo::Space space;
  Objective objective;
  bo::Settings settings;
  int n_calls = 50;
  std::string n_calls_where;
  bool maximize = false;
  int jobs = 1;
  std::string study;
  std::string plots;
  std::optional<bo::SlurmSettings> slurm;  // executor: slurm
};

struct Options {
  std::string file;
  std::string builtin;
  std::optional<int> n_calls;
  std::optional<int> n_initial;
  std::string initial_design;
  std::string acq;
  std::optional<std::uint64_t> random_state;
  bool maximize = false;
  std::optional<int> jobs;
  std::optional<double> timeout;
  std::string study;
  std::string storage;
  double heartbeat_interval = 10;
  double heartbeat_timeout = 60;
  double busy_timeout = 60;
  std::string plots;
  std::string output;
  std::string executor;
  // ask / tell
  int n_ask = 1;
  std::optional<long long> ask_id;
  std::optional<double> value;
  bool failed = false;
  std::string error_text;
};

// ---------------------------------------------------------------------------------------------
// job.cpp

/// The job of a run: the config FILE (or --config) and --builtin, then the flags.
Job load_job(const Options& o, Context& ctx);
/// The meta line a new study records.
json meta_for(const Job& job);
/// The study's stored settings win over the command line, so that every worker proposes alike.
void settings_from_meta(Job& job, const json& meta, const std::string& name, Context& ctx);
/// Checks that the stored study is this job's (space, direction); exit 3 otherwise.
void check_meta(const Job& job, const json& meta, const std::string& name);

// ---------------------------------------------------------------------------------------------
// objective.cpp

/// Placeholders in an argv template: {name} for a parameter, {trial}, {config_dir}; "{{" and
/// "}}" are literal braces.
std::string expand(const std::string& tmpl, const std::map<std::string, std::string>& values,
                   const std::string& where);
/// The values of the placeholders for point `x` of trial `trial`.
std::map<std::string, std::string> placeholder_values(const bo::Space& space, const bo::Point& x,
                                                      long long trial, const Objective& obj);

/// The result of one evaluation.
struct Outcome {
  bool ok = false;
  double value = 0;
  double seconds = 0;
  std::string error;
  std::string tail;
  std::string run;  // prototype: the trial's run folder
};

/// Evaluates the objective at `xs` (trials first_trial, first_trial + 1, ...).
std::vector<Outcome> evaluate(const Job& job, const std::vector<bo::Point>& xs,
                              long long first_trial);

// ---------------------------------------------------------------------------------------------
// report.cpp

struct Report {
  const Job* job = nullptr;
  std::vector<Trial> trials;
  std::optional<std::size_t> best;
  double overhead_per_call = 0;
  std::vector<std::string> plots;
  int resumed = 0;
  std::string storage;  // a shared storage as shown (no password); "" for a study file
  int lost = 0;         // trials failed because their worker was lost
};

/// A parameter value as a table cell.
std::string param_cell(const json& v);
/// Writes `text` to -o FILE (atomically) or stdout.
void emit(const std::string& text, const Options& o, Context& ctx);
/// Best trial, plots and the rendered report (shared by the study-file run and the workers).
ExitCode finish_report(Report& rep, const bo::Optimizer& opt, const Options& o, Context& ctx);

// ---------------------------------------------------------------------------------------------
// search.cpp

/// `rlab bayesopt`: the search (a study file) or a worker (a shared storage).
ExitCode run_search(const Options& o, Context& ctx);
/// host:pid, the worker's name in a shared storage.
std::string worker_id();
/// Proposes new points from the trials of a study (finished ones told, running ones pending);
/// `exhausted` (optional) is set when a finite space has no point left to propose.
bo::Proposer proposer_for(const Job& job, const std::string& name, bool* exhausted = nullptr);

// ---------------------------------------------------------------------------------------------
// ask_tell.cpp

ExitCode run_ask(const Options& o, Context& ctx);
ExitCode run_tell(const Options& o, Context& ctx);

}  // namespace rlab::bayesopt_cmd
