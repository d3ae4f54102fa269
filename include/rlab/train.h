// Facade of the training core. No torch types: the core is a plugin (librlab_train_core.so)
// loaded on demand, so commands that do not train start in milliseconds (ARCHITECTURE.md §2).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rlab::train {

/// What the loaded training core reports about libtorch and devices.
struct CoreInfo {
  std::string plugin_path;           ///< The shared module that was loaded.
  std::string torch_version;         ///< e.g. "1.13.1".
  bool cuda_built = false;           ///< libtorch was built with CUDA.
  int cuda_device_count = 0;         ///< CUDA devices visible now (0 on CPU builds).
  std::vector<std::string> devices;  ///< Names of the CUDA devices.
};

/// Loads the training core (once per process) and returns its report. Search order:
/// $RLAB_TRAIN_CORE, then librlab_train_core.so beside the executable, then
/// ../lib/rlab/ relative to it. Throws EnvironmentError (exit 4) naming every path tried and
/// the loader's message when none loads.
CoreInfo core_info();

/// One split of image data handed to the training core: `count` images of
/// channels x height x width bytes (NCHW) and one label each (or none).
struct TrainSplit {
  const std::uint8_t* images = nullptr;
  const std::int32_t* labels = nullptr;  ///< nullptr when the data has no labels.
  long long count = 0;
};

/// The data of a training run. The bytes must stay alive during run_training().
struct TrainData {
  int channels = 0;
  int height = 0;
  int width = 0;
  int classes = 0;  ///< 0 without labels.
  TrainSplit train;
  TrainSplit validation;
  TrainSplit test;
};

/// Receives the core's events, one JSON object per call (see lib/train/core/trainer.cpp).
using TrainEventFn = std::function<void(const std::string& json)>;

/// Loads the training core and runs one job described by `config_json` (the resolved
/// `prototype` config; schema in docs/prototype.md). `cancel` is polled once per step; when it
/// becomes non-zero the core saves a checkpoint and returns with status "interrupted".
/// Returns the result JSON. Errors reported by the core are thrown: InputError (exit 3),
/// EnvironmentError (4), or Error with kInternal (5).
std::string run_training(const std::string& config_json, const TrainData& data,
                         const TrainEventFn& on_event, const volatile int* cancel);

/// True once the training core has been loaded in this process (tests use it to check that
/// non-training commands never load it).
bool core_loaded();

}  // namespace rlab::train
