#include "support/run.h"

#include "rlab/clock.h"
#include "rlab/commands.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace rlab::test {

pid_t start_rlab(const std::vector<std::string>& args, const std::string& err_file,
                 const std::vector<std::string>& env) {
  std::vector<std::string> argv = {RLAB_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    const int err =
        err_file.empty() ? devnull : ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(devnull, 1);
    ::dup2(err, 2);
    for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> c_args;
    for (const auto& a : argv) c_args.push_back(const_cast<char*>(a.c_str()));
    c_args.push_back(nullptr);
    ::execv(c_args[0], c_args.data());
    ::_exit(127);
  }
  return pid;
}

std::string wait_for_logged_step(const std::string& runs) {
  for (int i = 0; i < 1200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& n : list_dir(runs)) {
      if (!read_jsonl(runs + "/" + n + "/metrics.jsonl").empty()) return runs + "/" + n;
    }
  }
  return "";
}

RunResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      const std::string& input) {
  int out_pipe[2];
  int err_pipe[2];
  int in_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0 || ::pipe(in_pipe) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      ::close(fd);
    }
    for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execve(args[0], args.data(), environ);
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (!input.empty()) {
    const ssize_t n = ::write(in_pipe[1], input.data(), input.size());
    (void)n;
  }
  ::close(in_pipe[1]);
  RunResult r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open = 2;
  char buf[65536];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

RunResult run_rlab(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {RLAB_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, env);
}

namespace {

std::string current_dir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : std::string();
}

// The clock the binary would build with `env` added to this process's environment: the two
// variables are set only while Clock::from_environment reads them.
Clock clock_from(const std::vector<std::string>& env) {
  const char* const names[] = {"RLAB_NOW", "RLAB_TODAY"};
  std::optional<std::string> saved[2];
  for (int i = 0; i < 2; ++i) {
    if (const char* v = std::getenv(names[i])) saved[i] = v;
  }
  for (const auto& kv : env) {
    const std::string name = kv.substr(0, kv.find('='));
    if (name != names[0] && name != names[1]) {
      throw std::invalid_argument("run_inprocess: " + name +
                                  " is environment beyond the clock; use run_rlab");
    }
    ::setenv(name.c_str(), kv.substr(name.size() + 1).c_str(), 1);
  }
  const Clock clock = Clock::from_environment();
  for (int i = 0; i < 2; ++i) {
    if (saved[i]) {
      ::setenv(names[i], saved[i]->c_str(), 1);
    } else {
      ::unsetenv(names[i]);
    }
  }
  return clock;
}

// The handler only: setting any disposition through glibc adds SA_RESTORER to the flags the
// kernel reports back, so a handler put back as it was may not read back with the same flags.
bool same_handler(const struct sigaction& a, const struct sigaction& b) {
  return a.sa_handler == b.sa_handler;
}

}  // namespace

RunResult run_inprocess(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {"rlab"};
  argv.insert(argv.end(), args.begin(), args.end());
  const Clock clock = clock_from(env);
  const std::string cwd = current_dir();
  struct sigaction int_before {};
  struct sigaction term_before {};
  ::sigaction(SIGINT, nullptr, &int_before);
  ::sigaction(SIGTERM, nullptr, &term_before);
  std::ostringstream out;
  std::ostringstream err;
  RunResult r;
  r.code = run_app(argv, command_table(), out, err, clock);
  r.out = out.str();
  r.err = err.str();
  struct sigaction int_after {};
  struct sigaction term_after {};
  ::sigaction(SIGINT, nullptr, &int_after);
  ::sigaction(SIGTERM, nullptr, &term_after);
  if (current_dir() != cwd) {
    const int rc = ::chdir(cwd.c_str());
    (void)rc;
    throw std::logic_error("run_inprocess: rlab changed the working directory");
  }
  if (!same_handler(int_before, int_after) || !same_handler(term_before, term_after)) {
    throw std::logic_error("run_inprocess: rlab left a SIGINT/SIGTERM handler changed");
  }
  return r;
}

std::string source_path(const std::string& relative) {
  return std::string(RLAB_SOURCE_DIR) + "/" + relative;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/rlab-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  const std::string cmd = "rm -rf '" + path_ + "'";
  const int rc = std::system(cmd.c_str());
  (void)rc;
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string p = path_ + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

}  // namespace rlab::test
