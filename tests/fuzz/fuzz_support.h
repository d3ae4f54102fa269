// Shared pieces of the libFuzzer targets (tests/fuzz/*.cpp).
//
// A target feeds its input to one reader and expects either a result or an rlab::Error (the
// documented way every reader refuses bad input: "file:line:col: ..."). Any other exception
// escapes, libFuzzer reports it as a crash and saves the input; so do sanitizer reports.
#pragma once

#include "rlab/command.h"
#include "rlab/commands.h"
#include "rlab/error.h"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace rlab::fuzz {

inline std::string text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Runs `f`; an rlab::Error is an accepted outcome, everything else propagates.
template <class F>
void refuse_or_accept(F&& f) {
  try {
    f();
  } catch (const rlab::Error&) {
  }
}

/// Reads an input whose first byte picks the reader and whose rest is the text read:
/// `read(pick, text)` under refuse_or_accept. An empty input reads nothing. Returns 0, what
/// LLVMFuzzerTestOneInput returns.
template <class F>
int read_picked(const uint8_t* data, size_t size, F&& read) {
  if (size == 0) return 0;
  const std::string t = text(data + 1, size - 1);
  refuse_or_accept([&] { read(data[0], t); });
  return 0;
}

/// A private scratch directory for targets that must go through a file, made once per process.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string tmpl = "/tmp/rlab-fuzz-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    return tmpl;
  }();
  return dir;
}

inline std::string write_scratch(const std::string& name, const std::string& content) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

/// Runs the whole rlab app in-process; exit code 5 (an unexpected exception reached the top:
/// "internal error ... this is a bug") aborts so that libFuzzer keeps the input.
inline int run_app_or_abort(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = rlab::run_app(args, rlab::command_table(), out, err);
  if (code == static_cast<int>(rlab::ExitCode::kInternal)) {
    std::fprintf(stderr, "%s", err.str().c_str());
    std::abort();
  }
  return code;
}

}  // namespace rlab::fuzz
