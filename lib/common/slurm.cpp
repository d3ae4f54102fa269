#include "rlab/slurm.h"

namespace rlab {

std::string sbatch_directives(const std::vector<std::pair<std::string, std::string>>& options,
                              const std::vector<std::string>& extra) {
  std::string o;
  for (const auto& [name, value] : options) {
    if (!value.empty()) o += "#SBATCH --" + name + "=" + value + "\n";
  }
  for (const auto& e : extra) o += "#SBATCH " + e + "\n";
  return o;
}

}  // namespace rlab
