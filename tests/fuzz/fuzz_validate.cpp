// libFuzzer target: validate's run-file readers (CSV long and wide, JSON, JSON Lines, YAML).
// The first byte picks the format, the rest is the file.
#include "rlab/validate.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kNames[] = {"runs.csv", "runs.json", "runs.jsonl", "runs.yaml"};
  const std::string name = kNames[data[0] % 4];
  rlab::fuzz::refuse_or_accept(
      [&] { (void)rlab::validate::parse_runs(rlab::fuzz::text(data + 1, size - 1), name); });
  return 0;
}
