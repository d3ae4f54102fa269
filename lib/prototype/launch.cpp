// The one-host launcher of data-parallel `rlab prototype` (what torchrun does, for one node).
#include "launch.h"

#include "rlab/process.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;

namespace rlab::prototype {

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw EnvironmentError(std::string("--nproc: socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw EnvironmentError("--nproc: no free TCP port on 127.0.0.1: " + why);
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Rank {
  pid_t pid = -1;
  bool running = false;
  int status = 0;
};

}  // namespace

std::vector<std::string> without_nproc(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;  // and its value
      continue;
    }
    if (args[i].rfind("--nproc=", 0) == 0) continue;
    out.push_back(args[i]);
  }
  return out;
}

ExitCode launch_local(const std::vector<std::string>& args, int nproc, double grace_s,
                      Context& ctx) {
  const int port = free_port();
  // The environment of every rank: ours, without stale rank variables, plus torchrun's.
  std::vector<std::string> base;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const std::string k = kv.substr(0, kv.find('='));
    if (k == "RANK" || k == "LOCAL_RANK" || k == "WORLD_SIZE" || k == "LOCAL_WORLD_SIZE" ||
        k == "MASTER_ADDR" || k == "MASTER_PORT") {
      continue;
    }
    base.push_back(kv);
  }
  std::vector<std::string> argv = args;
  argv[0] = "rlab";
  // Ranks have process groups of their own: a terminal's Ctrl-C reaches the launcher, which
  // passes it on once (a second SIGINT would kill a rank before it saves).
  const SignalGuard guard(SignalGuard::Mode::kRecord);
  SpawnOptions so;
  so.program = "/proc/self/exe";
  so.die_with_parent = true;

  std::vector<Rank> ranks(static_cast<std::size_t>(nproc));
  ctx.log.info("--nproc " + std::to_string(nproc) + ": ranks on 127.0.0.1:" + std::to_string(port));
  for (int r = 0; r < nproc; ++r) {
    std::vector<std::string> env_s = base;
    env_s.push_back("RANK=" + std::to_string(r));
    env_s.push_back("LOCAL_RANK=" + std::to_string(r));
    env_s.push_back("WORLD_SIZE=" + std::to_string(nproc));
    env_s.push_back("LOCAL_WORLD_SIZE=" + std::to_string(nproc));
    env_s.push_back("MASTER_ADDR=127.0.0.1");
    env_s.push_back("MASTER_PORT=" + std::to_string(port));
    so.env = &env_s;
    const Child child = spawn(argv, so);
    if (child.pid < 0) {
      for (auto& k : ranks) {
        if (k.running) ::kill(k.pid, SIGKILL);
      }
      throw EnvironmentError("--nproc: cannot start rank " + std::to_string(r) + ": " +
                             child.error);
    }
    ranks[static_cast<std::size_t>(r)] = {child.pid, true, 0};
  }

  using Clock = std::chrono::steady_clock;
  int running = nproc;
  int first_failed = -1;
  int forwarded = 0;
  Clock::time_point deadline{};
  int escalation = 0;  // 0 none, 1 SIGTERM sent, 2 SIGKILL sent
  while (running > 0) {
    if (SignalGuard::signal() != 0 && forwarded == 0) {
      forwarded = SignalGuard::signal();
      for (auto& k : ranks) {
        if (k.running) ::kill(k.pid, forwarded);
      }
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (int r = 0; r < nproc; ++r) {
        Rank& k = ranks[static_cast<std::size_t>(r)];
        if (k.pid != pid || !k.running) continue;
        k.running = false;
        k.status = status;
        --running;
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok && first_failed < 0) {
          first_failed = r;
          if (running > 0)
            deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(grace_s));
        }
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (first_failed >= 0 && running > 0 && Clock::now() > deadline && escalation < 2) {
      ++escalation;
      const int sig = escalation == 1 ? SIGTERM : SIGKILL;
      ctx.log.warn("--nproc: rank " + std::to_string(first_failed) + " failed; " +
                   (sig == SIGTERM ? "stopping" : "killing") + " the " + std::to_string(running) +
                   " rank(s) still running");
      for (auto& k : ranks) {
        if (k.running) ::kill(k.pid, sig);
      }
      deadline = Clock::now() + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto code_of = [](int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  };
  if (first_failed < 0) return static_cast<ExitCode>(code_of(ranks[0].status));
  const Rank& f = ranks[static_cast<std::size_t>(first_failed)];
  if (WIFSIGNALED(f.status)) {
    const int sig = WTERMSIG(f.status);
    if (forwarded != 0 && sig == forwarded) return ExitCode::kInterrupted;
    throw EnvironmentError("--nproc: rank " + std::to_string(first_failed) + " (pid " +
                           std::to_string(f.pid) + ") was killed by signal " + std::to_string(sig) +
                           " (" + strsignal(sig) + ")");
  }
  return static_cast<ExitCode>(WEXITSTATUS(f.status));
}

}  // namespace rlab::prototype
