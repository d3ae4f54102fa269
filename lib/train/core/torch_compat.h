// The places where libtorch's C++ API differs between the versions the training core builds
// against: Debian's 1.13 and the current 2.x. Every version test of the core lives here, so
// the rest of lib/train/core reads the same on both (docs/prototype.md, "Building against
// libtorch 2.x", lists each one and why).
#pragma once

#include <torch/version.h>

#include <ATen/autocast_mode.h>

// 1 from libtorch 2.4 on: autocast is switched per device type (set_autocast_enabled(kCUDA, on),
// set_autocast_dtype(kCUDA, dtype)); the CUDA-only set_enabled / set_autocast_gpu_dtype of
// 1.13 are deprecated there (a warning, an error under -Werror) and may go.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define RLAB_TORCH_AUTOCAST_PER_DEVICE 1
#else
#define RLAB_TORCH_AUTOCAST_PER_DEVICE 0
#endif

namespace rlab_core {

/// Turns CUDA autocast on or off for this thread.
inline void set_cuda_autocast(bool on) {
#if RLAB_TORCH_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, on);
#else
  at::autocast::set_enabled(on);
#endif
}

/// CUDA autocast on for this thread while the guard lives; off, and its cast cache cleared,
/// when it goes (an exception in the forward pass included).
class CudaAutocastGuard {
 public:
  CudaAutocastGuard() { set_cuda_autocast(true); }
  ~CudaAutocastGuard() {
    set_cuda_autocast(false);
    at::autocast::clear_cache();
  }
  CudaAutocastGuard(const CudaAutocastGuard&) = delete;
  CudaAutocastGuard& operator=(const CudaAutocastGuard&) = delete;
};

/// The lower precision CUDA autocast casts to (the core asks for bf16).
inline void set_cuda_autocast_dtype(at::ScalarType dtype) {
#if RLAB_TORCH_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  at::autocast::set_autocast_gpu_dtype(dtype);
#endif
}

}  // namespace rlab_core
