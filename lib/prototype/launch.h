// `rlab prototype --nproc N`: starts N ranks of this rlab on one host with torchrun's
// variables and supervises them.
#pragma once

#include "rlab/context.h"
#include "rlab/error.h"

#include <string>
#include <vector>

namespace rlab::prototype {

/// Runs `args` (the command line without --nproc; args[0] is ignored, this executable is used)
/// as `nproc` processes with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR
/// (127.0.0.1) and MASTER_PORT (a free port) set. SIGINT/SIGTERM are passed on to every rank
/// once. When a rank fails, the others get `grace_s` seconds to stop on their own (they do: their
/// next collective fails) before SIGTERM, then SIGKILL. Returns the exit code of the first rank
/// that failed (a rank killed by a signal: exit 4, with a message), else rank 0's.
ExitCode launch_local(const std::vector<std::string>& args, int nproc, double grace_s,
                      Context& ctx);

/// `args` without "--nproc N" / "--nproc=N".
std::vector<std::string> without_nproc(const std::vector<std::string>& args);

}  // namespace rlab::prototype
