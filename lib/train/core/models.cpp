// Models (the lab's autoencoder and classifier, TorchScript modules), optimisers and learning-rate
// schedules of the training core.
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trainer.h"

namespace rlab_core {

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

}  // namespace rlab_core
