// Every runnable example under configs/examples/ must load and run, so none can rot.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "support/run.h"

namespace rlab::test {
namespace {

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(ConfigsExamples, EveryExampleRuns) {
  const std::string dir = source_path("configs/examples");
  const auto files = list_dir(dir);
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    if (is_directory(dir + "/" + f)) {
      // A directory <command>/ holds its data and <command>.yaml, run as
      // `rlab <command> --config <command>/<command>.yaml`.
      const RunResult r =
          run_rlab({f, "--config", dir + "/" + f + "/" + f + ".yaml", "--format", "json"});
      EXPECT_EQ(r.code, 0) << f << "/: " << r.err;
      continue;
    }
    // <command>.yaml, or <command>_<variant>.yaml.
    const std::string command = f.substr(0, f.find_first_of("_."));
    const RunResult r = run_rlab({command, dir + "/" + f, "--format", "json"});
    EXPECT_EQ(r.code, 0) << f << ": " << r.err;
  }
}

}  // namespace
}  // namespace rlab::test
