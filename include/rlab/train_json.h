// The one mapping between the typed training config and events (rlab/train.h) and the JSON that
// crosses the plugin ABI (lib/train/plugin_api.h). Compiled into both sides: the rlab binary
// (rlab_train) and the training core plugin (librlab_train_core.so). No torch, no lib/common.
#pragma once

#include "rlab/train.h"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace rlab::train {

/// A value that does not fit the schema: an unknown key, a value of the wrong type or out of
/// its set. The message names the key by its dotted path ("optimizer.lr").
struct SchemaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// TrainConfig <-> JSON. Every field is written; reading takes a missing key as its default and
/// throws SchemaError on unknown keys and ill-typed values.
nlohmann::json to_json(const TrainConfig& config);
TrainConfig config_from_json(const nlohmann::json& j);

/// The model part alone (a checkpoint records it to refuse a resume with another model).
nlohmann::json to_json(const ModelConfig& model);

/// Events <-> JSON objects with a "type" member ("progress", "metrics", "warning", "log",
/// "resumed"). Reading throws SchemaError as above.
nlohmann::json to_json(const TrainEvent& event);
TrainEvent event_from_json(const nlohmann::json& j);

/// One layer's statistics, as in metrics events and the result's "layers".
nlohmann::json to_json(const std::vector<LayerStats>& layers);

/// A warning as the result lists it: the event without its "type".
nlohmann::json warning_json(const WarningEvent& warning);

}  // namespace rlab::train
