// The typed training config of a `rlab prototype` run (train_config.h).
#include "train_config.h"

#include "rlab/error.h"
#include "rlab/train_json.h"

namespace rlab::prototype {

train::TrainConfig train_config(const nlohmann::json& cfg, const RunPlan& plan,
                                const std::string& where) {
  nlohmann::json trainer_keys = cfg;
  for (const char* adapter_key : {"data", "budget"}) trainer_keys.erase(adapter_key);
  train::TrainConfig c;
  try {
    c = train::config_from_json(trainer_keys);
  } catch (const train::SchemaError& e) {
    throw InputError(where + ": " + e.what());
  }
  c.max_steps = plan.max_steps;
  c.minutes = plan.minutes;
  c.eval_every = plan.eval_every;
  c.normalize = plan.normalize;
  c.run_dir = plan.run_dir;
  c.resume = plan.resume;
  c.stop_at_step = plan.stop_at_step;
  if (plan.distributed.active()) {
    const Distributed& d = plan.distributed;
    c.distributed = train::DistributedConfig{d.rank,        d.world_size,  d.local_rank,
                                             d.master_addr, d.master_port, plan.dist_timeout_s};
  }
  return c;
}

}  // namespace rlab::prototype
