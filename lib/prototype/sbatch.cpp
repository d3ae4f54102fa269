// `rlab prototype --emit-sbatch FILE`: a Slurm array job over the seeds.
#include "rlab/files.h"
#include "rlab/output.h"
#include "rlab/text.h"

#include <sys/stat.h>

#include <cctype>
#include <cmath>
#include <cstdio>

#include "command_parts.h"

namespace rlab::prototype_cmd {

namespace {

std::string job_name_of(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-'
               ? c
               : '-';
  }
  return out.empty() ? "rlab-prototype" : out;
}

}  // namespace

// --emit-sbatch FILE: a Slurm array job over the seeds running this same command.
ExitCode emit_sbatch(const Options& o, Context& ctx, const Resolved& r, const json& slurm,
                     const std::string& file) {
  if (!o.resume.empty()) throw UsageError("--emit-sbatch and --resume cannot be combined");
  const RunConfig& cfg = r.cfg;
  prototype::SbatchSpec spec;
  spec.job_name = slurm.value("job_name", job_name_of(r.name));
  if (slurm.contains("seeds")) {
    spec.seeds = slurm["seeds"].get<std::vector<long long>>();
  } else {
    spec.seeds = {o.seed ? *o.seed : static_cast<long long>(cfg.train.seed)};
  }
  const BudgetConfig& budget = cfg.budget;
  if (slurm.contains("time")) {
    spec.time = slurm["time"];
  } else if (budget.minutes) {
    // The training budget, a quarter more and 5 minutes for loading and evaluation.
    const long long m = static_cast<long long>(std::ceil(*budget.minutes * 1.25)) + 5;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:00", m / 60, m % 60);
    spec.time = buf;
  }
  spec.nodes = slurm.value("nodes", 1);
  const std::string& device = cfg.train.device;
  spec.gpus_per_node = slurm.value("gpus", device.rfind("cuda", 0) == 0 ? 1 : 0);
  spec.ranks_per_node = o.nproc;
  const int threads = cfg.train.threads;
  spec.cpus_per_task = slurm.value("cpus_per_task", threads > 0 ? threads : 4);
  spec.mem = slurm.value("mem", "");
  spec.partition = slurm.value("partition", "");
  spec.account = slurm.value("account", "");
  spec.qos = slurm.value("qos", "");
  spec.output = slurm.value("output", spec.output);
  spec.setup = slurm.value("setup", std::vector<std::string>{});
  spec.extra = slurm.value("extra", std::vector<std::string>{});
  spec.workdir = absolute_path(".");
  spec.rlab = executable_dir() + "/rlab";
  std::vector<std::string>& a = spec.arguments;
  if (!file.empty()) a.push_back(absolute_path(file));
  for (const auto& s : ctx.options.sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  auto flag = [&a](const std::string& name, const std::string& value) {
    a.push_back(name);
    a.push_back(value);
  };
  if (o.max_batches) flag("--max-batches", std::to_string(*o.max_batches));
  if (o.epochs) flag("--epochs", std::to_string(*o.epochs));
  if (o.minutes) flag("--minutes", format_number(*o.minutes, 12));
  if (!o.profile.empty()) flag("--profile", o.profile);
  if (!o.device.empty()) flag("--device", o.device);
  if (o.amp) a.push_back("--amp");
  if (o.diagnose) a.push_back("--diagnose");
  if (!o.hypothesis.empty()) flag("--hypothesis", o.hypothesis);
  if (!o.expect.empty()) flag("--expect", o.expect);
  if (o.threads) flag("--threads", std::to_string(*o.threads));
  if (o.nproc > 1) flag("--dist-timeout", format_number(o.dist_timeout, 12));
  flag("--out", absolute_path(r.out));
  const std::string text = prototype::sbatch_script(spec);
  write_file_atomic(o.emit_sbatch, text);
  ::chmod(o.emit_sbatch.c_str(), 0755);
  const std::string array = prototype::compact_ranges(spec.seeds);
  if (ctx.options.format == Format::kJson) {
    ctx.out << json{{"file", o.emit_sbatch},
                    {"array", array},
                    {"seeds", spec.seeds},
                    {"time", spec.time},
                    {"gpus_per_node", spec.gpus_per_node},
                    {"arguments", spec.arguments}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << "wrote " << o.emit_sbatch << ": a Slurm array of " << spec.seeds.size()
            << " task(s), seeds " << array << "; submit with: sbatch " << o.emit_sbatch << "\n";
  }
  return ExitCode::kSuccess;
}

}  // namespace rlab::prototype_cmd
