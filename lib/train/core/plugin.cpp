// The training core's entry point: the only translation units that include torch headers live
// in lib/train/core/ and are linked into librlab_train_core.so.
#include <torch/torch.h>

#include <string>

#include "../plugin_api.h"

#if __has_include(<ATen/cuda/CUDAContext.h>) && __has_include(<cuda_runtime_api.h>)
#include <ATen/cuda/CUDAContext.h>
#define RLAB_TORCH_HAS_CUDA 1
#endif

// Defined in trainer.cpp.
extern "C" char* rlab_core_train(const char* config_json, const RlabTrainData* data,
                                 const RlabTrainCallbacks* callbacks);
extern "C" void rlab_core_free(char* text);

namespace {

const char* torch_version() { return TORCH_VERSION; }

int cuda_built() {
#ifdef RLAB_TORCH_HAS_CUDA
  return 1;
#else
  return 0;
#endif
}

int cuda_device_count() {
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
}

const char* cuda_device_name(int index) {
  thread_local std::string name;
#ifdef RLAB_TORCH_HAS_CUDA
  name = at::cuda::getDeviceProperties(index)->name;
#else
  // A CPU build of libtorch reports no devices, so this is never asked for.
  name = "cuda:" + std::to_string(index);
#endif
  return name.c_str();
}

const RlabTrainApi kApi = {kRlabTrainAbi,    torch_version,   cuda_built,    cuda_device_count,
                           cuda_device_name, rlab_core_train, rlab_core_free};

}  // namespace

extern "C" __attribute__((visibility("default"))) const RlabTrainApi* rlab_train_api() {
  return &kApi;
}
