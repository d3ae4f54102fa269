// The environment a run records and `rlab doctor` prints (ARCHITECTURE.md §8).
#pragma once

#include <string>

namespace rlab {

/// Facts about this machine and build. Collecting them reads /proc and uname; no training
/// core is loaded here.
struct Environment {
  std::string rlab_version;
  std::string git_commit;  ///< Commit rlab was built from.
  std::string compiler;
  std::string os;           ///< PRETTY_NAME from /etc/os-release, else uname sysname.
  std::string kernel;       ///< uname release.
  std::string arch;         ///< uname machine.
  std::string cpu_model;    ///< /proc/cpuinfo "model name".
  int cpu_count = 0;        ///< Online logical CPUs.
  long long memory_mb = 0;  ///< Physical memory.
  std::string hostname;
};

Environment collect_environment();

}  // namespace rlab
