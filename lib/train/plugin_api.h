// The C ABI between the rlab binary and the training core plugin (librlab_train_core.so).
// Plain C types only, so the binary never sees a torch header. Bump kRlabTrainAbi on any
// change to the struct below; the facade refuses a plugin with another number.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

enum { kRlabTrainAbi = 1 };

struct RlabTrainApi {
  int abi;                                   // == kRlabTrainAbi
  const char* (*torch_version)(void);        // e.g. "1.13.1"
  int (*cuda_built)(void);                   // 1 when libtorch has CUDA support
  int (*cuda_device_count)(void);            // devices visible now
  const char* (*cuda_device_name)(int index);  // valid until the next call
};

// The one symbol the facade looks up.
const struct RlabTrainApi* rlab_train_api(void);

#ifdef __cplusplus
}
#endif
