// Child processes and interrupts: the one way rlab starts another program (an argv vector,
// never a shell; each child in a process group of its own) and the one way it catches
// SIGINT/SIGTERM.
#pragma once

#include <signal.h>

#include <cstddef>
#include <string>
#include <vector>

namespace rlab {

/// How to start a child. The child always gets a process group of its own (a terminal's Ctrl-C
/// reaches rlab only, which decides what the children get), default SIGINT, SIGTERM and SIGPIPE
/// and an empty signal mask.
struct SpawnOptions {
  bool capture = false;   ///< stdin from /dev/null, stdout and stderr to pipes; else inherited
  bool no_input = false;  ///< without capture: stdin from /dev/null
  bool quiet = false;     ///< without capture: stdout to /dev/null
  std::string program;    ///< the file executed; "" = argv[0] looked up on PATH
  const std::vector<std::string>* env = nullptr;  ///< "KEY=VALUE" entries; nullptr = ours
  bool die_with_parent = false;  ///< SIGTERM to the child when rlab ends (even by SIGKILL)
};

/// A started child: its pid (= its process group) and, with capture, the read ends of its
/// stdout and stderr (non-blocking, close-on-exec). pid -1 and `error` when it did not start.
struct Child {
  int pid = -1;
  int out_fd = -1;
  int err_fd = -1;
  std::string error;  ///< why it could not start ("No such file or directory")
};

/// Starts `argv` with `options`. A program that cannot be executed is reported here (pid -1,
/// error from exec's errno), not as an exit status. The caller waits for the child.
Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

/// Our environment with `extra` ("KEY=VALUE") after it, for SpawnOptions::env.
std::vector<std::string> environment_with(const std::vector<std::string>& extra);

/// Waits for a child started without capture; its exit status, or 128 + the signal that ended
/// it.
int wait_exit(const Child& child);

/// The outcome of a child run with run_processes.
struct ProcessResult {
  bool started = false;     ///< False when the program could not be started at all.
  std::string start_error;  ///< Why it could not start (e.g. "No such file or directory").
  bool timed_out = false;
  int exit_code = -1;  ///< Exit status when it exited normally.
  int signal = 0;      ///< Terminating signal, 0 when it exited.
  std::string out;     ///< Everything it wrote on stdout (the tail, with capture_cap).
  std::string err;     ///< Its stderr (likewise).
  double seconds = 0;  ///< Wall time from spawn to exit.
};

/// How run_processes supervises its children.
struct RunOptions {
  double timeout_s = 0;            ///< > 0: a child still running after this long is stopped
  double kill_after_s = 1;         ///< stopped = SIGTERM to its group, SIGKILL this much later;
                                   ///< 0: SIGKILL at once
  std::size_t capture_cap = 0;     ///< keep the last N bytes of each stream; 0 = everything
  bool stop_on_interrupt = false;  ///< a SignalGuard in kStopChildren mode stops their groups
};

/// Runs every argv in `jobs` concurrently with capture (stdin /dev/null, stdout and stderr
/// read while they run), waits for all of them and returns the results in the order of `jobs`.
/// When a child exits, whatever its group left behind (grandchildren holding the pipes) is
/// killed.
std::vector<ProcessResult> run_processes(const std::vector<std::vector<std::string>>& jobs,
                                         const RunOptions& options);

/// run_processes for one argv.
ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options);

/// While alive, SIGINT and SIGTERM are caught (the handlers before it come back when it ends;
/// guards nest). What a caught signal does depends on the mode.
class SignalGuard {
 public:
  enum class Mode {
    kRecord,        ///< remember the signal (signal()); every later one too
    kRecordOnce,    ///< remember the first; a second one ends rlab at once (default action)
    kStopChildren,  ///< SIGTERM to the groups of run_processes' children started with
                    ///< stop_on_interrupt, print the note (set_note) on stderr, and end rlab by
                    ///< the signal
  };
  explicit SignalGuard(Mode mode);
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  /// The signal caught while a recording guard was alive (0: none); reset when one is made.
  static int signal();
  /// The same as a flag to poll (the training core's cancel flag).
  static const volatile int* flag();
  /// The text kStopChildren prints on an interrupt (copied, up to 1 KiB; safe to call while a
  /// guard is alive).
  static void set_note(const std::string& note);
  /// No note (the default).
  static void clear_note();

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  int old_mode_ = 0;
};

}  // namespace rlab
