// The training core's config of one `rlab prototype` run: the resolved `prototype` config (as
// the record keeps it) plus what the run decides (budget in steps, normalisation, run folder).
#pragma once

#include "rlab/prototype.h"
#include "rlab/train.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace rlab::prototype {

/// What a run adds to its resolved config before training.
struct RunPlan {
  long long max_steps = 0;
  double minutes = 0.0;      ///< 0: no time budget
  long long eval_every = 0;  ///< after defaults (an epoch with a full profile or early stopping)
  std::optional<train::NormalizeConfig> normalize;
  std::string run_dir;
  bool resume = false;
  long long stop_at_step = 0;
  Distributed distributed;  ///< world_size 1: a single process
  double dist_timeout_s = 180.0;
};

/// The typed config of the training core. `cfg` is the resolved config (the record's `config`,
/// also read back from a record to resume); its trainer keys are read through the same mapping
/// as the plugin ABI's JSON (rlab/train_json.h), its `data` and `budget` stay with the adapter.
/// Throws InputError naming `where` when a value does not fit (an edited record).
train::TrainConfig train_config(const nlohmann::json& cfg, const RunPlan& plan,
                                const std::string& where);

}  // namespace rlab::prototype
