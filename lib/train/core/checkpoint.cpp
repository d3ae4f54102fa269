// Checkpoints (weights, optimiser buffers and the run state, written atomically) and the
// weights' digest and summary that make two runs comparable.
#include <torch/torch.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "trainer.h"

namespace rlab_core {

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

}  // namespace rlab_core
