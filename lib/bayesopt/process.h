// Running objective commands: argv vectors (no shell), own process group, per-trial timeout,
// several at once.
#pragma once

#include <string>
#include <vector>

namespace rlab::bayesopt {

/// The outcome of one objective process.
struct ProcessResult {
  bool started = false;     ///< False when the program could not be started at all.
  std::string start_error;  ///< Why it could not start (e.g. "No such file or directory").
  bool timed_out = false;
  int exit_code = -1;  ///< Exit status when it exited normally.
  int signal = 0;      ///< Terminating signal, 0 when it exited.
  std::string out;     ///< Everything it wrote on stdout (capped at 1 MiB, tail kept).
  std::string err;     ///< Its stderr (capped likewise).
  double seconds = 0;  ///< Wall time from spawn to exit.
};

/// Runs every argv in `jobs` concurrently (stdin /dev/null, stdout and stderr captured), each in
/// a new process group; a process still running after `timeout_s` (> 0) gets SIGTERM on its
/// group, then SIGKILL one second later. Returns the results in the order of `jobs`.
std::vector<ProcessResult> run_processes(const std::vector<std::vector<std::string>>& jobs,
                                         double timeout_s);

/// While alive, SIGINT and SIGTERM print the current interrupt note on stderr (set_interrupt_note)
/// before rlab ends by the signal (objective process groups are stopped as during a run).
class InterruptNote {
 public:
  InterruptNote();
  ~InterruptNote();
  InterruptNote(const InterruptNote&) = delete;
  InterruptNote& operator=(const InterruptNote&) = delete;
  /// The text printed on an interrupt (copied; safe to call between trials).
  static void set(const std::string& note);
};

}  // namespace rlab::bayesopt
