// Runs the built rlab binary (or another program) and captures its output and exit code.
#pragma once

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace rlab::test {

struct RunResult {
  int code = -1;  ///< Exit status, or 128 + signal.
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] is a path) with extra environment variables `env` ("K=V") and
/// `input` on stdin.
RunResult run_program(const std::vector<std::string>& argv,
                      const std::vector<std::string>& env = {}, const std::string& input = "");

/// Runs the rlab binary under test with `args`.
RunResult run_rlab(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

/// Starts the rlab binary under test with `args` and returns at once with its process id (the
/// caller waits for it): stdout goes to /dev/null, stderr to `err_file` (/dev/null when ""),
/// with extra environment variables `env` ("K=V").
pid_t start_rlab(const std::vector<std::string>& args, const std::string& err_file = "",
                 const std::vector<std::string>& env = {});

/// Waits (60 s at the most) until a run under `runs` has logged a metrics line; its directory,
/// or "" when none did.
std::string wait_for_logged_step(const std::string& runs);

/// Runs rlab in this process through its entry point (run_app with the command table, as
/// apps/rlab/main.cpp does, neither stream a terminal), without starting a process. `env` may
/// name only the clock, RLAB_NOW and RLAB_TODAY ("K=V"), read as the binary reads them (a
/// malformed value is the same usage error); any other variable throws, as does a run that
/// leaves the working directory or the SIGINT/SIGTERM handlers changed. For commands that read
/// no stdin, start no child process and take no signal: the rest go through run_rlab.
RunResult run_inprocess(const std::vector<std::string>& args,
                        const std::vector<std::string>& env = {});

/// Whether `text` begins with `prefix`.
inline bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// Absolute path of a file in the source tree.
std::string source_path(const std::string& relative);

/// A fresh temporary directory, removed with everything inside when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  /// Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

/// A whole file, byte for byte; "" when it cannot be read.
std::string slurp(const std::string& path);

/// The lines of a JSON Lines file, each parsed (a line that is not JSON throws); none when the
/// file cannot be read.
std::vector<nlohmann::json> read_jsonl(const std::string& path);

/// Files in `dir` (names only, sorted).
std::vector<std::string> list_dir(const std::string& dir);

}  // namespace rlab::test
