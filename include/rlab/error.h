// Errors and exit codes shared by every rlab command (ARCHITECTURE.md §5).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace rlab {

/// Process exit codes; the same meaning for every command.
enum class ExitCode : int {
  kSuccess = 0,       ///< Success.
  kNo = 1,            ///< Ran fine, the answer is "no" (gate failed, over budget, ...).
  kUsage = 2,         ///< Bad command line.
  kInvalidInput = 3,  ///< Config or data file unreadable, malformed, out of range, cycle.
  kEnvironment = 4,   ///< Network, API, external process, missing device or plugin.
  kInternal = 5,      ///< A bug: an unexpected exception.
  kInterrupted = 130  ///< SIGINT/SIGTERM, after state was saved.
};

/// Base of rlab's exceptions; never thrown directly. `what()` is the one-line message without
/// the "rlab: error: " prefix; `more()` holds further error lines (for example every other
/// dependency cycle) and `notes()` hints printed as "rlab: note: ...".
class Error : public std::runtime_error {
 public:
  Error(const std::string& message, ExitCode code) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] ExitCode code() const { return code_; }
  [[nodiscard]] const std::vector<std::string>& more() const { return more_; }
  [[nodiscard]] const std::vector<std::string>& notes() const { return notes_; }
  Error& add_error(std::string line) {
    more_.push_back(std::move(line));
    return *this;
  }
  Error& add_note(std::string line) {
    notes_.push_back(std::move(line));
    return *this;
  }

 private:
  ExitCode code_;
  std::vector<std::string> more_;
  std::vector<std::string> notes_;
};

/// A command line the parser accepted but that makes no sense (exit 2).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, ExitCode::kUsage) {}
};

/// Invalid input: config or data file missing, malformed or out of range (exit 3). The message
/// starts with `file:line:col: ` whenever a location is known.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(message, ExitCode::kInvalidInput) {}
};

/// The environment failed: network, external command, missing plugin or device (exit 4).
class EnvironmentError : public Error {
 public:
  explicit EnvironmentError(const std::string& message) : Error(message, ExitCode::kEnvironment) {}
};

/// The run was interrupted by a signal after saving its state (exit 130).
class InterruptedError : public Error {
 public:
  explicit InterruptedError(const std::string& message) : Error(message, ExitCode::kInterrupted) {}
};

}  // namespace rlab
