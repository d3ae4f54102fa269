// The Slurm executor of `rlab bayesopt`: one job array per batch of trials.
//
// Each array task runs one trial's argv (from a `case` on SLURM_ARRAY_TASK_ID in the job
// script, every word single-quoted: no value is ever parsed by a shell) and writes its exit
// status to trial-N.rc, so results come back even where Slurm accounting (sacct) is off.
#include "slurm.h"

#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/process.h"
#include "rlab/slurm.h"
#include "rlab/text.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace rlab::bayesopt {

namespace {

using Clock = std::chrono::steady_clock;

struct Captured {
  bool started = false;
  std::string start_error;
  int code = -1;
  std::string out;
  std::string err;
};

// Runs a Slurm client command (argv, PATH lookup) in a process group of its own, so a terminal's
// Ctrl-C reaches rlab only; stdout and stderr captured; killed after `timeout_s`.
Captured capture(const std::vector<std::string>& args, double timeout_s) {
  RunOptions o;
  o.timeout_s = timeout_s;
  o.kill_after_s = 0;
  const ProcessResult r = run_process(args, o);
  Captured c;
  c.started = r.started;
  c.start_error = r.start_error;
  c.out = r.out;
  c.err = r.err;
  if (!c.started) return c;
  c.code = r.timed_out ? -1 : (r.signal != 0 ? 128 + r.signal : r.exit_code);
  if (r.timed_out) c.err += "(killed after " + format_number(timeout_s, 3) + " s)";
  return c;
}

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& ch : s) {
    if (ch == '\n') ch = ' ';
  }
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

std::string quote(const std::string& w) {
  std::string q = "'";
  for (char ch : w) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

std::string read_if_exists(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  constexpr std::size_t kCap = 1 << 20;
  if (s.size() > kCap) s = s.substr(s.size() - kCap);
  return s;
}

[[noreturn]] void cannot_run(const std::string& tool, const Captured& c, const std::string& why) {
  EnvironmentError e("--executor slurm: " + tool + " " + why);
  if (!c.started) {
    e.add_note("is Slurm installed and its client commands (sbatch, squeue, scancel) on PATH?");
  }
  throw e;
}

std::string task_time(const SlurmSettings& s, double timeout_s) {
  if (!s.time.empty()) return s.time;
  if (timeout_s <= 0) return "";
  return std::to_string(static_cast<long long>(std::ceil(timeout_s / 60.0)));
}

std::string job_script(const std::vector<std::vector<std::string>>& jobs, const SlurmSettings& s,
                       double timeout_s, const std::string& dir, long long first_trial) {
  std::string o = "#!/bin/bash\n";
  o += "# rlab bayesopt trials " + std::to_string(first_trial) + ".." +
       std::to_string(first_trial + static_cast<long long>(jobs.size()) - 1) +
       ": array task N runs trial " + std::to_string(first_trial) + " + N.\n";
  o += sbatch_directives({{"job-name", "rlab-bayesopt"},
                          {"output", dir + "/trial-%a.out"},
                          {"error", dir + "/trial-%a.err"},
                          {"chdir", absolute_path(".")},
                          {"time", task_time(s, timeout_s)},
                          {"ntasks", "1"},
                          {"cpus-per-task", std::to_string(s.cpus_per_task)},
                          {"gres", s.gpus > 0 ? "gpu:" + std::to_string(s.gpus) : ""},
                          {"mem", s.mem},
                          {"partition", s.partition},
                          {"account", s.account},
                          {"qos", s.qos}},
                         s.extra);
  for (const auto& line : s.setup) o += line + "\n";
  o += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    o += "  " + std::to_string(i) + ") set --";
    for (const auto& w : jobs[i]) o += " " + quote(w);
    o += " ;;\n";
  }
  o += "  *) echo \"rlab: no trial for array task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\n";
  o += "esac\n";
  o += "\"$@\"\n";
  o += "rc=$?\n";
  o += "rcfile=" + quote(dir) + "/trial-$SLURM_ARRAY_TASK_ID.rc\n";
  o += "echo \"$rc $SECONDS\" > \"$rcfile.tmp\" && mv \"$rcfile.tmp\" \"$rcfile\"\n";
  o += "exit \"$rc\"\n";
  return o;
}

// sacct's view of the array's tasks (state per task index), where accounting is on.
std::map<long long, std::string> sacct_states(const std::string& job_id) {
  std::map<long long, std::string> states;
  const Captured c = capture({"sacct", "-n", "-P", "-X", "-j", job_id, "--format=JobID,State"}, 30);
  if (!c.started || c.code != 0) return states;
  std::istringstream in(c.out);
  for (std::string line; std::getline(in, line);) {
    const auto bar = line.find('|');
    const auto us = line.find('_');
    if (bar == std::string::npos || us == std::string::npos || us > bar) continue;
    const std::string idx = line.substr(us + 1, bar - us - 1);
    if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos) continue;
    states[std::stoll(idx)] = line.substr(bar + 1);
  }
  return states;
}

}  // namespace

namespace {

// A word sbatch takes as it is: no blanks, no quotes.
void check_word(const ConfigNode& n) {
  const std::string v = n.as_string();
  if (v.empty() || v.find_first_of(" \t\n'\"") != std::string::npos)
    n.fail("'slurm." + n.name() + "' must be one word without quotes");
}

// One line per entry; `extra` entries are sbatch options.
void check_lines(const ConfigNode& l) {
  const std::string k = l.name();
  if (!l.is_sequence()) l.fail("'slurm." + k + "' must be a list of strings");
  for (const ConfigNode& x : l.items()) {
    const std::string line = x.as_string();
    if (line.find('\n') != std::string::npos) x.fail("one line per entry, please");
    if (k == "extra" && line.rfind("--", 0) != 0)
      x.fail("'slurm.extra' entries are sbatch options starting with --, got '" + line + "'");
  }
}

config::Key word(const char* name, const char* help, const char* example = "") {
  config::Key k = config::text(name, help, example);
  k.check = check_word;
  return k;
}

}  // namespace

std::vector<config::Key> executor_keys() {
  using namespace config;  // NOLINT(google-build-using-namespace): a table of builders
  Key time = text("time",
                  "--time of a trial: minutes or [D-]HH:MM:SS (default: the objective's "
                  "timeout, rounded up to minutes)");
  time.check = [](const ConfigNode& n) {
    const std::string t = n.as_string();
    if (t.empty() || t.find_first_not_of("0123456789:-") != std::string::npos)
      n.fail("'slurm.time' must be minutes or [D-]HH:MM:SS, got '" + t + "'");
  };
  Key slurm =
      map("slurm",
          {
              word("partition", "--partition"),
              word("account", "--account"),
              word("qos", "--qos"),
              word("mem", "--mem of a trial, e.g. 16G"),
              time,
              integer("cpus_per_task", 1, 1024, "--cpus-per-task (default 1)", "1"),
              integer("gpus", 0, 64, "--gres=gpu:N (default 0)", "0"),
              integer("max_parallel", 0, 100000,
                      "array tasks running at once (0 = as Slurm decides)", "0"),
              number("poll", 0.05, 3600, "seconds between squeue calls (default 2)", "2"),
              text("workdir", "job scripts and the trials' output files (default .rlab-slurm)",
                   ".rlab-slurm"),
              any("extra", "more sbatch options, e.g. [--constraint=a100]", "", check_lines),
              any("setup", "shell lines run before the objective, e.g. [module load cuda]", "",
                  check_lines),
          },
          "the resources of every trial's array task (with executor: slurm)");
  slurm.check = [](const ConfigNode& c) {
    if (!c.is_map()) c.fail("'slurm' must be a map, got " + c.kind());
    for (const char* k : {"extra", "setup"}) {
      if (c.has(k) && c[k].is_null()) check_lines(c[k]);  // an empty list is written []
    }
  };
  return {
      choice("executor", {"local", "slurm"},
             "where trials run: here, or as Slurm job arrays (default local)", "local"),
      slurm,
  };
}

std::optional<SlurmSettings> read_slurm_settings(const ConfigNode& section) {
  std::string executor = "local";
  if (section.has("executor")) executor = section["executor"].as_string();
  SlurmSettings s;
  if (section.has("slurm") && !section["slurm"].is_null()) {
    const ConfigNode c = section["slurm"];
    auto read = [&c](const char* k, std::string& into) {
      if (c.has(k)) into = c[k].as_string();
    };
    read("partition", s.partition);
    read("account", s.account);
    read("qos", s.qos);
    read("mem", s.mem);
    read("time", s.time);
    read("workdir", s.workdir);
    if (c.has("cpus_per_task")) s.cpus_per_task = static_cast<int>(c["cpus_per_task"].as_int());
    if (c.has("gpus")) s.gpus = static_cast<int>(c["gpus"].as_int());
    if (c.has("max_parallel")) s.max_parallel = static_cast<int>(c["max_parallel"].as_int());
    if (c.has("poll")) s.poll_s = c["poll"].as_double();
    for (const ConfigNode& x : c["extra"].items()) s.extra.push_back(x.as_string());
    for (const ConfigNode& x : c["setup"].items()) s.setup.push_back(x.as_string());
  }
  if (executor == "local") return std::nullopt;
  return s;
}

void select_executor(std::optional<SlurmSettings>& settings, const std::string& executor,
                     const std::string& objective_type) {
  if (executor == "local") {
    settings.reset();
    return;
  }
  if (!settings) settings = SlurmSettings{};
  if (objective_type == "builtin") {
    throw UsageError(
        "--executor slurm runs command objectives; a builtin objective is evaluated inside "
        "rlab");
  }
}

std::vector<ProcessResult> run_slurm(const std::vector<std::vector<std::string>>& jobs,
                                     const SlurmSettings& s, double timeout_s,
                                     long long first_trial) {
  std::vector<ProcessResult> results(jobs.size());
  if (jobs.empty()) return results;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
  const std::string dir = absolute_path(s.workdir) + "/trials-" + std::to_string(first_trial) +
                          "-" + stamp + "-" + std::to_string(::getpid());
  make_dirs(dir);
  const std::string script = dir + "/job.sh";
  write_file_atomic(script, job_script(jobs, s, timeout_s, dir, first_trial));

  const SignalGuard guard(SignalGuard::Mode::kRecord);
  std::string array = "--array=0-" + std::to_string(jobs.size() - 1);
  if (s.max_parallel > 0) array += "%" + std::to_string(s.max_parallel);
  const auto t0 = Clock::now();
  const Captured sub = capture({"sbatch", "--parsable", array, script}, 120);
  if (!sub.started) cannot_run("sbatch", sub, "cannot run: " + sub.start_error);
  if (sub.code != 0) {
    cannot_run("sbatch", sub,
               "refused the job (exit " + std::to_string(sub.code) + "): " +
                   one_line(sub.err.empty() ? sub.out : sub.err) + " (script: " + script + ")");
  }
  std::string job_id;
  for (char ch : sub.out) {
    if (ch < '0' || ch > '9') break;
    job_id += ch;
  }
  if (job_id.empty()) {
    cannot_run("sbatch", sub, "printed no job id: " + one_line(sub.out + sub.err));
  }

  // Follow the array until no task is left in the queue.
  int failures = 0;
  for (;;) {
    if (SignalGuard::signal() != 0) {
      const Captured c = capture({"scancel", job_id}, 60);
      InterruptedError e("interrupted: cancelled Slurm job array " + job_id +
                         (c.started && c.code == 0
                              ? std::string(" (scancel)")
                              : " (scancel failed: " + one_line(c.start_error + c.err) + ")"));
      e.add_note("the trials finished before are in the study; run the same command to continue");
      throw e;
    }
    const Captured q = capture({"squeue", "-h", "-j", job_id, "-o", "%i %T"}, 60);
    if (!q.started) cannot_run("squeue", q, "cannot run: " + q.start_error);
    if (q.code == 0) {
      failures = 0;
      if (q.out.find_first_not_of(" \n") == std::string::npos) break;
    } else if (q.err.find("Invalid job id") != std::string::npos) {
      break;  // the array has left the controller's memory: it is done
    } else if (++failures >= 5) {
      cannot_run(
          "squeue", q,
          "failed 5 times in a row (exit " + std::to_string(q.code) + "): " + one_line(q.err));
    }
    const auto wait_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(s.poll_s));
    while (Clock::now() < wait_until && SignalGuard::signal() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();

  std::map<long long, std::string> states;
  bool asked_sacct = false;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    ProcessResult& r = results[i];
    const std::string base = dir + "/trial-" + std::to_string(i);
    r.started = true;
    r.out = read_if_exists(base + ".out");
    r.err = read_if_exists(base + ".err");
    if (path_exists(base + ".rc")) {
      std::istringstream rc(read_if_exists(base + ".rc"));
      rc >> r.exit_code >> r.seconds;
      if (r.exit_code > 128 && r.exit_code < 160) {
        r.signal = r.exit_code - 128;  // bash reports a signalled child as 128 + signal
      }
      continue;
    }
    // The task never wrote its status: Slurm ended it (time limit, cancelled, node failure).
    if (!asked_sacct) {
      states = sacct_states(job_id);
      asked_sacct = true;
    }
    const auto it = states.find(static_cast<long long>(i));
    const std::string state = it != states.end() ? it->second : "";
    r.seconds = wall;
    if (state.rfind("TIMEOUT", 0) == 0) {
      r.timed_out = true;
    } else {
      r.exit_code = -1;
    }
    r.err += (r.err.empty() || r.err.back() == '\n' ? "" : "\n") + std::string("slurm: task ") +
             job_id + "_" + std::to_string(i) + " ended without an exit status" +
             (state.empty() ? " (sacct has no state for it)" : " (state " + state + ")");
  }
  return results;
}

std::string shell_word(const std::string& w) { return quote(w); }

}  // namespace rlab::bayesopt
