// What every command receives: streams, logger and the global options.
#pragma once

#include "rlab/clock.h"
#include "rlab/log.h"
#include "rlab/output.h"

#include <ostream>
#include <string>
#include <vector>

namespace rlab {

/// Global flags, parsed once by the app before the command runs.
struct GlobalOptions {
  Format format = Format::kTable;  ///< --format
  bool format_given = false;       ///< True when --format was on the command line.
  std::string config_path;         ///< --config FILE ("" when absent)
  std::vector<std::string> sets;   ///< --set key.path=value, in order
  LogLevel log_level = LogLevel::kNormal;
  bool color = false;  ///< Colour allowed (TTY, no --no-color, no NO_COLOR).
};

/// Handed to every command's runner. Streams are references so tests can capture them.
struct Context {
  std::ostream& out;  ///< Results only.
  std::ostream& err;  ///< Diagnostics and progress.
  GlobalOptions options;
  Logger log;
  std::vector<std::string> argv;  ///< The full command line, for experiment records.
  Clock clock;                    ///< "Now" for every command (tests fix it).
  /// The sections of the command table, which an experiment file may hold (select_section).
  std::vector<std::string> config_sections{};
};

}  // namespace rlab
