#include "rlab/log.h"

namespace rlab {

void Logger::line(const char* tag, const char* ansi, const std::string& message) const {
  if (color_) {
    *err_ << "rlab: " << ansi << tag << "\033[0m " << message << '\n';
  } else {
    *err_ << "rlab: " << tag << ' ' << message << '\n';
  }
  err_->flush();
}

void Logger::error(const std::string& message) const { line("error:", "\033[1;31m", message); }
void Logger::warn(const std::string& message) const {
  if (level_ >= LogLevel::kNormal) line("warning:", "\033[1;33m", message);
}
void Logger::note(const std::string& message) const { line("note:", "\033[1;36m", message); }
void Logger::info(const std::string& message) const {
  if (level_ >= LogLevel::kInfo) line("info:", "\033[1m", message);
}
void Logger::debug(const std::string& message) const {
  if (level_ >= LogLevel::kDebug) line("debug:", "\033[2m", message);
}

}  // namespace rlab
