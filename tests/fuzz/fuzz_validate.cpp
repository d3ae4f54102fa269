// libFuzzer target: validate's run-file readers (CSV long and wide, JSON, JSON Lines, YAML).
// The first byte picks the format, the rest is the file.
#include "rlab/validate.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kNames[] = {"runs.csv", "runs.json", "runs.jsonl", "runs.yaml"};
  return rlab::fuzz::read_picked(data, size, [](uint8_t pick, const std::string& t) {
    (void)rlab::validate::parse_runs(t, kNames[pick % 4]);
  });
}
