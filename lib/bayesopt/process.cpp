#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace rlab::bayesopt {

namespace {

constexpr std::size_t kCap = 1 << 20;

using Clock = std::chrono::steady_clock;

struct Running {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
  Clock::time_point start;
  bool term_sent = false;
  Clock::time_point term_at;
  bool exited = false;
};

// Process groups of running objectives, so that SIGINT/SIGTERM to rlab stops them too (they
// are in groups of their own, out of reach of the terminal's Ctrl-C).
constexpr int kMaxGroups = 1024;
volatile sig_atomic_t g_groups[kMaxGroups];
volatile sig_atomic_t g_count = 0;

// Two note buffers: the handler reads the one g_note names while the other is rewritten.
constexpr std::size_t kNoteCap = 1024;
char g_notes[2][kNoteCap];
std::size_t g_note_len[2] = {0, 0};
volatile sig_atomic_t g_note = -1;

void on_signal(int sig) {
  for (int i = 0; i < g_count; ++i) {
    if (g_groups[i] > 0) kill(-static_cast<pid_t>(g_groups[i]), SIGTERM);
  }
  const int n = g_note;
  if (n >= 0) {
    const ssize_t w = write(STDERR_FILENO, g_notes[n], g_note_len[n]);
    (void)w;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

struct SignalGuard {
  struct sigaction old_int {};
  struct sigaction old_term {};
  SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    g_count = 0;
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
};

void append_capped(std::string& s, const char* data, std::size_t n) {
  s.append(data, n);
  if (s.size() > kCap) s.erase(0, s.size() - kCap);
}

// Reads what is available; closes and resets the fd at end of file.
void drain(int& fd, std::string& into) {
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      append_capped(into, buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close(fd);
    fd = -1;
    return;
  }
}

}  // namespace

std::vector<ProcessResult> run_processes(const std::vector<std::vector<std::string>>& jobs,
                                         double timeout_s) {
  std::vector<ProcessResult> results(jobs.size());
  std::vector<Running> run(jobs.size());
  const SignalGuard guard;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    int out_pipe[2];
    int err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
      results[i].start_error = std::strerror(errno);
      continue;
    }
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
      results[i].start_error = std::strerror(errno);
      close(out_pipe[0]);
      close(out_pipe[1]);
      continue;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &def);
    std::vector<char*> argv;
    for (const auto& a : jobs[i]) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc =
        jobs[i].empty() ? EINVAL : posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
      results[i].start_error = std::strerror(rc);
      close(out_pipe[0]);
      close(err_pipe[0]);
      continue;
    }
    results[i].started = true;
    if (g_count < kMaxGroups) {
      g_groups[g_count] = pid;
      g_count = g_count + 1;
    }
    run[i].pid = pid;
    run[i].out_fd = out_pipe[0];
    run[i].err_fd = err_pipe[0];
    fcntl(run[i].out_fd, F_SETFL, O_NONBLOCK);
    fcntl(run[i].err_fd, F_SETFL, O_NONBLOCK);
    run[i].start = Clock::now();
  }

  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::pair<std::size_t, int>> owner;  // job, 0 = out, 1 = err
    bool any_alive = false;
    for (std::size_t i = 0; i < run.size(); ++i) {
      if (!results[i].started) continue;
      if (run[i].out_fd >= 0) {
        fds.push_back({run[i].out_fd, POLLIN, 0});
        owner.emplace_back(i, 0);
      }
      if (run[i].err_fd >= 0) {
        fds.push_back({run[i].err_fd, POLLIN, 0});
        owner.emplace_back(i, 1);
      }
      if (!run[i].exited) any_alive = true;
    }
    if (fds.empty() && !any_alive) break;
    // Reap exited children, enforce deadlines.
    const auto now = Clock::now();
    for (std::size_t i = 0; i < run.size(); ++i) {
      if (!results[i].started || run[i].exited) continue;
      int status = 0;
      const pid_t w = waitpid(run[i].pid, &status, WNOHANG);
      if (w == run[i].pid) {
        run[i].exited = true;
        results[i].seconds = std::chrono::duration<double>(now - run[i].start).count();
        if (WIFEXITED(status)) results[i].exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) results[i].signal = WTERMSIG(status);
        // Whatever the group left behind (grandchildren holding the pipes) goes too.
        kill(-run[i].pid, SIGKILL);
        continue;
      }
      const double age = std::chrono::duration<double>(now - run[i].start).count();
      if (timeout_s > 0 && age > timeout_s && !run[i].term_sent) {
        results[i].timed_out = true;
        run[i].term_sent = true;
        run[i].term_at = now;
        kill(-run[i].pid, SIGTERM);
      } else if (run[i].term_sent &&
                 std::chrono::duration<double>(now - run[i].term_at).count() > 1.0) {
        kill(-run[i].pid, SIGKILL);
      }
    }
    if (fds.empty()) {
      usleep(2000);
      continue;
    }
    const int pr = poll(fds.data(), fds.size(), 20);
    if (pr < 0 && errno != EINTR) break;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      const auto [i, which] = owner[k];
      if (which == 0) {
        drain(run[i].out_fd, results[i].out);
      } else {
        drain(run[i].err_fd, results[i].err);
      }
    }
  }
  return results;
}

struct sigaction g_note_old_int {};
struct sigaction g_note_old_term {};

InterruptNote::InterruptNote() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_note_old_int);
  sigaction(SIGTERM, &sa, &g_note_old_term);
}

InterruptNote::~InterruptNote() {
  g_note = -1;
  sigaction(SIGINT, &g_note_old_int, nullptr);
  sigaction(SIGTERM, &g_note_old_term, nullptr);
}

void InterruptNote::set(const std::string& note) {
  const int next = g_note == 0 ? 1 : 0;
  const std::size_t n = std::min(note.size(), kNoteCap);
  std::memcpy(g_notes[next], note.data(), n);
  g_note_len[next] = n;
  g_note = next;
}

}  // namespace rlab::bayesopt
