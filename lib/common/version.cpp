#include "rlab/version.h"

#include <fmt/format.h>

#ifndef RLAB_VERSION
#error "RLAB_VERSION must be defined by the build"
#endif

namespace rlab {

const char* version() { return RLAB_VERSION; }

std::string compiler() {
#if defined(__clang__)
  return fmt::format("Clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown compiler";
#endif
}

std::string version_line() {
  return fmt::format("rlab {} (commit {}, {})", version(), git_commit(), compiler());
}

}  // namespace rlab
