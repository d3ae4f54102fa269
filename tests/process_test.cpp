// The process seam (include/rlab/process.h), in-process: exit status, start failures, capture,
// timeouts that stop the whole group, and the SIGINT/SIGTERM guard.
#include "rlab/process.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "support/run.h"

namespace {

using rlab::ProcessResult;
using rlab::RunOptions;
using rlab::SignalGuard;

// A process that exists and is not a zombie.
bool alive(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Waits (up to 10 s) for `pid` to be gone.
bool gone(long pid) {
  for (int i = 0; i < 1000 && alive(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return !alive(pid);
}

void (*handler_of(int sig))(int) {
  struct sigaction now {};
  ::sigaction(sig, nullptr, &now);
  return now.sa_handler;
}

TEST(Process, ExitStatusAndCapture) {
  const ProcessResult r =
      rlab::run_process({"sh", "-c", "echo out; echo err >&2; exit 3"}, RunOptions{});
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(Process, ArgvIsNotParsedByAShell) {
  const ProcessResult r = rlab::run_process({"printf", "%s|", "a b", "$HOME", ";"}, RunOptions{});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "a b|$HOME|;|");
}

TEST(Process, StdinIsEmpty) {
  const ProcessResult r = rlab::run_process({"cat"}, RunOptions{});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

TEST(Process, ProgramThatCannotStart) {
  const ProcessResult r = rlab::run_process({"/nonexistent/rlab-objective"}, RunOptions{});
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.start_error, "No such file or directory");
  EXPECT_FALSE(rlab::run_process({}, RunOptions{}).started);
  const rlab::Child c = rlab::spawn({"rlab-no-such-program-on-path"}, rlab::SpawnOptions{});
  EXPECT_EQ(c.pid, -1);
  EXPECT_EQ(c.error, "No such file or directory");
}

TEST(Process, CaptureCapKeepsTheTail) {
  RunOptions o;
  o.capture_cap = 4;
  const ProcessResult r = rlab::run_process({"printf", "0123456789"}, o);
  EXPECT_EQ(r.out, "6789");
}

TEST(Process, SeveralAtOnceInOrder) {
  const auto results = rlab::run_processes(
      {{"sh", "-c", "sleep 0.2; echo first"}, {"echo", "second"}, {"sh", "-c", "kill -9 $$"}},
      RunOptions{});
  ASSERT_EQ(results.size(), 3U);
  EXPECT_EQ(results[0].out, "first\n");
  EXPECT_EQ(results[1].out, "second\n");
  EXPECT_EQ(results[2].signal, SIGKILL);
  EXPECT_EQ(results[2].exit_code, -1);
}

TEST(Process, TimeoutStopsTheWholeGroup) {
  RunOptions o;
  o.timeout_s = 0.3;
  // The shell prints the pid of a grandchild that would outlive it; the group goes together.
  const ProcessResult r = rlab::run_process({"sh", "-c", "sleep 30 & echo $!; wait"}, o);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
  const long grandchild = std::atol(r.out.c_str());
  ASSERT_GT(grandchild, 0) << r.out;
  EXPECT_TRUE(gone(grandchild));
}

TEST(Process, TimeoutWithoutGraceKills) {
  RunOptions o;
  o.timeout_s = 0.2;
  o.kill_after_s = 0;
  // SIGTERM is ignored here; SIGKILL at once is not.
  const ProcessResult r = rlab::run_process({"sh", "-c", "trap '' TERM; sleep 30"}, o);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
}

TEST(Process, SpawnInheritsOrSetsTheEnvironment) {
  rlab::test::TempDir dir;
  const std::string out = dir.path() + "/env";
  const std::vector<std::string> env = {"RLAB_PROCESS_TEST=yes"};
  rlab::SpawnOptions so;
  so.env = &env;
  so.program = "/bin/sh";
  const rlab::Child c =
      rlab::spawn({"sh", "-c", "echo \"$RLAB_PROCESS_TEST\" > '" + out + "'"}, so);
  ASSERT_GT(c.pid, 0) << c.error;
  int status = 0;
  ASSERT_EQ(::waitpid(c.pid, &status, 0), c.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "yes");
  EXPECT_EQ(::getpgid(c.pid), -1);  // reaped
}

TEST(Process, ChildHasItsOwnGroup) {
  const ProcessResult r = rlab::run_process({"sh", "-c", "ps -o pgid= -p $$"}, RunOptions{});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(std::atol(r.out.c_str()), static_cast<long>(::getpgrp()));
}

TEST(SignalGuard, RecordsAndRestores) {
  const auto before = handler_of(SIGINT);
  {
    SignalGuard guard(SignalGuard::Mode::kRecord);
    EXPECT_EQ(SignalGuard::signal(), 0);
    ::raise(SIGTERM);
    EXPECT_EQ(SignalGuard::signal(), SIGTERM);
    EXPECT_EQ(*SignalGuard::flag(), SIGTERM);
    ::raise(SIGINT);
    EXPECT_EQ(SignalGuard::signal(), SIGINT);
    EXPECT_NE(handler_of(SIGINT), SIG_DFL);  // still caught
  }
  EXPECT_EQ(handler_of(SIGINT), before);
  SignalGuard again(SignalGuard::Mode::kRecord);
  EXPECT_EQ(SignalGuard::signal(), 0);  // a new guard starts clean
}

TEST(SignalGuard, RecordOnceLetsTheSecondSignalThrough) {
  const auto before = handler_of(SIGINT);
  {
    SignalGuard guard(SignalGuard::Mode::kRecordOnce);
    ::raise(SIGINT);
    EXPECT_EQ(SignalGuard::signal(), SIGINT);
    EXPECT_EQ(handler_of(SIGINT), SIG_DFL);  // the next Ctrl-C ends the process
  }
  EXPECT_EQ(handler_of(SIGINT), before);
}

// kStopChildren, in a forked copy of this test (it ends by the signal): the objective sends
// SIGTERM to rlab; its group is stopped, the note printed, and rlab dies by SIGTERM.
TEST(SignalGuard, StopChildrenStopsTheGroupsAndEndsBySignal) {
  rlab::test::TempDir dir;
  const std::string pid_file = dir.path() + "/pid";
  const std::string err_file = dir.path() + "/stderr";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    SignalGuard guard(SignalGuard::Mode::kStopChildren);
    SignalGuard::set_note("rlab: note: stopped\n");
    RunOptions o;
    o.stop_on_interrupt = true;
    rlab::run_process(
        {"sh", "-c", "sleep 30 & echo $! > '" + pid_file + "'; kill -TERM $PPID; wait"}, o);
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  std::ifstream err(err_file);
  std::string line;
  std::getline(err, line);
  EXPECT_EQ(line, "rlab: note: stopped");
  std::ifstream pids(pid_file);
  long grandchild = 0;
  pids >> grandchild;
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(gone(grandchild));
}

}  // namespace
