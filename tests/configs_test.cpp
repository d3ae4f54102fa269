// Every runnable example under configs/examples/ must load and run, so none can rot.
#include <gtest/gtest.h>

#include "support/run.h"

namespace rlab::test {
namespace {

TEST(ConfigsExamples, EveryExampleRuns) {
  const std::string dir = source_path("configs/examples");
  const auto files = list_dir(dir);
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    // <command>.yaml, or <command>_<variant>.yaml.
    const std::string command = f.substr(0, f.find_first_of("_."));
    std::vector<std::string> args = {command, dir + "/" + f, "--format", "json"};
    // prototype trains (the quick check, a few seconds) and writes a run record: keep it out of
    // the source and build trees.
    TempDir runs;
    if (command == "prototype") args.insert(args.end(), {"--out", runs.path()});
    const RunResult r = run_rlab(args);
    EXPECT_EQ(r.code, 0) << f << ": " << r.err;
  }
}

}  // namespace
}  // namespace rlab::test
