// Diagnostics on stderr: "rlab: warning: ...", "rlab: info ...", levels from -q/-v.
#pragma once

#include <ostream>
#include <string>

namespace rlab {

/// Verbosity: -q = kQuiet (errors only), default kNormal (warnings), -v kInfo, -vv kDebug.
enum class LogLevel { kQuiet = 0, kNormal = 1, kInfo = 2, kDebug = 3 };

/// Writes diagnostics to one stream (stderr in the binary, a string stream in tests).
class Logger {
 public:
  Logger(std::ostream& err, LogLevel level, bool color)
      : err_(&err), level_(level), color_(color) {}
  void error(const std::string& message) const;
  void warn(const std::string& message) const;
  void note(const std::string& message) const;
  void info(const std::string& message) const;
  void debug(const std::string& message) const;
  [[nodiscard]] LogLevel level() const { return level_; }
  [[nodiscard]] bool color() const { return color_; }

 private:
  void line(const char* tag, const char* ansi, const std::string& message) const;
  std::ostream* err_;
  LogLevel level_;
  bool color_;
};

}  // namespace rlab
