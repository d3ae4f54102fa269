// The training loop of the core plugin: device, model, data and the steps of a run. Reads a
// TrainConfig and sends typed events (rlab/train.h); both cross the plugin ABI (plugin_api.h) as
// JSON through the one mapping, rlab/train_json.h. The models, checkpoints and diagnostics live
// beside it (models.cpp, checkpoint.cpp, metrics.cpp; trainer.h declares what they share).
#include "trainer.h"

#include "rlab/train.h"
#include "rlab/train_json.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../plugin_api.h"
#include "distributed.h"
#include "torch_compat.h"

namespace rlab_core {

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

void Trainer::join_group() {
  comm_ = make_comm(*cfg_.distributed, device_);
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
