// Every runnable example under configs/examples/ must load and run, so none can rot.
#include "rlab/files.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <memory>

#include "support/lit_server.h"
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
  // lit-search examples would go online: they run against a loopback stand-in for the APIs,
  // with a private cache.
  std::unique_ptr<FakeScholar> scholar;
  TempDir home;
  for (const auto& f : files) {
    if (is_directory(dir + "/" + f)) {
      // A directory <command>/ holds its data and <command>.yaml, run as
      // `rlab <command> --config <command>/<command>.yaml`.
      const RunResult r =
          run_inprocess({f, "--config", dir + "/" + f + "/" + f + ".yaml", "--format", "json"});
      EXPECT_EQ(r.code, 0) << f << "/: " << r.err;
      continue;
    }
    // <command>.yaml, or <command>_<variant>.yaml.
    const std::string command = f.substr(0, f.find_first_of("_."));
    std::vector<std::string> env;
    if (command == "lit-search") {
      if (!scholar) scholar = std::make_unique<FakeScholar>(FakeScholar::make_corpus(300));
      env = {"RLAB_HOME=" + home.path(), "RLAB_S2_API_BASE=" + scholar->s2_base(),
             "RLAB_OPENALEX_API_BASE=" + scholar->openalex_base()};
    }
    std::vector<std::string> args = {command, dir + "/" + f, "--format", "json"};
    // prototype trains (the quick check, a few seconds) and writes a run record: keep it out of
    // the source and build trees.
    TempDir runs;
    if (command == "prototype") args.insert(args.end(), {"--out", runs.path()});
    // A bayesopt search whose objective is a prototype run trains too.
    const bool trains = command == "prototype" ||
                        read_file(dir + "/" + f).find("type: prototype") != std::string::npos;
    if (trains && command == "bayesopt") {
      args.insert(args.end(), {"--set", "bayesopt.objective.runs=" + runs.path()});
    }
    // In this process unless the run needs the environment or starts children (training, a
    // bayesopt objective command).
    const bool in_process = env.empty() && !trains && command != "bayesopt";
    const RunResult r = in_process ? run_inprocess(args) : run_rlab(args, env);
    if (trains && !RLAB_HAVE_TRAIN) {
      // A build without the training core (preset asan) says so with exit 4.
      EXPECT_EQ(r.code, 4) << f << ": " << r.err;
      continue;
    }
    EXPECT_EQ(r.code, 0) << f << ": " << r.err;
    if (command == "lit-search") {
      EXPECT_FALSE(scholar->requests().empty()) << f << " did not reach the loopback server";
      for (const auto& req : scholar->requests()) {
        EXPECT_EQ(req.path.rfind("/graph/v1/", 0) == 0 || req.path == "/works", true) << req.path;
      }
    }
  }
}

}  // namespace
}  // namespace rlab::test
