// The C ABI between the rlab binary and the training core plugin (librlab_train_core.so).
// Plain C types only, so the binary never sees a torch header. Bump kRlabTrainAbi on any
// change to the structs below; the facade refuses a plugin with another number.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

enum { kRlabTrainAbi = 3 };

// One data split: `count` images of channels x height x width bytes (0-255, row-major, NCHW)
// and `count` labels (class index, or -1 when the data has none). Owned by the caller.
struct RlabTrainSplit {
  const unsigned char* images;
  const int* labels;
  long long count;
};

struct RlabTrainData {
  int channels;
  int height;
  int width;
  int classes;  // 0 when the data has no labels
  struct RlabTrainSplit train;
  struct RlabTrainSplit validation;  // count 0: none
  struct RlabTrainSplit test;        // count 0: none
};

// Events from a training run. `event` receives one JSON object per call (UTF-8, valid only
// during the call): a TrainEvent of include/rlab/train.h as rlab/train_json.h writes it.
// `cancel` is polled once per step: non-zero asks the run to save a checkpoint and return with
// status "interrupted".
struct RlabTrainCallbacks {
  void* user;
  void (*event)(void* user, const char* json);
  const volatile int* cancel;
};

struct RlabTrainApi {
  int abi;                                     // == kRlabTrainAbi
  const char* (*torch_version)(void);          // e.g. "1.13.1"
  int (*cuda_built)(void);                     // 1 when libtorch has CUDA support
  int (*cuda_device_count)(void);              // devices visible now
  const char* (*cuda_device_name)(int index);  // valid until the next call
  // Runs one training job described by `config_json` (a TrainConfig of include/rlab/train.h as
  // rlab/train_json.h writes it) on `data`. Returns a JSON object that
  // the caller frees with free_string: the result, or {"error": {"kind": "input" |
  // "environment" | "internal", "message": "..."}}. Never throws.
  char* (*train)(const char* config_json, const struct RlabTrainData* data,
                 const struct RlabTrainCallbacks* callbacks);
  void (*free_string)(char* text);
};

// The one symbol the facade looks up.
const struct RlabTrainApi* rlab_train_api(void);

#ifdef __cplusplus
}
#endif
