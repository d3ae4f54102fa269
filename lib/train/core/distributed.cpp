// c10d process groups for data-parallel training: TCPStore rendezvous, Gloo on CPU, NCCL on
// CUDA. Built with -DUSE_C10D_GLOO when the Gloo headers are present (Debian: libgloo-dev) and
// -DUSE_C10D_NCCL against a CUDA libtorch that has NCCL (see lib/train/CMakeLists.txt).
#include "distributed.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <string>

namespace rlab_core {

namespace {

std::string first_line_of(const std::string& s) {
  const auto pos = s.find('\n');
  return pos == std::string::npos ? s : s.substr(0, pos);
}

std::string seconds(std::chrono::milliseconds ms) {
  const auto s = ms.count() / 1000;
  return std::to_string(s) + " s";
}

// Held as the concrete group type (ProcessGroupGloo, ProcessGroupNCCL): libtorch 1.13 derives
// them from c10d::ProcessGroup, 2.x from c10d::Backend, and both declare allreduce and broadcast
// on the concrete class, so no version test is needed here.
template <typename Group>
class GroupComm : public Comm {
 public:
  GroupComm(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<Group> pg,
            const rlab::train::DistributedConfig& spec, std::chrono::milliseconds timeout,
            std::string backend)
      : store_(std::move(store)), pg_(std::move(pg)), timeout_(timeout) {
    rank_ = spec.rank;
    world_ = spec.world_size;
    backend_ = std::move(backend);
  }

  void allreduce_sum(torch::Tensor& t) override {
    std::vector<torch::Tensor> v{t};
    run("all-reduce", [&] { return pg_->allreduce(v); });
  }

  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    for (auto& t : tensors) {
      std::vector<torch::Tensor> v{t};
      c10d::BroadcastOptions o;
      o.rootRank = root;
      run("broadcast", [&] { return pg_->broadcast(v, o); });
    }
  }

 private:
  template <typename Start>
  void run(const char* what, Start start) {
    try {
      auto work = start();
      if (!work->wait(timeout_)) {
        throw DistError(std::string(what) + " did not finish");
      }
    } catch (const DistError& e) {
      fail(what, e.what());
    } catch (const std::exception& e) {
      fail(what, first_line_of(e.what()));
    }
  }

  [[noreturn]] void fail(const char* what, const std::string& why) const {
    throw DistError("distributed training: rank " + std::to_string(rank_) + " of " +
                    std::to_string(world_) + ": " + what +
                    " failed (another rank died, was stopped, or did not answer within " +
                    seconds(timeout_) + "): " + why);
  }

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Group> pg_;
  std::chrono::milliseconds timeout_;
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

}  // namespace

std::unique_ptr<Comm> make_comm(const rlab::train::DistributedConfig& spec,
                                const torch::Device& device) {
  const std::chrono::milliseconds timeout(static_cast<long long>(spec.timeout_s * 1000.0));
  const std::string where = "distributed training: rank " + std::to_string(spec.rank) + " of " +
                            std::to_string(spec.world_size) + ": ";
  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(spec.master_port);
    o.isServer = spec.rank == 0;
    o.numWorkers = static_cast<std::size_t>(spec.world_size);
    o.waitWorkers = true;
    o.timeout = timeout;
    store = c10::make_intrusive<c10d::TCPStore>(spec.master_addr, o);
  } catch (const std::exception& e) {
    throw DistError(where + "cannot join the rendezvous at " + spec.master_addr + ":" +
                    std::to_string(spec.master_port) + " within " + seconds(timeout) +
                    " (is every rank started, and MASTER_ADDR/MASTER_PORT the same for all?): " +
                    first_line_of(e.what()));
  }
  try {
    if (device.is_cuda()) {
#ifdef USE_C10D_NCCL
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      auto pg =
          c10::make_intrusive<c10d::ProcessGroupNCCL>(store, spec.rank, spec.world_size, opts);
      return std::make_unique<GroupComm<c10d::ProcessGroupNCCL>>(store, pg, spec, timeout, "nccl");
#else
      throw DistError(where +
                      "data-parallel training on CUDA needs NCCL, and this libtorch was built "
                      "without it (run on cpu with Gloo, or build against a CUDA libtorch)");
#endif
    }
#ifdef USE_C10D_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname != '\0') {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (is_loopback(spec.master_addr)) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, spec.rank, spec.world_size, opts);
    return std::make_unique<GroupComm<c10d::ProcessGroupGloo>>(store, pg, spec, timeout, "gloo");
#else
    throw DistError(where +
                    "this training core was built without Gloo (install libgloo-dev and rebuild)");
#endif
  } catch (const DistError&) {
    throw;
  } catch (const std::exception& e) {
    throw DistError(where + "cannot form the process group within " + seconds(timeout) + ": " +
                    first_line_of(e.what()));
  }
}

}  // namespace rlab_core
