// What every command receives: streams, logger and the global options.
#pragma once

#include "rlab/clock.h"
#include "rlab/log.h"
#include "rlab/output.h"

#include <functional>
#include <ostream>
#include <string>
#include <utility>
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

/// Names of the config sections an experiment file may hold, made on first use: the command
/// table's declarations are built only by a command that reads a config file, not at every
/// start-up.
class SectionNames {
 public:
  SectionNames() = default;
  SectionNames(std::vector<std::string> names) : names_(std::move(names)), made_(true) {}  // NOLINT
  explicit SectionNames(std::function<std::vector<std::string>()> make) : make_(std::move(make)) {}
  operator const std::vector<std::string>&() const {  // NOLINT(google-explicit-constructor)
    if (!made_) {
      if (make_) names_ = make_();
      made_ = true;
    }
    return names_;
  }

 private:
  std::function<std::vector<std::string>()> make_;
  mutable std::vector<std::string> names_;
  mutable bool made_ = false;
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
  SectionNames config_sections{};
};

}  // namespace rlab
