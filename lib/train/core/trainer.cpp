// The training loop of the core plugin: models, optimisers, schedules, evaluation, checkpoints,
// diagnostics. Reads a TrainConfig and sends typed events (rlab/train.h); both cross the plugin
// ABI (plugin_api.h) as JSON through the one mapping, rlab/train_json.h.
#include "rlab/train.h"
#include "rlab/train_json.h"

#include <nlohmann/json.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../plugin_api.h"
#include "distributed.h"
#include "torch_compat.h"

namespace rlab_core {

using json = nlohmann::json;
using rlab::train::TrainConfig;
using Clock = std::chrono::steady_clock;
using Named = std::vector<std::pair<std::string, torch::Tensor>>;

struct CoreError {
  std::string kind;
  std::string message;
};

[[noreturn]] void fail(const std::string& kind, const std::string& message) {
  throw CoreError{kind, message};
}

// A number for messages: 4 significant digits.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string first_line(const std::string& s) {
  const auto pos = s.find('\n');
  return pos == std::string::npos ? s : s.substr(0, pos);
}

// ---------------------------------------------------------------------------------------------
// Models

struct ActStat {
  std::string name;
  double mean = 0, std = 0, min = 0, max = 0;
  double dead = -1;  // fraction of units never positive over the batch (ReLU layers only)
};

void record_stat(std::vector<ActStat>* stats, const std::string& name, const torch::Tensor& a,
                 bool relu) {
  if (stats == nullptr) return;
  const torch::Tensor d = a.detach().to(torch::kFloat32);
  ActStat s;
  s.name = name;
  s.mean = d.mean().item<double>();
  s.std = d.numel() > 1 ? d.std().item<double>() : 0.0;
  s.min = d.min().item<double>();
  s.max = d.max().item<double>();
  if (relu) {
    const torch::Tensor alive = (d.reshape({d.size(0), -1}) > 0).any(0);
    s.dead = 1.0 - alive.to(torch::kFloat32).mean().item<double>();
  }
  stats->push_back(s);
}

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

Named named_of(const torch::OrderedDict<std::string, torch::Tensor>& d) {
  Named out;
  for (const auto& item : d) out.emplace_back(item.key(), item.value());
  return out;
}

// The lab's autoencoder: stride-2 3x3 convolutions (channels configurable), mirrored transposed
// convolutions, sigmoid output.
struct AutoencoderImpl : torch::nn::Module {
  std::vector<torch::nn::Conv2d> enc;
  std::vector<torch::nn::ConvTranspose2d> dec;
  AutoencoderImpl(int in_c, const std::vector<int>& ch, int h, int w) {
    std::vector<std::pair<int, int>> sizes = {{h, w}};
    int prev = in_c;
    for (std::size_t i = 0; i < ch.size(); ++i) {
      enc.push_back(register_module(
          "enc" + std::to_string(i),
          torch::nn::Conv2d(torch::nn::Conv2dOptions(prev, ch[i], 3).stride(2).padding(1))));
      prev = ch[i];
      sizes.emplace_back((sizes.back().first + 1) / 2, (sizes.back().second + 1) / 2);
    }
    for (std::size_t k = 0; k < ch.size(); ++k) {
      const std::size_t i = ch.size() - 1 - k;  // mirrors encoder layer i
      const int out_c = i == 0 ? in_c : ch[i - 1];
      const auto in_size = sizes[i + 1];
      const auto target = sizes[i];
      // Transposed conv k3 s2 p1 gives 2*in - 1 + output_padding.
      const long long oph = target.first - (2 * in_size.first - 1);
      const long long opw = target.second - (2 * in_size.second - 1);
      dec.push_back(register_module(
          "dec" + std::to_string(k),
          torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(ch[i], out_c, 3)
                                         .stride(2)
                                         .padding(1)
                                         .output_padding(std::vector<int64_t>{oph, opw}))));
    }
    latent = {ch.back(), sizes.back().first, sizes.back().second};
  }
  std::vector<long long> latent;
  torch::Tensor forward(torch::Tensor x, std::vector<ActStat>* stats) {
    for (std::size_t i = 0; i < enc.size(); ++i) {
      x = torch::relu(enc[i]->forward(x));
      record_stat(stats, "enc" + std::to_string(i), x, true);
    }
    for (std::size_t i = 0; i < dec.size(); ++i) {
      x = dec[i]->forward(x);
      if (i + 1 < dec.size()) {
        x = torch::relu(x);
        record_stat(stats, "dec" + std::to_string(i), x, true);
      } else {
        x = torch::sigmoid(x);
        record_stat(stats, "dec" + std::to_string(i), x, false);
      }
    }
    return x;
  }
};
TORCH_MODULE(Autoencoder);

// A small CNN: [conv3x3 + ReLU + maxpool2] per channel entry, then a hidden linear layer.
struct ClassifierImpl : torch::nn::Module {
  std::vector<torch::nn::Conv2d> convs;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  ClassifierImpl(int in_c, const std::vector<int>& ch, int hidden, int classes, int h, int w) {
    int prev = in_c;
    for (std::size_t i = 0; i < ch.size(); ++i) {
      convs.push_back(
          register_module("conv" + std::to_string(i),
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(prev, ch[i], 3).padding(1))));
      prev = ch[i];
      h /= 2;
      w /= 2;
    }
    if (h < 1 || w < 1) {
      fail("input", "classifier: " + std::to_string(ch.size()) +
                        " pooling stages shrink the image to nothing; use fewer channels entries");
    }
    fc1 = register_module("fc1", torch::nn::Linear(prev * h * w, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, classes));
  }
  torch::Tensor forward(torch::Tensor x, std::vector<ActStat>* stats) {
    for (std::size_t i = 0; i < convs.size(); ++i) {
      x = torch::relu(convs[i]->forward(x));
      record_stat(stats, "conv" + std::to_string(i), x, true);
      x = torch::max_pool2d(x, 2);
    }
    x = torch::relu(fc1->forward(x.flatten(1)));
    record_stat(stats, "fc1", x, true);
    x = fc2->forward(x);
    record_stat(stats, "fc2", x, false);
    return x;
  }
};
TORCH_MODULE(Classifier);

template <typename Holder>
class ModuleNet : public Net {
 public:
  explicit ModuleNet(Holder m) : m_(std::move(m)) {}
  torch::Tensor forward(const torch::Tensor& x, std::vector<ActStat>* stats) override {
    return m_->forward(x, stats);
  }
  Named parameters() override { return named_of(m_->named_parameters(true)); }
  Named buffers() override { return named_of(m_->named_buffers(true)); }
  void train_mode(bool on) override { m_->train(on); }
  void to(const torch::Device& d) override { m_->to(d); }

 private:
  Holder m_;
};

class ScriptNet : public Net {
 public:
  explicit ScriptNet(torch::jit::Module m) : m_(std::move(m)) {}
  torch::Tensor forward(const torch::Tensor& x, std::vector<ActStat>* stats) override {
    torch::jit::IValue out = m_.forward({x});
    if (!out.isTensor()) fail("input", "TorchScript module's forward must return one tensor");
    torch::Tensor t = out.toTensor();
    record_stat(stats, "output", t, false);
    return t;
  }
  Named parameters() override {
    Named out;
    for (const auto& p : m_.named_parameters(true)) out.emplace_back(p.name, p.value);
    return out;
  }
  Named buffers() override {
    Named out;
    for (const auto& b : m_.named_buffers(true)) out.emplace_back(b.name, b.value);
    return out;
  }
  void train_mode(bool on) override { m_.train(on); }
  void to(const torch::Device& d) override { m_.to(d); }

 private:
  torch::jit::Module m_;
};

std::unique_ptr<Net> make_net(const rlab::train::ModelConfig& m, const RlabTrainData& d) {
  if (m.type == "autoencoder") {
    Autoencoder ae(d.channels, m.channels, d.height, d.width);
    auto net = std::make_unique<ModuleNet<Autoencoder>>(ae);
    net->latent_shape = ae->latent;
    const double latent = static_cast<double>(ae->latent[0] * ae->latent[1] * ae->latent[2]);
    net->compression_ratio = static_cast<double>(d.channels) * d.height * d.width / latent;
    return net;
  }
  if (m.type == "classifier") {
    if (d.classes < 2) fail("input", "the classifier needs labelled data with at least 2 classes");
    Classifier c(d.channels, m.channels, m.hidden, d.classes, d.height, d.width);
    return std::make_unique<ModuleNet<Classifier>>(c);
  }
  // torchscript
  const std::string& file = m.file;
  const std::string& where = m.where.empty() ? file : m.where;
  try {
    return std::make_unique<ScriptNet>(torch::jit::load(file));
  } catch (const std::exception& e) {
    fail("input",
         where + ": cannot load TorchScript module '" + file + "': " + first_line(e.what()));
  }
}

// Layer of a parameter: its name without the last component ("enc0.weight" -> "enc0").
std::string layer_of(const std::string& name) {
  const auto pos = name.rfind('.');
  return pos == std::string::npos ? name : name.substr(0, pos);
}

// ---------------------------------------------------------------------------------------------
// Optimisers and schedules

struct Optim {
  std::unique_ptr<torch::optim::Optimizer> opt;
  std::vector<double> base_lr;  // per param group
  std::vector<int> group_depth;
};

Optim make_optimizer(const rlab::train::OptimizerConfig& o, Net& net) {
  const std::string& name = o.name;
  const double lr = o.lr;
  const double wd = o.weight_decay;
  Optim r;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (name == "layerwise-adam") {
    // The lab's variant: learning rate lr / (1 + 0.1 * depth), depth = index of the layer.
    std::vector<std::string> layers;
    std::map<std::string, std::vector<torch::Tensor>> by_layer;
    for (const auto& [n, p] : net.parameters()) {
      const std::string l = layer_of(n);
      if (by_layer.count(l) == 0) layers.push_back(l);
      by_layer[l].push_back(p);
    }
    for (std::size_t depth = 0; depth < layers.size(); ++depth) {
      const double f = 1.0 / (1.0 + 0.1 * static_cast<double>(depth));
      groups.emplace_back(by_layer[layers[depth]],
                          std::make_unique<torch::optim::AdamOptions>(lr * f));
      r.base_lr.push_back(lr * f);
      r.group_depth.push_back(static_cast<int>(depth));
    }
  } else {
    std::vector<torch::Tensor> ps;
    for (const auto& [n, p] : net.parameters()) ps.push_back(p);
    groups.emplace_back(ps);
    r.base_lr.push_back(lr);
    r.group_depth.push_back(0);
  }
  const double b1 = o.beta1;
  const double b2 = o.beta2;
  if (name == "adam" || name == "layerwise-adam") {
    r.opt = std::make_unique<torch::optim::Adam>(
        std::move(groups), torch::optim::AdamOptions(lr).betas({b1, b2}).weight_decay(wd));
    // Groups created with their own options keep them; give every group the betas and decay.
    for (auto& g : r.opt->param_groups()) {
      auto& go = static_cast<torch::optim::AdamOptions&>(g.options());
      go.betas({b1, b2}).weight_decay(wd);
    }
  } else if (name == "adamw") {
    r.opt = std::make_unique<torch::optim::AdamW>(
        std::move(groups), torch::optim::AdamWOptions(lr).betas({b1, b2}).weight_decay(wd));
  } else {
    r.opt = std::make_unique<torch::optim::SGD>(
        std::move(groups),
        torch::optim::SGDOptions(lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(wd));
  }
  return r;
}

double schedule_factor(const rlab::train::ScheduleConfig& s, long long step, long long total) {
  const std::string& name = s.name;
  double f = 1.0;
  if (name == "cosine") {
    const double min_f = s.min_factor;
    const double t = total > 0 ? std::min(1.0, static_cast<double>(step) / total) : 0.0;
    f = min_f + (1.0 - min_f) * 0.5 * (1.0 + std::cos(M_PI * t));
  } else if (name == "step") {
    const long long size = s.step_size;
    f = std::pow(s.gamma, static_cast<double>(step / std::max(1LL, size)));
  }
  const long long warmup = s.warmup_steps;
  if (warmup > 0 && step < warmup) f *= static_cast<double>(step + 1) / warmup;
  return f;
}

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
std::vector<int64_t> permutation(long long n, unsigned long long seed, long long epoch) {
  std::vector<int64_t> p(static_cast<std::size_t>(n));
  for (long long i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  unsigned long long x =
      seed * 0x9E3779B97F4A7C15ULL + static_cast<unsigned long long>(epoch) + 0x632BE59BD9B4E019ULL;
  auto next = [&x]() {  // splitmix64
    unsigned long long z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  for (long long i = n - 1; i > 0; --i) {
    const auto j = static_cast<long long>(next() % static_cast<unsigned long long>(i + 1));
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  return p;
}

std::string digest(Net& net) {
  unsigned long long h = 1469598103934665603ULL;  // FNV-1a 64
  for (const auto& [n, p] : net.parameters()) {
    const torch::Tensor c = p.detach().to(torch::kCPU).contiguous();
    const auto* b = static_cast<const unsigned char*>(c.data_ptr());
    const auto bytes = static_cast<std::size_t>(c.numel()) * c.element_size();
    for (std::size_t i = 0; i < bytes; ++i) {
      h ^= b[i];
      h *= 1099511628211ULL;
    }
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", h);
  return buf;
}

// Per parameter: element count, sum, L2 norm and a projection on a fixed pseudo-random +-1
// vector. Continuous in the weights, so two runs can be compared within a tolerance (the
// digest above is for bit-exact comparisons).
json weights_summary(Net& net) {
  json out = json::array();
  for (const auto& [n, p] : net.parameters()) {
    const torch::Tensor c = p.detach().to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1});
    const auto* v = c.data_ptr<double>();
    double sum = 0;
    double sq = 0;
    double proj = 0;
    unsigned long long x = 0x243F6A8885A308D3ULL;
    for (long long i = 0; i < c.numel(); ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      sum += v[i];
      sq += v[i] * v[i];
      proj += (x & 1ULL) != 0 ? v[i] : -v[i];
    }
    out.push_back({{"name", n},
                   {"numel", c.numel()},
                   {"sum", sum},
                   {"norm", std::sqrt(sq)},
                   {"projection", proj}});
  }
  return out;
}

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

SplitTensors Trainer::upload(const RlabTrainSplit& s) const {
  SplitTensors t;
  t.n = s.count;
  if (s.count == 0) return t;
  // from_blob does not copy; the caller keeps the bytes alive for the whole run.
  t.x = torch::from_blob(const_cast<unsigned char*>(s.images),
                         {s.count, data_.channels, data_.height, data_.width}, torch::kUInt8);
  if (!device_.is_cpu()) t.x = t.x.to(device_);
  if (s.labels != nullptr) {
    t.y = torch::from_blob(const_cast<int*>(s.labels), {s.count}, torch::kInt32)
              .to(device_, torch::kLong);
  }
  return t;
}

torch::Tensor Trainer::prepare(const torch::Tensor& raw) const {
  torch::Tensor x = raw.to(torch::kFloat32).div_(255.0);
  if (mean_.defined()) x = x.sub_(mean_).div_(std_);
  return x;
}

torch::Tensor Trainer::forward(const torch::Tensor& x, std::vector<ActStat>* stats) {
  if (!amp_) return net_->forward(x, stats);
  const CudaAutocastGuard autocast;
  return net_->forward(x, stats).to(torch::kFloat32);
}

torch::Tensor Trainer::loss_of(const torch::Tensor& out, const torch::Tensor& x,
                               const torch::Tensor& y) const {
  if (classification_) return torch::nn::functional::cross_entropy(out, y);
  // Reconstruction: the target is the image in [0, 1] (never normalised).
  return torch::mse_loss(out, x);
}

Evaluation Trainer::evaluate(const SplitTensors& s, const std::string& prefix) {
  Evaluation r;
  if (s.n == 0) return r;
  torch::NoGradGuard no_grad;
  net_->train_mode(false);
  const long long b = std::max<long long>(cfg_.batch_size, 256);
  double loss_sum = 0;
  double correct = 0;
  double se_sum = 0;
  double elements = 0;
  // Data-parallel: each rank scores its contiguous share; the sums are all-reduced.
  const long long lo = s.n * rank_ / world_;
  const long long hi = s.n * (rank_ + 1) / world_;
  for (long long i = lo; i < hi; i += b) {
    const long long e = std::min(hi, i + b);
    const torch::Tensor raw = s.x.slice(0, i, e);
    const torch::Tensor x = prepare(raw);
    const torch::Tensor out = forward(x, nullptr);
    if (classification_) {
      const torch::Tensor y = s.y.slice(0, i, e);
      loss_sum +=
          torch::nn::functional::cross_entropy(
              out, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
              .item<double>();
      correct += out.argmax(1).eq(y).sum().item<double>();
    } else {
      const torch::Tensor target = mean_.defined() ? raw.to(torch::kFloat32).div_(255.0) : x;
      se_sum += (out - target).pow(2).sum().item<double>();
      elements += static_cast<double>(out.numel());
    }
  }
  net_->train_mode(true);
  if (comm_) {
    torch::Tensor sums =
        torch::tensor({loss_sum, correct, se_sum, elements}, torch::kFloat64).to(device_);
    comm_->allreduce_sum(sums);
    sums = sums.to(torch::kCPU);
    loss_sum = sums[0].item<double>();
    correct = sums[1].item<double>();
    se_sum = sums[2].item<double>();
    elements = sums[3].item<double>();
  }
  const double n = static_cast<double>(s.n);
  if (classification_) {
    r[prefix + "loss"] = loss_sum / n;
    r[prefix + "accuracy"] = correct / n;
  } else {
    const double mse = se_sum / elements;
    r[prefix + "loss"] = mse;
    r[prefix + "mse"] = mse;
    r[prefix + "psnr"] = mse > 0 ? 10.0 * std::log10(1.0 / mse) : 99.0;  // data range 1
  }
  return r;
}

Layers Trainer::layer_grads() const {
  Layers layers;
  std::map<std::string, double> sq;
  std::vector<std::string> order;
  for (const auto& [n, p] : net_->parameters()) {
    const std::string l = layer_of(n);
    if (sq.count(l) == 0) order.push_back(l);
    const double g = p.grad().defined() ? p.grad().norm().item<double>() : 0.0;
    sq[l] += g * g;
  }
  for (const auto& l : order) {
    rlab::train::LayerStats s;
    s.layer = l;
    s.grad_norm = std::sqrt(sq[l]);
    layers.push_back(s);
  }
  return layers;
}

void Trainer::save_checkpoint(const std::string& path) {
  if (rank_ != 0) return;  // data-parallel: every rank holds the same state; rank 0 writes it
  torch::serialize::OutputArchive a;
  for (const auto& [n, p] : net_->parameters()) a.write("param." + n, p.detach().to(torch::kCPU));
  for (const auto& [n, b] : net_->buffers()) a.write("buffer." + n, b.detach().to(torch::kCPU));
  torch::serialize::OutputArchive o;
  optim_.opt->save(o);
  a.write("optimizer", o);
  json meta = {{"state", st_.to_json()},
               {"warnings", warnings_},
               {"model", rlab::train::to_json(cfg_.model)}};
  a.write("meta", c10::IValue(meta.dump()));
  const std::string tmp = path + ".tmp";
  a.save_to(tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail("environment", path + ": cannot write checkpoint: " + std::strerror(errno));
  }
}

void Trainer::load_checkpoint(const std::string& path) {
  torch::serialize::InputArchive a;
  try {
    a.load_from(path);
  } catch (const std::exception& e) {
    fail("input", path + ": cannot read checkpoint: " + first_line(e.what()));
  }
  c10::IValue meta_v;
  a.read("meta", meta_v);
  const json meta = json::parse(meta_v.toStringRef());
  const json model = rlab::train::to_json(cfg_.model);
  if (meta.at("model") != model) {
    fail("input", path + ": checkpoint was made with model " + meta.at("model").dump() +
                      ", this run asks for " + model.dump());
  }
  torch::NoGradGuard no_grad;
  for (auto& [n, p] : net_->parameters()) {
    torch::Tensor t;
    a.read("param." + n, t);
    if (!t.sizes().equals(p.sizes())) {
      fail("input", path + ": parameter '" + n + "' has another shape in the checkpoint");
    }
    p.copy_(t);
  }
  for (auto& [n, b] : net_->buffers()) {
    torch::Tensor t;
    a.read("buffer." + n, t, true);
    b.copy_(t);
  }
  torch::serialize::InputArchive o;
  a.read("optimizer", o);
  optim_.opt->load(o);
  st_.from_json(meta.at("state"));
  warnings_ = meta.at("warnings");
}

void Trainer::join_group() {
  const rlab::train::DistributedConfig& d = *cfg_.distributed;
  DistSpec spec;
  spec.rank = d.rank;
  spec.world_size = d.world_size;
  spec.local_rank = d.local_rank;
  spec.master_addr = d.master_addr;
  spec.master_port = d.master_port;
  spec.timeout = std::chrono::milliseconds(static_cast<long long>(d.timeout_s * 1000.0));
  comm_ = make_comm(spec, device_);
  rank_ = comm_->rank();
  world_ = comm_->world_size();
}

// Data-parallel step: every rank's gradient of its shard's mean loss, weighted by the shard's
// share of the global batch, summed over the ranks = the gradient of the global batch's mean
// loss. The loss and the stop flags travel in the same buffer, so every rank takes the same
// decisions (non-finite loss, interruption, time budget) at the same step.
Trainer::Synced Trainer::sync_gradients(double weight, double local_loss, bool cancel,
                                        bool time_over) {
  std::vector<torch::Tensor> grads;
  std::vector<torch::Tensor> flat;
  for (auto& [n, p] : net_->parameters()) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
    flat.push_back(p.grad().reshape({-1}).to(torch::kFloat32) * weight);
  }
  flat.push_back(torch::tensor({static_cast<float>(local_loss * weight), cancel ? 1.0F : 0.0F,
                                time_over ? 1.0F : 0.0F},
                               torch::kFloat32)
                     .to(device_));
  torch::Tensor buf = torch::cat(flat);
  comm_->allreduce_sum(buf);
  long long off = 0;
  {
    torch::NoGradGuard no_grad;
    for (auto& g : grads) {
      const long long k = g.numel();
      g.copy_(buf.slice(0, off, off + k).view_as(g));
      off += k;
    }
  }
  const torch::Tensor tail = buf.slice(0, off, off + 3).to(torch::kCPU);
  Synced r;
  r.loss = tail[0].item<double>();
  r.cancel = tail[1].item<double>() > 0;
  r.time_over = tail[2].item<double>() > 0;
  return r;
}

// The device (auto, cpu, cuda:N; one GPU per rank in a data-parallel group) and the group.
void Trainer::select_device() {
  const std::string& dev = cfg_.device;
  const int cuda_count =
      torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  if (dev == "auto") {
    device_ = cuda_count > 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  } else if (dev.rfind("cuda", 0) == 0) {
    const int index = dev.size() > 5 ? std::stoi(dev.substr(5)) : 0;
    if (cuda_count == 0) {
      fail("environment",
           "device '" + dev + "' asked for, but no CUDA device is available" +
               (torch::cuda::is_available() ? ""
                                            : " (this libtorch has no CUDA or no GPU is visible)"));
    }
    if (index >= cuda_count) {
      fail("environment", "device '" + dev + "' asked for, but only " + std::to_string(cuda_count) +
                              " CUDA device(s) are visible");
    }
    device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  const bool parallel = cfg_.distributed && cfg_.distributed->world_size > 1;
  if (parallel && device_.is_cuda() && dev.find(':') == std::string::npos) {
    // One GPU per rank: LOCAL_RANK picks it, as torchrun expects.
    const int local = cfg_.distributed->local_rank;
    device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local % cuda_count));
  }
  if (parallel) {
    try {
      join_group();
    } catch (const DistError& e) {
      fail("environment", e.what());
    }
  }
}

// Precision, threads, the model, its optimiser and the input normalisation.
void Trainer::build_model() {
  amp_ = cfg_.amp && device_.is_cuda();
  if (amp_) set_cuda_autocast_dtype(at::kBFloat16);
  if (cfg_.amp && !device_.is_cuda()) {
    emit(rlab::train::LogEvent{"--amp applies to CUDA only; running in float32 on cpu"});
  }
  if (cfg_.threads > 0) torch::set_num_threads(cfg_.threads);

  classification_ = cfg_.model.task == "classification";
  if (classification_ && data_.classes < 2) {
    fail("input", "classification needs labelled data with at least 2 classes");
  }
  torch::manual_seed(cfg_.seed);
  net_ = make_net(cfg_.model, data_);
  net_->to(device_);
  net_->train_mode(true);
  optim_ = make_optimizer(cfg_.optimizer, *net_);

  if (cfg_.normalize) {
    const std::vector<float> m(cfg_.normalize->mean.begin(), cfg_.normalize->mean.end());
    const std::vector<float> s(cfg_.normalize->std.begin(), cfg_.normalize->std.end());
    mean_ = torch::tensor(m).reshape({1, -1, 1, 1}).to(device_);
    std_ = torch::tensor(s).reshape({1, -1, 1, 1}).to(device_);
  }
}

// Resumes from the checkpoint when asked, aligns the ranks' weights and uploads the data.
void Trainer::start(Loop& loop) {
  loop.ckpt = cfg_.run_dir + "/checkpoint.pt";
  if (cfg_.resume) {
    load_checkpoint(loop.ckpt);
    emit(rlab::train::ResumedEvent{st_.step});  // the adapter trims its metric lines
  }
  if (comm_) {
    // Every rank starts from rank 0's weights (the same seed gives the same ones; this makes
    // it so for any model, TorchScript modules included).
    std::vector<torch::Tensor> state;
    for (const auto& [n, p] : net_->parameters()) state.push_back(p.detach());
    for (const auto& [n, b] : net_->buffers()) state.push_back(b.detach());
    comm_->broadcast(state, 0);
  }

  loop.train = upload(data_.train);
  loop.val = upload(data_.validation);
  loop.test = upload(data_.test);
  if (loop.train.n == 0) fail("input", "the training split is empty");

  loop.spe = (loop.train.n + cfg_.batch_size - 1) / cfg_.batch_size;
  if (cfg_.resume) loop.result["checkpoint_step"] = st_.step;
  loop.prior_elapsed = st_.elapsed_s;
  loop.start_step = st_.step;
  loop.last_log = Clock::now();
}

json Trainer::run() {
  Loop loop;
  loop.t_start = Clock::now();
  select_device();
  build_model();
  start(loop);
  while (st_.step < cfg_.max_steps && train_step(loop)) {
  }
  return finish(loop);
}

// The first output's shape must fit the task.
void Trainer::check_output(const torch::Tensor& out, const torch::Tensor& x) {
  checked_output_ = true;
  const bool ok = classification_
                      ? (out.dim() == 2 && out.size(0) == x.size(0) && out.size(1) == data_.classes)
                      : out.sizes().equals(x.sizes());
  if (ok) return;
  std::string shape = "[";
  for (long long k = 0; k < out.dim(); ++k) shape += (k ? ", " : "") + std::to_string(out.size(k));
  fail("input",
       "model output has shape " + shape + "], expected " +
           (classification_ ? "[batch, " + std::to_string(data_.classes) + "] (one score per class)"
                            : std::string("the input's shape (a reconstruction)")));
}

void Trainer::report_divergence(Loop& loop, double loss_v, long long epoch, long long pos) {
  loop.status = "diverged";
  const bool have_ckpt = loop.result.contains("checkpoint_step");
  loop.result["nan_step"] = st_.step;
  loop.result["nan_epoch"] = epoch;
  loop.result["nan_batch"] = pos;
  std::string where =
      have_ckpt ? loop.ckpt + " (step " +
                      std::to_string(loop.result["checkpoint_step"].get<long long>()) + ")"
                : std::string("none (no checkpoint was written before)");
  if (have_ckpt) loop.result["last_good_checkpoint"] = loop.ckpt;
  warn("non_finite_loss",
       "loss became " + std::string(std::isnan(loss_v) ? "nan" : "inf") + " at step " +
           std::to_string(st_.step + 1) + " (epoch " + std::to_string(epoch + 1) + ", batch " +
           std::to_string(pos) + "); training stopped; last good checkpoint: " + where,
       {"learning rate too high", "exploding gradients",
        "log of zero or division by zero in the loss", "corrupt input values"},
       {"lower the learning rate 10x", "clip gradients (optimizer.clip_grad_norm: 1)",
        "add a warm-up (schedule.warmup_steps)", "check the inputs for nan/inf"});
}

// The gradients' global norm, after clipping them when asked; warns when it explodes.
double Trainer::gradient_norm() {
  const double clip = cfg_.optimizer.clip_grad_norm;
  double total = 0;
  if (clip > 0) {
    std::vector<torch::Tensor> ps;
    for (const auto& [n, p] : net_->parameters()) ps.push_back(p);
    total = torch::nn::utils::clip_grad_norm_(ps, clip);
  } else {
    double sq = 0;
    for (const auto& [n, p] : net_->parameters()) {
      if (p.grad().defined()) sq += std::pow(p.grad().norm().item<double>(), 2);
    }
    total = std::sqrt(sq);
  }
  const double explode = cfg_.checks.exploding_grad_norm;
  if (std::isfinite(total) && total > explode) {
    warn("exploding_gradients",
         "gradient norm " + num(total) + " at step " + std::to_string(st_.step + 1) + " exceeds " +
             num(explode),
         {"learning rate too high", "inputs not normalised", "deep network without normalisation"},
         {"clip gradients (optimizer.clip_grad_norm: 1)", "lower the learning rate",
          "normalise the inputs (data.normalize: true)"});
  }
  return total;
}

// Per layer at a log step: the gradient norm (warns when one vanishes) and, with `diagnose`,
// the activation statistics (warns on dead ReLUs).
Layers Trainer::layer_report(const std::vector<ActStat>& stats, double loss_v) {
  Layers layers = layer_grads();
  const double vanish = cfg_.checks.vanishing_grad_norm;
  for (const auto& l : layers) {
    if (*l.grad_norm < vanish && loss_v > 1e-6) {
      warn("vanishing_gradients",
           "layer '" + l.layer + "' has gradient norm " + num(*l.grad_norm) + " < " + num(vanish) +
               " at step " + std::to_string(st_.step + 1),
           {"saturated sigmoid/tanh units", "dead ReLUs (see --diagnose)", "network too deep",
            "learning rate far too small"},
           {"use adam or layerwise-adam", "a smaller model or residual connections",
            "check the dead-ReLU fraction with --diagnose"});
      break;
    }
  }
  if (!cfg_.diagnose) return layers;
  auto set_activations = [](rlab::train::LayerStats& l, const ActStat& s) {
    l.has_activations = true;
    l.act_mean = s.mean;
    l.act_std = s.std;
    l.act_min = s.min;
    l.act_max = s.max;
    l.dead_relu = s.dead >= 0 ? std::optional<double>(s.dead) : std::nullopt;
  };
  for (auto& l : layers) {
    for (const auto& s : stats) {
      if (s.name != l.layer) continue;
      set_activations(l, s);
      if (s.dead > 0.5) {
        warn("dead_relu",
             "layer '" + s.name + "' has " + std::to_string(static_cast<int>(s.dead * 100)) +
                 "% dead ReLU units at step " + std::to_string(st_.step + 1),
             {"learning rate too high", "large negative biases"},
             {"lower the learning rate", "use adamw or a warm-up"});
      }
    }
  }
  // A TorchScript model exposes only its output.
  for (const auto& s : stats) {
    if (s.name != "output") continue;
    rlab::train::LayerStats l;
    l.layer = "output";
    set_activations(l, s);
    l.dead_relu = std::nullopt;
    layers.push_back(l);
  }
  return layers;
}

// Counts the step's loss and warns when the loss has not gone down after no_progress_steps.
void Trainer::track_loss(double loss_v) {
  const long long no_progress_steps = cfg_.checks.no_progress_steps;
  st_.step += 1;
  st_.log_loss_sum += loss_v;
  st_.log_loss_count += 1;
  st_.last_train_loss = loss_v;
  const std::size_t window = static_cast<std::size_t>(
      std::max<long long>(1, std::min<long long>(10, no_progress_steps / 2)));
  if (st_.first_losses.size() < window) st_.first_losses.push_back(loss_v);
  st_.recent_losses.push_back(loss_v);
  if (st_.recent_losses.size() > window) st_.recent_losses.erase(st_.recent_losses.begin());
  if (no_progress_steps <= 0 || st_.step % no_progress_steps != 0) return;
  double first = 0;
  double last = 0;
  for (double v : st_.first_losses) first += v;
  for (double v : st_.recent_losses) last += v;
  first /= static_cast<double>(st_.first_losses.size());
  last /= static_cast<double>(st_.recent_losses.size());
  if (!(last < first * 0.99)) {
    warn("no_progress",
         "loss has not decreased after " + std::to_string(st_.step) + " steps (mean of the first " +
             std::to_string(window) + ": " + num(first) + ", of the last " +
             std::to_string(window) + ": " + num(last) + ")",
         {"learning rate too low or too high", "inputs not normalised",
          "labels do not match the inputs", "model too small for the task"},
         {"try the learning rate 10x higher and 10x lower", "look at a batch of inputs and labels",
          "overfit one batch first (--max-batches 50 on data.limit: 64)"});
  }
}

// Early stopping after an evaluation: true when the metric has not improved for `patience`
// evaluations.
bool Trainer::early_stop_check(const Evaluation& v) {
  if (!cfg_.early_stopping) return false;
  const rlab::train::EarlyStoppingConfig& es = *cfg_.early_stopping;
  const auto it = v.find(es.metric);
  if (it == v.end()) return false;
  const double value = it->second;
  const bool maximize = es.mode == "max";
  const double delta = es.min_delta;
  const bool better =
      !st_.has_best || (maximize ? value > st_.best + delta : value < st_.best - delta);
  if (better) {
    st_.best = value;
    st_.has_best = true;
    st_.best_step = st_.step;
    st_.bad_evals = 0;
    return false;
  }
  return ++st_.bad_evals >= es.patience;
}

// The metrics event of a log or evaluation step, with the evaluation's checks.
void Trainer::log_metrics(Loop& loop, bool log_step, bool eval_step, double loss_v, Layers layers,
                          double elapsed_total) {
  const auto now = Clock::now();
  const double dt = std::chrono::duration<double>(now - loop.last_log).count();
  rlab::train::MetricsEvent m;
  m.step = st_.step;
  m.epoch = static_cast<double>(st_.step) / static_cast<double>(loop.spe);
  m.lr = optim_.opt->param_groups()[0].options().get_lr();
  m.train_loss = st_.log_loss_count > 0 ? st_.log_loss_sum / st_.log_loss_count : loss_v;
  m.grad_norm = loop.last_grad_norm;
  m.images_per_s = dt > 0 ? loop.images_since_log / dt : 0.0;
  m.data_share = loop.step_s > 0 ? loop.data_s / loop.step_s : 0.0;
  m.time_s = elapsed_total;
  if (cfg_.diagnose && log_step) m.layers = std::move(layers);
  st_.log_loss_sum = 0;
  st_.log_loss_count = 0;
  loop.last_log = now;
  loop.images_since_log = 0;
  bool stop_early = false;
  if (eval_step && loop.val.n > 0) {
    m.evaluation = evaluate(loop.val, "val_");
    stop_early = early_stop_check(m.evaluation);
    const double vl = m.evaluation.at("val_loss");
    const double tl = m.train_loss;
    const double overfit_gap = cfg_.checks.overfit_gap;
    if (vl > 0 && (vl - tl) / vl > overfit_gap && st_.has_best && st_.best_step < st_.step) {
      warn("overfitting",
           "validation loss " + num(vl) + " is " +
               std::to_string(static_cast<int>(100 * (vl - tl) / vl)) +
               "% above the training loss " + num(tl) + " and has not improved since step " +
               std::to_string(st_.best_step),
           {"too little training data", "model too large", "too many epochs"},
           {"early stopping (early_stopping: {patience: 3})", "weight decay (adamw)",
            "more data or augmentation", "a smaller model"});
    }
  }
  emit(m);
  if (stop_early) {
    loop.status = "early_stopped";
    emit(rlab::train::LogEvent{"early stopping at step " + std::to_string(st_.step) + ": " +
                               cfg_.early_stopping->metric + " has not improved since step " +
                               std::to_string(st_.best_step)});
  }
}

// One training step; false when the run stops after it (loop.status says why).
bool Trainer::train_step(Loop& loop) {
  const long long batch = cfg_.batch_size;
  const long long max_steps = cfg_.max_steps;
  const double minutes = cfg_.minutes;
  const auto t0 = Clock::now();
  const long long epoch = st_.step / loop.spe;
  const long long pos = st_.step % loop.spe;
  if (epoch != loop.cur_epoch) {
    loop.perm =
        torch::tensor(permutation(loop.train.n, cfg_.seed, epoch), torch::kLong).to(device_);
    loop.cur_epoch = epoch;
  }
  torch::Tensor idx = loop.perm.slice(0, pos * batch, std::min(loop.train.n, (pos + 1) * batch));
  // Data-parallel: the global batch is batch_size images; rank r takes the r-th contiguous
  // share of it (sizes differ by at most one image).
  const long long global_n = idx.size(0);
  if (comm_) idx = idx.slice(0, global_n * rank_ / world_, global_n * (rank_ + 1) / world_);
  const long long local_n = idx.size(0);
  const torch::Tensor raw = loop.train.x.index_select(0, idx);
  const torch::Tensor x = prepare(raw);
  const torch::Tensor target = classification_
                                   ? loop.train.y.index_select(0, idx)
                                   : (mean_.defined() ? raw.to(torch::kFloat32).div_(255.0) : x);
  const auto t1 = Clock::now();
  for (std::size_t g = 0; g < optim_.opt->param_groups().size(); ++g) {
    optim_.opt->param_groups()[g].options().set_lr(
        optim_.base_lr[g] * schedule_factor(cfg_.schedule, st_.step, max_steps));
  }
  const long long log_every = std::max<long long>(1, cfg_.log_every);
  const bool log_step = (st_.step + 1) % log_every == 0 || st_.step + 1 == max_steps;
  std::vector<ActStat> stats;
  optim_.opt->zero_grad();
  torch::Tensor out;
  if (local_n > 0) out = forward(x, cfg_.diagnose && log_step ? &stats : nullptr);
  if (!checked_output_ && local_n > 0) check_output(out, x);
  torch::Tensor loss;
  if (local_n > 0) loss = loss_of(out, target, target);
  double loss_v = 0;
  bool group_cancel = false;
  bool group_time_over = false;
  if (comm_) {
    double local_loss = 0;
    if (loss.defined()) {
      loss.backward();
      local_loss = loss.item<double>();
    }
    const double elapsed_now =
        loop.prior_elapsed + std::chrono::duration<double>(Clock::now() - loop.t_start).count();
    const Synced sy =
        sync_gradients(static_cast<double>(local_n) / static_cast<double>(global_n), local_loss,
                       cancel_asked(), minutes > 0 && elapsed_now >= minutes * 60.0);
    loss_v = sy.loss;
    group_cancel = sy.cancel;
    group_time_over = sy.time_over;
  } else {
    loss_v = loss.item<double>();
  }
  if (!std::isfinite(loss_v)) {
    report_divergence(loop, loss_v, epoch, pos);
    return false;
  }
  if (!comm_) loss.backward();
  if (cfg_.optimizer.clip_grad_norm > 0 || log_step) loop.last_grad_norm = gradient_norm();
  Layers layers;
  if (log_step) {
    layers = layer_report(stats, loss_v);
    loop.last_layers = layers;
  }
  optim_.opt->step();
  const auto t2 = Clock::now();
  loop.data_s += std::chrono::duration<double>(t1 - t0).count();
  loop.step_s += std::chrono::duration<double>(t2 - t0).count();
  const long long bsz = comm_ ? global_n : x.size(0);
  loop.images_this_run += bsz;
  loop.images_since_log += bsz;
  track_loss(loss_v);
  const double elapsed_total =
      loop.prior_elapsed + std::chrono::duration<double>(Clock::now() - loop.t_start).count();
  const double ips = loop.step_s > 0 ? static_cast<double>(loop.images_this_run) / loop.step_s : 0;
  const double eta = ips > 0 ? static_cast<double>((max_steps - st_.step) * batch) / ips : 0;
  emit(rlab::train::ProgressEvent{st_.step, max_steps,
                                  static_cast<double>(st_.step) / static_cast<double>(loop.spe),
                                  loss_v, ips, eta});

  const bool eval_step =
      cfg_.eval_every > 0 && st_.step % cfg_.eval_every == 0 && st_.step < max_steps;
  if (log_step || eval_step) {
    log_metrics(loop, log_step, eval_step, loss_v, std::move(layers), elapsed_total);
  }
  // Checkpoint, then stop when interrupted, stopped early or out of time.
  const bool cancelled = comm_ ? group_cancel : cancel_asked();
  const bool interrupted = cancelled || (cfg_.stop_at_step > 0 && st_.step == cfg_.stop_at_step);
  if ((cfg_.checkpoint_every > 0 && st_.step % cfg_.checkpoint_every == 0) || interrupted) {
    st_.elapsed_s = elapsed_total;
    save_checkpoint(loop.ckpt);
    loop.result["checkpoint_step"] = st_.step;
  }
  if (interrupted) {
    loop.status = "interrupted";
    return false;
  }
  if (loop.status == "early_stopped") return false;
  if (minutes > 0 && (comm_ ? group_time_over : elapsed_total >= minutes * 60.0)) {
    loop.status = "time_budget";
    return false;
  }
  return true;
}

// The final evaluation and checkpoint, and the result.
json Trainer::finish(Loop& loop) {
  const double wall = std::chrono::duration<double>(Clock::now() - loop.t_start).count();
  st_.elapsed_s = loop.prior_elapsed + wall;
  json& result = loop.result;
  const std::string& status = loop.status;
  json metrics = {{"train_loss", st_.last_train_loss}};
  if (status != "interrupted") {
    if (status != "diverged") {
      for (const auto& [k, v] : evaluate(loop.val, "val_")) metrics[k] = v;
      for (const auto& [k, v] : evaluate(loop.test, "test_")) metrics[k] = v;
      save_checkpoint(loop.ckpt);
      result["checkpoint_step"] = st_.step;
    }
    if (net_->compression_ratio > 0) metrics["compression_ratio"] = net_->compression_ratio;
  }
  result["metrics"] = metrics;
  if (!st_.first_losses.empty()) result["first_loss"] = st_.first_losses.front();
  const long long batch = cfg_.batch_size;
  result["status"] = status;
  result["steps"] = st_.step;
  result["steps_this_run"] = st_.step - loop.start_step;
  result["max_steps"] = cfg_.max_steps;
  result["steps_per_epoch"] = loop.spe;
  result["epochs"] = static_cast<double>(st_.step) / static_cast<double>(loop.spe);
  result["device"] = device_.str();
  result["amp"] = amp_;
  result["threads"] = torch::get_num_threads();
  result["torch_version"] = TORCH_VERSION;
  result["images_per_s"] =
      loop.step_s > 0 ? static_cast<double>(loop.images_this_run) / loop.step_s : 0.0;
  result["data_share"] = loop.step_s > 0 ? loop.data_s / loop.step_s : 0.0;
  result["wall_s"] = wall;
  result["weights_digest"] = digest(*net_);
  result["weights_summary"] = weights_summary(*net_);
  if (comm_) {
    result["distributed"] = {{"world_size", world_},
                             {"backend", comm_->backend()},
                             {"global_batch", batch},
                             {"rank_batch", batch / world_}};
  }
  long long n_params = 0;
  for (const auto& [n, p] : net_->parameters()) n_params += p.numel();
  result["parameters"] = n_params;
  if (!net_->latent_shape.empty()) result["latent_shape"] = net_->latent_shape;
  result["warnings"] = warnings_;
  if (loop.last_layers) result["layers"] = rlab::train::to_json(*loop.last_layers);
  return result;
}

}  // namespace rlab_core

extern "C" char* rlab_core_train(const char* config_json, const RlabTrainData* data,
                                 const RlabTrainCallbacks* callbacks) {
  using rlab_core::json;
  json out;
  try {
    rlab_core::Trainer t(rlab::train::config_from_json(json::parse(config_json)), *data, callbacks);
    out = t.run();
  } catch (const rlab::train::SchemaError& e) {
    out = {{"error", {{"kind", "internal"}, {"message", e.what()}}}};
  } catch (const rlab_core::CoreError& e) {
    out = {{"error", {{"kind", e.kind}, {"message", e.message}}}};
  } catch (const rlab_core::DistError& e) {
    out = {{"error", {{"kind", "environment"}, {"message", e.what()}}}};
  } catch (const c10::Error& e) {
    out = {{"error",
            {{"kind", "internal"}, {"message", "libtorch: " + rlab_core::first_line(e.what())}}}};
  } catch (const std::exception& e) {
    out = {{"error", {{"kind", "internal"}, {"message", e.what()}}}};
  }
  const std::string s = out.dump();
  char* r = static_cast<char*>(std::malloc(s.size() + 1));
  if (r != nullptr) std::memcpy(r, s.c_str(), s.size() + 1);
  return r;
}

extern "C" void rlab_core_free(char* text) { std::free(text); }
