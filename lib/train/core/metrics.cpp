// Evaluation and the diagnostics of a run: the output's shape, divergence, gradient norms,
// per-layer statistics, progress of the loss, early stopping and the metrics events.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trainer.h"

namespace rlab_core {

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

}  // namespace rlab_core
