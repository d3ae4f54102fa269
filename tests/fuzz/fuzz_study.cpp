// libFuzzer target: the bayesopt study file (JSON Lines: meta line, trials, asks), read as
// `rlab bayesopt tell` reads it (meta, space, every trial and ask, hedge state), in-process.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = rlab::fuzz::write_scratch("study.jsonl", rlab::fuzz::text(data, size));
  rlab::fuzz::run_app_or_abort(
      {"rlab", "bayesopt", "tell", "--study", path, "--ask", "0", "--value", "1.5"});
  return 0;
}
