// Facade of the training core. No torch types: the core is a plugin (librlab_train_core.so)
// loaded on demand, so commands that do not train start in milliseconds (ARCHITECTURE.md §2).
#pragma once

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

/// True once the training core has been loaded in this process (tests use it to check that
/// non-training commands never load it).
bool core_loaded();

}  // namespace rlab::train
