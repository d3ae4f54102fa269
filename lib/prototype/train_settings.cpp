// The settings the training core gets (JSON through the C ABI of rlab::train): the resolved
// config plus what the run decided (steps, evaluation, normalisation, run folder, ranks).
#include "command_parts.h"

namespace rlab::prototype_cmd {

json build_train_json(const json& cfg, long long max_steps, long long eval_every,
                      const json& normalize, const std::string& run_dir, const json& prior,
                      const Options& o, const prototype::Distributed& dist) {
  const json& budget = cfg["budget"];
  const json& model = cfg["model"];
  json run_cfg = cfg;
  run_cfg["max_steps"] = max_steps;
  run_cfg["minutes"] = budget.value("minutes", 0.0);
  run_cfg["eval_every"] = eval_every;
  run_cfg["normalize"] = normalize;
  run_cfg["run_dir"] = run_dir;
  run_cfg["resume"] = !prior.is_null();
  run_cfg["stop_at_step"] = o.stop_at_step;
  if (dist.active()) {
    run_cfg["distributed"] = {{"rank", dist.rank},
                              {"world_size", dist.world_size},
                              {"local_rank", dist.local_rank},
                              {"master_addr", dist.master_addr},
                              {"master_port", dist.master_port},
                              {"timeout_s", o.dist_timeout}};
  }
  run_cfg["model"].erase("where");
  if (model.contains("where")) run_cfg["model"]["where"] = model["where"];
  return run_cfg;
}

}  // namespace rlab::prototype_cmd
