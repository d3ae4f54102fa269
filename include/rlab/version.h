// Version and build facts, for `rlab --version`, `rlab doctor` and experiment records.
#pragma once

#include <string>

namespace rlab {

/// Semantic version of this build, e.g. "0.1.0".
const char* version();
/// Git commit the binary was built from ("unknown" outside a git checkout; "-dirty" suffix when
/// tracked files had uncommitted changes).
const char* git_commit();
/// Compiler name and version, e.g. "GCC 12.2.0".
std::string compiler();
/// One line for `rlab --version`: "rlab 0.1.0 (commit abc123, GCC 12.2.0)".
std::string version_line();

}  // namespace rlab
