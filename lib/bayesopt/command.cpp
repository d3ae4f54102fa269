// `rlab bayesopt`: YAML space + objective -> Optimizer ask/tell loop -> study file, report,
// SVG plots. Also `rlab bayesopt ask` / `tell` on a study file for trials that run elsewhere.
#include "rlab/cli_checks.h"
#include "rlab/commands.h"
#include "rlab/error.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "command_parts.h"

namespace rlab {

namespace {

using bayesopt_cmd::Options;

void add_storage_options(CLI::App& app, Options& o) {
  app.add_option("--storage", o.storage,
                 "Study storage: a JSON Lines FILE (one process), sqlite:///PATH (processes on "
                 "one machine) or postgresql://USER:PASSWORD@HOST:PORT/DB (many machines)")
      ->type_name("URL");
  app.add_option("--busy-timeout", o.busy_timeout,
                 "Seconds to wait for a storage another process holds locked (default 60)")
      ->type_name("S")
      ->check(cli::non_negative(1e6));
}

void add_search_options(CLI::App& app, Options& o) {
  app.add_option("file", o.file, "Config (YAML): space and objective")->type_name("FILE");
  app.add_option("--builtin", o.builtin,
                 "Built-in test function instead of the config's objective: branin, hartmann6, "
                 "ackley5, rosenbrock4, mixed4")
      ->type_name("NAME")
      ->check(cli::values({"branin", "hartmann6", "ackley5", "rosenbrock4", "mixed4"}));
  app.add_option("--n-calls", o.n_calls, "Total number of objective evaluations (default 50)")
      ->type_name("N")
      ->check(cli::whole<int>(1, 100000));
  app.add_option("--n-initial-points", o.n_initial,
                 "Initial design points before the model is used (default 10)")
      ->type_name("N")
      ->check(cli::whole<int>(0, 100000));
  app.add_option("--initial-design", o.initial_design, "random (default), lhs or sobol")
      ->type_name("KIND")
      ->check(cli::one_of({"random", "lhs", "sobol"}));
  app.add_option("--acq-func", o.acq, "gp_hedge (default), EI, PI or LCB")
      ->type_name("ACQ")
      ->check(cli::one_of({"gp_hedge", "EI", "PI", "LCB"}));
  app.add_option("--random-state", o.random_state,
                 "Seed: the same seed gives the same run (default 0)")
      ->type_name("N")
      ->check(cli::whole<std::uint64_t>(0));
  app.add_flag("--maximize", o.maximize, "Maximise the objective instead of minimising it");
  app.add_option("--study", o.study,
                 "Study file (JSON Lines): one line per finished trial; an existing one is resumed")
      ->type_name("FILE");
  add_storage_options(app, o);
}

}  // namespace

Command bayesopt_command() {
  return {
      "bayesopt", "Bayesian optimisation of hyperparameters (GP, EI/PI/LCB/gp_hedge)",
      [](CLI::App& sub, Context& ctx) -> Runner {
        auto o = std::make_shared<Options>();
        add_search_options(sub, *o);
        sub.add_option("--jobs", o->jobs,
                       "Trials evaluated in parallel (constant liar batches; default 1)")
            ->type_name("N")
            ->check(cli::whole<int>(1, 256));
        sub.add_option("--timeout", o->timeout,
                       "Per-trial timeout in seconds for command objectives (0 = none)")
            ->type_name("S")
            ->check(cli::non_negative());
        sub.add_option("--heartbeat-interval", o->heartbeat_interval,
                       "Shared storage: seconds between heartbeats of a running trial (default 10)")
            ->type_name("S")
            ->check(cli::real(0.01, 1e6));
        sub.add_option("--heartbeat-timeout", o->heartbeat_timeout,
                       "Shared storage: a running trial without heartbeat for S seconds is failed "
                       "as lost and its point proposed again (default 60)")
            ->type_name("S")
            ->check(cli::real(0.02, 1e7));
        sub.add_option("--plots", o->plots,
                       "Write convergence.svg and partial_dependence.svg into DIR")
            ->type_name("DIR");
        sub.add_option("-o,--output", o->output, "Write the output to FILE (atomically)")
            ->type_name("FILE");
        sub.add_option("--executor", o->executor,
                       "local (default) or slurm: each batch of trials as a Slurm job array")
            ->check(cli::one_of({"local", "slurm"}));
        CLI::App* ask =
            sub.add_subcommand("ask", "propose the next point(s) for a trial run elsewhere");
        add_search_options(*ask, *o);
        ask->add_option("-n,--n-points", o->n_ask, "Number of points (constant liar between them)")
            ->type_name("N")
            ->check(cli::whole<int>(1, 1000));
        CLI::App* tell = sub.add_subcommand("tell", "record the result of an asked point");
        tell->add_option("--study", o->study, "Study file the ask came from")->type_name("FILE");
        add_storage_options(*tell, *o);
        tell->add_option("--ask", o->ask_id, "The ask id printed by 'rlab bayesopt ask'")
            ->type_name("ID")
            ->check(cli::whole<long long>(0))
            ->required();
        tell->add_option("--value", o->value, "Objective value")
            ->type_name("V")
            ->check(cli::real());
        tell->add_flag("--failed", o->failed, "The trial failed");
        tell->add_option("--error", o->error_text, "Why it failed (with --failed)")
            ->type_name("TEXT");
        sub.footer(
            "Examples:\n"
            "  rlab bayesopt configs/examples/bayesopt.yaml --plots out/\n"
            "  rlab bayesopt --builtin branin --n-calls 50 --random-state 0 --study branin.jsonl\n"
            "  rlab bayesopt ask space.yaml --study s.jsonl   then   rlab bayesopt tell --study "
            "s.jsonl --ask 0 --value 0.42");
        return [o, &ctx, ask, tell] {
          if (!o->storage.empty()) {
            if (!o->study.empty() && o->study != o->storage)
              throw UsageError("give either --study or --storage, not both");
            o->study = o->storage;
          }
          if (ask->parsed()) return bayesopt_cmd::run_ask(*o, ctx);
          if (tell->parsed()) return bayesopt_cmd::run_tell(*o, ctx);
          return bayesopt_cmd::run_search(*o, ctx);
        };
      },
      &bayesopt_config_section};
}

}  // namespace rlab
