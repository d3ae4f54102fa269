// Data-parallel training in the core: a torch.distributed (c10d) process group, Gloo on CPU and
// NCCL on CUDA (when this libtorch has it). Only lib/train/core includes torch headers.
#pragma once

#include "rlab/train.h"

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlab_core {

/// A collective failed or the group could not be formed: a peer rank died, timed out, or the
/// rendezvous address is unreachable. The trainer reports it as an environment error (exit 4).
struct DistError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One process group. All methods are collective: every rank calls them in the same order.
class Comm {
 public:
  virtual ~Comm() = default;
  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int world_size() const { return world_; }
  [[nodiscard]] const std::string& backend() const { return backend_; }
  /// Sums `t` over the ranks, in place (every rank ends with the same values).
  virtual void allreduce_sum(torch::Tensor& t) = 0;
  /// Copies rank `root`'s tensors into every other rank's (same shapes everywhere).
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;

 protected:
  int rank_ = 0;
  int world_ = 1;
  std::string backend_;
};

/// Joins the group: a TCPStore on master_addr:master_port (rank 0 serves it) and a Gloo group
/// (`device` is CPU) or an NCCL group (`device` is CUDA). Throws DistError when the group
/// cannot be formed within the timeout or the backend is not built into this libtorch.
/// `spec` says where and how to join (torchrun's variables, the timeout).
std::unique_ptr<Comm> make_comm(const rlab::train::DistributedConfig& spec,
                                const torch::Device& device);

}  // namespace rlab_core
