// Facade of the training core. No torch types: the core is a plugin (librlab_train_core.so)
// loaded on demand, so commands that do not train start in milliseconds (ARCHITECTURE.md §2).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
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

/// The model to train (`model:` of the config, resolved).
struct ModelConfig {
  std::string type = "autoencoder";     ///< autoencoder | classifier | torchscript
  std::string task = "reconstruction";  ///< reconstruction | classification
  std::vector<int> channels;            ///< Convolution channels (built-in models).
  int hidden = 0;                       ///< Hidden units of the classifier (0: not a classifier).
  std::string file;                     ///< TorchScript module (absolute path).
  std::string where;                    ///< Where `file` was named, for messages.
};

/// `optimizer:` of the config.
struct OptimizerConfig {
  std::string name = "adam";  ///< adam | adamw | sgd | layerwise-adam
  double lr = 1e-3;
  double weight_decay = 0.0;
  double momentum = 0.9;  ///< sgd
  bool nesterov = false;  ///< sgd
  double beta1 = 0.9;     ///< adam, adamw, layerwise-adam
  double beta2 = 0.999;
  double clip_grad_norm = 0.0;  ///< 0: no clipping
};

/// `schedule:` of the config: a factor on the learning rate at each step.
struct ScheduleConfig {
  std::string name = "constant";  ///< constant | cosine | step
  long long step_size = 100;      ///< step: the factor is gamma^(step / step_size)
  double gamma = 0.1;
  double min_factor = 0.0;  ///< cosine: the factor at the last step
  long long warmup_steps = 0;
};

/// `early_stopping:` of the config.
struct EarlyStoppingConfig {
  std::string metric = "val_loss";
  long long patience = 3;  ///< evaluations without improvement before stopping
  double min_delta = 0.0;
  std::string mode = "min";  ///< min | max
};

/// `checks:` of the config: thresholds of the training diagnostics.
struct ChecksConfig {
  long long no_progress_steps = 25;
  double exploding_grad_norm = 1000.0;
  double vanishing_grad_norm = 1e-7;
  double overfit_gap = 0.25;
};

/// Per-channel normalisation of the inputs (classification): x = (x - mean) / std.
struct NormalizeConfig {
  std::vector<double> mean;
  std::vector<double> std;
};

/// This process's place in a data-parallel group (torchrun's variables).
struct DistributedConfig {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;
  int master_port = 0;
  double timeout_s = 180.0;
};

/// One training job: everything the training core reads. Read from the `prototype:` section by
/// the adapter (lib/prototype/config.cpp) and carried through the plugin ABI as JSON by the one
/// mapping in rlab/train_json.h.
struct TrainConfig {
  ModelConfig model;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  std::optional<EarlyStoppingConfig> early_stopping;
  ChecksConfig checks;
  std::optional<NormalizeConfig> normalize;
  std::optional<DistributedConfig> distributed;  ///< Set only for a data-parallel run.
  std::string device = "auto";                   ///< auto | cpu | cuda | cuda:N
  bool amp = false;                              ///< bf16 autocast (CUDA only)
  int threads = 0;                               ///< libtorch CPU threads; 0: its default
  std::uint64_t seed = 0;
  bool diagnose = false;  ///< activation statistics per layer at each log step
  long long batch_size = 64;
  long long max_steps = 50;
  double minutes = 0.0;  ///< wall-clock budget; 0: none
  long long log_every = 10;
  long long eval_every = 0;        ///< 0: evaluate only at the end
  long long checkpoint_every = 0;  ///< 0: checkpoint only at the end
  long long stop_at_step = 0;      ///< > 0: save and stop as if interrupted at this step
  std::string run_dir;             ///< the checkpoint lives here
  bool resume = false;             ///< continue from run_dir's checkpoint
};

/// Events of a training run, in the order the core sends them.
/// Every step: where the run is.
struct ProgressEvent {
  long long step = 0;
  long long total = 0;
  double epoch = 0.0;
  double loss = 0.0;
  double images_per_s = 0.0;
  double eta_s = 0.0;
};

/// One layer's gradient norm and (with `diagnose`) activation statistics.
struct LayerStats {
  std::string layer;
  std::optional<double> grad_norm;  ///< absent for a TorchScript module's output
  bool has_activations = false;     ///< the act_* fields and dead_relu are set
  double act_mean = 0.0;
  double act_std = 0.0;
  double act_min = 0.0;
  double act_max = 0.0;
  std::optional<double> dead_relu;  ///< fraction of dead units; none for non-ReLU layers
};

/// Every `log_every` steps and at each evaluation: one line of metrics.jsonl.
struct MetricsEvent {
  long long step = 0;
  double epoch = 0.0;
  double lr = 0.0;
  double train_loss = 0.0;  ///< mean since the last metrics event
  double grad_norm = 0.0;
  double images_per_s = 0.0;
  double data_share = 0.0;
  double time_s = 0.0;
  std::map<std::string, double> evaluation;       ///< val_* at an evaluation step
  std::optional<std::vector<LayerStats>> layers;  ///< with `diagnose`, at log steps
};

/// A training diagnostic (each code at most once per run).
struct WarningEvent {
  std::string code;  ///< non_finite_loss, exploding_gradients, vanishing_gradients, ...
  long long step = 0;
  std::string message;
  std::vector<std::string> causes;
  std::vector<std::string> tries;  ///< "try" in JSON
};

/// A line for the log.
struct LogEvent {
  std::string message;
};

/// The run continues from a checkpoint taken at `step` (the adapter trims its metric lines).
struct ResumedEvent {
  long long step = 0;
};

using TrainEvent = std::variant<ProgressEvent, MetricsEvent, WarningEvent, LogEvent, ResumedEvent>;

/// Receives the core's events.
using TrainEventFn = std::function<void(const TrainEvent& event)>;

/// Loads the training core and runs one job. `cancel` is polled once per step; when it
/// becomes non-zero the core saves a checkpoint and returns with status "interrupted".
/// Returns the result JSON. Errors reported by the core are thrown: InputError (exit 3),
/// EnvironmentError (4), or Error with kInternal (5).
std::string run_training(const TrainConfig& config, const TrainData& data,
                         const TrainEventFn& on_event, const volatile int* cancel);

/// True once the training core has been loaded in this process (tests use it to check that
/// non-training commands never load it).
bool core_loaded();

}  // namespace rlab::train
