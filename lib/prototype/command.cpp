// `rlab prototype`: the CLI (config + data -> training core -> experiment record). The work
// is in run.cpp (training and report) and sbatch.cpp (--emit-sbatch).
#include "rlab/cli_checks.h"
#include "rlab/commands.h"

#include <CLI/CLI.hpp>

#include <climits>
#include <cstdlib>
#include <memory>

#include "command_parts.h"
#include "launch.h"

namespace rlab {

namespace {

using prototype_cmd::environment_map;
using prototype_cmd::Options;

ExitCode prototype_main(const Options& o, Context& ctx) {
  if (o.nproc > 0 && std::getenv("WORLD_SIZE") != nullptr) {
    throw UsageError("--nproc " + std::to_string(o.nproc) +
                     ": WORLD_SIZE=" + std::getenv("WORLD_SIZE") +
                     " is set, so this process is already one rank of a distributed run; use "
                     "--nproc or torchrun's variables, not both");
  }
  if (o.nproc > 1 && o.emit_sbatch.empty()) {
    return prototype::launch_local(prototype::without_nproc(ctx.argv), o.nproc, o.dist_timeout + 15,
                                   ctx);
  }
  const prototype::Distributed dist = prototype::parse_distributed(environment_map());
  if (dist.rank == 0) return prototype_cmd::run_prototype(o, ctx, dist);
  // Another rank: the same inputs as rank 0, which reports any problem with them.
  try {
    return prototype_cmd::run_prototype(o, ctx, dist);
  } catch (const InputError&) {
    return ExitCode::kInvalidInput;
  } catch (const UsageError&) {
    return ExitCode::kUsage;
  }
}

}  // namespace

Command prototype_command() {
  return {
      "prototype", "train a small model on real data to test a hypothesis; record the experiment",
      [](CLI::App& app, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        app.add_option("file", o->file, "Config (prototype: section or an experiment file)");
        app.add_option("--max-batches", o->max_batches, "Stop after N training steps")
            ->check(cli::whole<long long>(1, LLONG_MAX / 4));
        app.add_option("--epochs", o->epochs, "Train N passes over the training split")
            ->check(cli::whole<long long>(1, 1000000));
        app.add_option("--minutes", o->minutes, "Wall-clock budget in minutes")
            ->check(cli::positive(1e7));
        app.add_option("--profile", o->profile,
                       "Budget when none is given: quick (50 batches) or full (5 epochs)")
            ->check(cli::one_of({"quick", "full"}));
        app.add_option("--device", o->device, "auto, cpu, cuda or cuda:N")
            ->check(cli::values({"auto", "cpu", "cuda", "cuda:0"}));
        app.add_flag("--amp", o->amp, "bf16 autocast (CUDA only)");
        app.add_flag("--diagnose", o->diagnose,
                     "Per-layer gradient norms and activation statistics");
        app.add_option("--hypothesis", o->hypothesis, "What this run should show (recorded)");
        app.add_option("--expect", o->expect,
                       "Expected result, e.g. \"psnr>=20\"; exit 1 when not met");
        app.add_option("--resume", o->resume, "Continue the run in this folder (runs/<id>)")
            ->type_name("DIR");
        app.add_option("--out", o->out, "Folder for run records (default runs)")->type_name("DIR");
        app.add_option("--seed", o->seed, "Seed for initialisation, split and shuffling")
            ->check(cli::whole<long long>(0));
        app.add_option("--threads", o->threads, "CPU threads for libtorch (0: its default)")
            ->check(cli::whole<int>(0, 1024));
        app.add_option("--stop-at-step", o->stop_at_step,
                       "Stop after step N as if interrupted (checkpoint, exit 130)")
            ->check(cli::whole<long long>(0));
        app.add_option("--nproc", o->nproc,
                       "Data-parallel training: start N ranks on this host (Gloo on CPU)")
            ->check(cli::whole<int>(1, 1024));
        app.add_option("--dist-timeout", o->dist_timeout,
                       "Seconds a rank waits for the others before it gives up (default 180)")
            ->check(cli::real(1, 86400));
        app.add_option("--emit-sbatch", o->emit_sbatch,
                       "Write a Slurm array job over the seeds to FILE and exit")
            ->type_name("FILE");
        return [o, &ctx]() { return prototype_main(*o, ctx); };
      },
      &prototype_config_section};
}

}  // namespace rlab
