// The training core's shared declarations: the models' interface, optimisers and schedules, the
// run state a checkpoint holds, and the Trainer whose steps are spread over trainer.cpp (the
// loop), models.cpp, checkpoint.cpp and metrics.cpp (evaluation and diagnostics).
#pragma once

#include "rlab/train.h"
#include "rlab/train_json.h"

#include <nlohmann/json.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../plugin_api.h"
#include "distributed.h"

namespace rlab_core {

using json = nlohmann::json;
using rlab::train::TrainConfig;
using Clock = std::chrono::steady_clock;
using Named = std::vector<std::pair<std::string, torch::Tensor>>;

struct CoreError {
  std::string kind;
  std::string message;
};

[[noreturn]] void fail(const std::string& kind, const std::string& message);

// A number for messages: 4 significant digits.
std::string num(double v);

std::string first_line(const std::string& s);

// ---------------------------------------------------------------------------------------------
// Models

struct ActStat {
  std::string name;
  double mean = 0, std = 0, min = 0, max = 0;
  double dead = -1;  // fraction of units never positive over the batch (ReLU layers only)
};

class Net {
 public:
  virtual ~Net() = default;
  virtual torch::Tensor forward(const torch::Tensor& x, std::vector<ActStat>* stats) = 0;
  virtual Named parameters() = 0;
  virtual Named buffers() = 0;
  virtual void train_mode(bool on) = 0;
  virtual void to(const torch::Device& device) = 0;
  double compression_ratio = 0;  // input elements / latent elements (autoencoders)
  std::vector<long long> latent_shape;
};

std::unique_ptr<Net> make_net(const rlab::train::ModelConfig& m, const RlabTrainData& d);

// Layer of a parameter: its name without the last component ("enc0.weight" -> "enc0").
std::string layer_of(const std::string& name);

// ---------------------------------------------------------------------------------------------
// Optimisers and schedules

struct Optim {
  std::unique_ptr<torch::optim::Optimizer> opt;
  std::vector<double> base_lr;  // per param group
  std::vector<int> group_depth;
};

Optim make_optimizer(const rlab::train::OptimizerConfig& o, Net& net);

double schedule_factor(const rlab::train::ScheduleConfig& s, long long step, long long total);

// ---------------------------------------------------------------------------------------------
// Run state (everything a checkpoint must hold besides weights and optimiser buffers)

struct State {
  long long step = 0;
  double elapsed_s = 0;
  double log_loss_sum = 0;
  long long log_loss_count = 0;
  std::vector<double> first_losses;  // the first few losses, for the no-progress check
  std::vector<double> recent_losses;
  double best = 0;
  bool has_best = false;
  long long best_step = 0;
  long long bad_evals = 0;
  double last_train_loss = 0;
  std::vector<std::string> warned;
  json to_json() const {
    return {{"step", step},
            {"elapsed_s", elapsed_s},
            {"log_loss_sum", log_loss_sum},
            {"log_loss_count", log_loss_count},
            {"first_losses", first_losses},
            {"recent_losses", recent_losses},
            {"best", best},
            {"has_best", has_best},
            {"best_step", best_step},
            {"bad_evals", bad_evals},
            {"last_train_loss", last_train_loss},
            {"warned", warned}};
  }
  void from_json(const json& j) {
    step = j.at("step");
    elapsed_s = j.at("elapsed_s");
    log_loss_sum = j.at("log_loss_sum");
    log_loss_count = j.at("log_loss_count");
    first_losses = j.at("first_losses").get<std::vector<double>>();
    recent_losses = j.at("recent_losses").get<std::vector<double>>();
    best = j.at("best");
    has_best = j.at("has_best");
    best_step = j.at("best_step");
    bad_evals = j.at("bad_evals");
    last_train_loss = j.at("last_train_loss");
    warned = j.at("warned").get<std::vector<std::string>>();
  }
};

// Deterministic permutation of [0, n) for one epoch (xorshift-based, seeded by seed and epoch),
// so a resumed run sees exactly the batches an uninterrupted one would.
std::vector<int64_t> permutation(long long n, unsigned long long seed, long long epoch);

// FNV-1a digest of the weights, for bit-exact comparisons.
std::string digest(Net& net);

// Per parameter: element count, sum, L2 norm and a projection on a fixed pseudo-random +-1
// vector. Continuous in the weights, so two runs can be compared within a tolerance (the
// digest above is for bit-exact comparisons).
json weights_summary(Net& net);

// ---------------------------------------------------------------------------------------------
// The trainer

struct SplitTensors {
  torch::Tensor x;  // uint8 NCHW on the device
  torch::Tensor y;  // int64 on the device (undefined without labels)
  long long n = 0;
};

using Evaluation = std::map<std::string, double>;
using Layers = std::vector<rlab::train::LayerStats>;

// The state of one call of Trainer::run() that a checkpoint does not hold.
struct Loop {
  Clock::time_point t_start;
  SplitTensors train, val, test;
  std::string ckpt;   // the checkpoint file
  long long spe = 1;  // steps per epoch
  std::string status = "completed";
  json result;  // grows into the result
  double prior_elapsed = 0;
  long long start_step = 0;
  long long cur_epoch = -1;
  torch::Tensor perm;  // this epoch's order of the training images
  double data_s = 0;
  double step_s = 0;
  long long images_this_run = 0;
  double last_grad_norm = 0;
  Clock::time_point last_log;
  long long images_since_log = 0;
  std::optional<Layers> last_layers;
};

class Trainer {
 public:
  Trainer(TrainConfig cfg, const RlabTrainData& data, const RlabTrainCallbacks* cb)
      : cfg_(std::move(cfg)), data_(data), cb_(cb) {}

  json run();

 private:
  void emit(const rlab::train::TrainEvent& e) const {
    if (cb_ != nullptr && cb_->event != nullptr)
      cb_->event(cb_->user, rlab::train::to_json(e).dump().c_str());
  }
  void warn(const std::string& code, const std::string& message,
            const std::vector<std::string>& causes, const std::vector<std::string>& tries) {
    if (std::find(st_.warned.begin(), st_.warned.end(), code) != st_.warned.end()) return;
    st_.warned.push_back(code);
    const rlab::train::WarningEvent w{code, st_.step, message, causes, tries};
    emit(w);
    warnings_.push_back(rlab::train::warning_json(w));
  }
  [[nodiscard]] bool cancel_asked() const {
    return cb_ != nullptr && cb_->cancel != nullptr && *cb_->cancel != 0;
  }
  SplitTensors upload(const RlabTrainSplit& s) const;
  torch::Tensor prepare(const torch::Tensor& raw) const;
  torch::Tensor loss_of(const torch::Tensor& out, const torch::Tensor& x,
                        const torch::Tensor& y) const;
  Evaluation evaluate(const SplitTensors& s, const std::string& prefix);
  Layers layer_grads() const;
  void save_checkpoint(const std::string& path);
  void load_checkpoint(const std::string& path);
  torch::Tensor forward(const torch::Tensor& x, std::vector<ActStat>* stats);
  void join_group();
  struct Synced {
    double loss = 0;
    bool cancel = false;
    bool time_over = false;
  };
  Synced sync_gradients(double weight, double local_loss, bool cancel, bool time_over);
  // The steps of run().
  void select_device();
  void build_model();
  void start(Loop& loop);
  bool train_step(Loop& loop);
  void check_output(const torch::Tensor& out, const torch::Tensor& x);
  void report_divergence(Loop& loop, double loss_v, long long epoch, long long pos);
  double gradient_norm();
  Layers layer_report(const std::vector<ActStat>& stats, double loss_v);
  void track_loss(double loss_v);
  void log_metrics(Loop& loop, bool log_step, bool eval_step, double loss_v, Layers layers,
                   double elapsed_total);
  bool early_stop_check(const Evaluation& v);
  json finish(Loop& loop);

  TrainConfig cfg_;
  const RlabTrainData& data_;
  const RlabTrainCallbacks* cb_;
  torch::Device device_{torch::kCPU};
  bool classification_ = false;
  bool amp_ = false;
  std::unique_ptr<Net> net_;
  Optim optim_;
  State st_;
  json warnings_ = json::array();
  torch::Tensor mean_, std_;
  bool checked_output_ = false;
  std::unique_ptr<Comm> comm_;  // data-parallel group; null in a single process
  int rank_ = 0;
  int world_ = 1;
};

}  // namespace rlab_core
