#include "process.h"

namespace rlab::bayesopt {

std::vector<ProcessResult> run_processes(const std::vector<std::vector<std::string>>& jobs,
                                         double timeout_s) {
  const SignalGuard guard(SignalGuard::Mode::kStopChildren);
  RunOptions o;
  o.timeout_s = timeout_s;
  o.kill_after_s = 1;
  o.capture_cap = 1 << 20;
  o.stop_on_interrupt = true;
  return rlab::run_processes(jobs, o);
}

InterruptNote::InterruptNote() : guard_(SignalGuard::Mode::kStopChildren) {}

InterruptNote::~InterruptNote() { SignalGuard::clear_note(); }

void InterruptNote::set(const std::string& note) { SignalGuard::set_note(note); }

}  // namespace rlab::bayesopt
