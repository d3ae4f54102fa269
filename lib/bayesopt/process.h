// Running objective commands: argv vectors (no shell), own process group, per-trial timeout,
// several at once (through rlab/process.h), and the note printed when rlab is interrupted.
#pragma once

#include "rlab/process.h"

#include <string>
#include <vector>

namespace rlab::bayesopt {

/// The outcome of one objective process.
using rlab::ProcessResult;

/// Runs every argv in `jobs` concurrently (stdin /dev/null, stdout and stderr captured, the last
/// 1 MiB of each kept), each in a new process group; a process still running after `timeout_s`
/// (> 0) gets SIGTERM on its group, then SIGKILL one second later. SIGINT/SIGTERM meanwhile stop
/// their groups and end rlab (printing the InterruptNote). Returns the results in the order of
/// `jobs`.
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

 private:
  SignalGuard guard_;
};

}  // namespace rlab::bayesopt
