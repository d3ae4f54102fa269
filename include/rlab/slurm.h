// Slurm job scripts: the `#SBATCH` header that both `prototype --emit-sbatch` and bayesopt's
// Slurm executor write.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rlab {

/// `#SBATCH --NAME=VALUE` lines in the order given, a pair with an empty value left out, then
/// `#SBATCH EXTRA` for each of `extra` (the user's own directives, verbatim).
std::string sbatch_directives(const std::vector<std::pair<std::string, std::string>>& options,
                              const std::vector<std::string>& extra);

}  // namespace rlab
