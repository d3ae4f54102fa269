// Starting and supervising child processes (posix_spawn, or fork + exec, of an argv; no shell)
// and the one SIGINT/SIGTERM guard.
#include "rlab/process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace rlab {

namespace {

using Clock = std::chrono::steady_clock;

// What the handlers see: the mode of the innermost guard, the signal caught, the process groups
// to stop and the note. Only sig_atomic_t and buffers written before they are published.
volatile sig_atomic_t g_mode = 0;
volatile int g_signal = 0;

constexpr int kMaxGroups = 1024;
volatile sig_atomic_t g_groups[kMaxGroups];

// Two note buffers: the handler reads the one g_note names while the other is rewritten.
constexpr std::size_t kNoteCap = 1024;
char g_notes[2][kNoteCap];
std::size_t g_note_len[2] = {0, 0};
volatile sig_atomic_t g_note = -1;

extern "C" void on_guarded_signal(int sig) {
  if (g_mode != static_cast<int>(SignalGuard::Mode::kStopChildren)) {
    g_signal = sig;
    return;
  }
  for (int i = 0; i < kMaxGroups; ++i) {
    if (g_groups[i] > 0) ::kill(-static_cast<pid_t>(g_groups[i]), SIGTERM);
  }
  const int n = g_note;
  if (n >= 0) (void)!::write(STDERR_FILENO, g_notes[n], g_note_len[n]);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void remember_group(pid_t pid) {
  for (auto& g : g_groups) {
    if (g == 0) {
      g = pid;
      return;
    }
  }
}

void forget_group(pid_t pid) {
  for (auto& g : g_groups) {
    if (g == pid) g = 0;
  }
}

// posix_spawn: the cost does not grow with rlab's memory (no page tables are copied). An exec
// failure comes back as its result.
int spawn_posix(pid_t& pid, const std::vector<char*>& argv, char* const* env, const SpawnOptions& o,
                int out_w, int err_w) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (o.capture) {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, err_w, 2);
  } else {
    if (o.no_input) posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (o.quiet) posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t def;
  sigemptyset(&def);
  for (const int sig : {SIGINT, SIGTERM, SIGPIPE}) sigaddset(&def, sig);
  posix_spawnattr_setsigdefault(&attr, &def);
  const int rc = o.program.empty()
                     ? ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), env)
                     : ::posix_spawn(&pid, o.program.c_str(), &fa, &attr, argv.data(), env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc;
}

// fork and exec, for what posix_spawn cannot do: dying with the parent (PR_SET_PDEATHSIG). The
// child writes exec's errno to a close-on-exec pipe; end of file there means exec succeeded.
int fork_exec(pid_t& pid, const std::vector<char*>& argv, char* const* env, const SpawnOptions& o,
              int out_w, int err_w) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return errno;
  const pid_t parent = ::getpid();
  pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const int sig : {SIGINT, SIGTERM, SIGPIPE}) ::signal(sig, SIG_DFL);
    if (o.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
    }
    if (o.capture) {
      const int devnull = ::open("/dev/null", O_RDONLY);
      ::dup2(devnull, 0);
      ::dup2(out_w, 1);
      ::dup2(err_w, 2);
    } else {
      if (o.no_input) {
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::close(devnull);
      }
      if (o.quiet) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        ::close(devnull);
      }
    }
    if (!o.program.empty()) {
      ::execve(o.program.c_str(), argv.data(), env);
    } else {
      ::execvpe(argv[0], argv.data(), env);
    }
    const int e = errno;
    (void)!::write(report[1], &e, sizeof e);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    return fork_errno;
  }
  int exec_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(report[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got != static_cast<ssize_t>(sizeof exec_errno)) return 0;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pid = -1;
  return exec_errno;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what is available into `into` (the last `cap` bytes when cap > 0); closes the fd at end
// of file.
void drain(int& fd, std::string& into, std::size_t cap) {
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      if (cap > 0 && into.size() > cap) into.erase(0, into.size() - cap);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_fd(fd);
    return;
  }
}

struct Running {
  Child child;
  Clock::time_point start;
  bool term_sent = false;
  Clock::time_point term_at;
  bool exited = false;
};

// Reaps the children that exited and stops those past their time. True while one still runs.
bool supervise(std::vector<Running>& run, std::vector<ProcessResult>& results,
               const RunOptions& o) {
  bool alive = false;
  const auto now = Clock::now();
  for (std::size_t i = 0; i < run.size(); ++i) {
    Running& r = run[i];
    if (!results[i].started || r.exited) continue;
    int status = 0;
    if (::waitpid(r.child.pid, &status, WNOHANG) == r.child.pid) {
      r.exited = true;
      results[i].seconds = std::chrono::duration<double>(now - r.start).count();
      if (WIFEXITED(status)) results[i].exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) results[i].signal = WTERMSIG(status);
      // Whatever the group left behind (grandchildren holding the pipes) goes too.
      ::kill(-r.child.pid, SIGKILL);
      if (o.stop_on_interrupt) forget_group(r.child.pid);
      continue;
    }
    alive = true;
    const double age = std::chrono::duration<double>(now - r.start).count();
    if (o.timeout_s > 0 && age > o.timeout_s && !r.term_sent) {
      results[i].timed_out = true;
      r.term_sent = true;
      r.term_at = now;
      ::kill(-r.child.pid, o.kill_after_s > 0 ? SIGTERM : SIGKILL);
    } else if (r.term_sent &&
               std::chrono::duration<double>(now - r.term_at).count() > o.kill_after_s) {
      ::kill(-r.child.pid, SIGKILL);
    }
  }
  return alive;
}

}  // namespace

Child spawn(const std::vector<std::string>& args, const SpawnOptions& o) {
  Child c;
  if (args.empty()) {
    c.error = std::strerror(EINVAL);
    return c;
  }
  // Everything the child needs is built before it starts: it only makes system calls.
  std::vector<std::string> argv_s = args;
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  std::vector<char*> envp;
  if (o.env != nullptr) {
    env_s = *o.env;
    for (auto& kv : env_s) envp.push_back(kv.data());
    envp.push_back(nullptr);
  }
  char* const* env = o.env != nullptr ? envp.data() : environ;
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (o.capture && (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)) {
    c.error = std::strerror(errno);
    for (int* fd : {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1]}) close_fd(*fd);
    return c;
  }
  pid_t pid = -1;
  const int rc = o.die_with_parent ? fork_exec(pid, argv, env, o, out_pipe[1], err_pipe[1])
                                   : spawn_posix(pid, argv, env, o, out_pipe[1], err_pipe[1]);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  if (rc != 0) {
    c.error = std::strerror(rc);
    close_fd(out_pipe[0]);
    close_fd(err_pipe[0]);
    return c;
  }
  c.pid = pid;
  if (o.capture) {
    c.out_fd = out_pipe[0];
    c.err_fd = err_pipe[0];
    ::fcntl(c.out_fd, F_SETFL, O_NONBLOCK);
    ::fcntl(c.err_fd, F_SETFL, O_NONBLOCK);
  }
  return c;
}

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

int wait_exit(const Child& child) {
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<ProcessResult> run_processes(const std::vector<std::vector<std::string>>& jobs,
                                         const RunOptions& o) {
  std::vector<ProcessResult> results(jobs.size());
  std::vector<Running> run(jobs.size());
  SpawnOptions so;
  so.capture = true;
  // With stop_on_interrupt, a signal waits until the new group is on the list.
  sigset_t stops;
  sigset_t old_mask;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (o.stop_on_interrupt) ::pthread_sigmask(SIG_BLOCK, &stops, &old_mask);
    run[i].child = spawn(jobs[i], so);
    if (o.stop_on_interrupt) {
      if (run[i].child.pid > 0) remember_group(run[i].child.pid);
      ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    }
    if (run[i].child.pid < 0) {
      results[i].start_error = run[i].child.error;
      continue;
    }
    results[i].started = true;
    run[i].start = Clock::now();
  }
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::pair<std::size_t, int>> owner;  // job, 0 = out, 1 = err
    for (std::size_t i = 0; i < run.size(); ++i) {
      for (int which = 0; which < 2; ++which) {
        const int fd = which == 0 ? run[i].child.out_fd : run[i].child.err_fd;
        if (fd < 0) continue;
        fds.push_back({fd, POLLIN, 0});
        owner.emplace_back(i, which);
      }
    }
    const bool alive = supervise(run, results, o);
    if (fds.empty() && !alive) break;
    if (fds.empty()) {
      ::usleep(2000);
      continue;
    }
    const int pr = ::poll(fds.data(), fds.size(), 20);
    if (pr < 0 && errno != EINTR) break;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      const auto [i, which] = owner[k];
      if (which == 0) {
        drain(run[i].child.out_fd, results[i].out, o.capture_cap);
      } else {
        drain(run[i].child.err_fd, results[i].err, o.capture_cap);
      }
    }
  }
  return results;
}

ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options) {
  return run_processes({argv}, options).front();
}

SignalGuard::SignalGuard(Mode mode) {
  if (mode != Mode::kStopChildren) g_signal = 0;
  old_mode_ = g_mode;
  g_mode = static_cast<int>(mode);
  struct sigaction sa {};
  sa.sa_handler = on_guarded_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = mode == Mode::kRecordOnce ? SA_RESETHAND : 0;  // a second signal kills at once
  ::sigaction(SIGINT, &sa, &old_int_);
  ::sigaction(SIGTERM, &sa, &old_term_);
}

SignalGuard::~SignalGuard() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  g_mode = old_mode_;
}

int SignalGuard::signal() { return g_signal; }

const volatile int* SignalGuard::flag() { return &g_signal; }

void SignalGuard::set_note(const std::string& note) {
  const int next = g_note == 0 ? 1 : 0;
  const std::size_t n = std::min(note.size(), kNoteCap);
  std::memcpy(g_notes[next], note.data(), n);
  g_note_len[next] = n;
  g_note = next;
}

void SignalGuard::clear_note() { g_note = -1; }

}  // namespace rlab
