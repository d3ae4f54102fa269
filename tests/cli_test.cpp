// In-process tests of the app: the command table, global flags and error mapping, with
// captured streams (no subprocess).
#include "rlab/commands.h"
#include "rlab/error.h"
#include "rlab/train.h"

#include <gtest/gtest.h>

#include <sstream>

#include "support/run.h"

namespace rlab {
namespace {

struct Captured {
  int code;
  std::string out;
  std::string err;
};

Captured run(std::vector<std::string> args, const std::vector<Command>& table = command_table()) {
  args.insert(args.begin(), "rlab");
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_app(args, table, out, err);
  return {code, out.str(), err.str()};
}

TEST(CliApp, NonTrainingCommandsDoNotLoadTheTrainingCore) {
  const Captured c = run({"prioritize", test::source_path("configs/examples/prioritize.yaml")});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_FALSE(train::core_loaded());
}

TEST(CliApp, ErrorsMapToExitCodes) {
  auto table_with = [](std::function<ExitCode()> body) {
    std::vector<Command> t = {{"boom", "throws", [body](CLI::App&, Context&) { return body; }}};
    return t;
  };
  EXPECT_EQ(
      run({"boom"}, table_with([]() -> ExitCode { throw InputError("f.yaml:1:2: bad"); })).code, 3);
  EXPECT_EQ(run({"boom"}, table_with([]() -> ExitCode { throw EnvironmentError("net"); })).code, 4);
  EXPECT_EQ(run({"boom"}, table_with([]() -> ExitCode { throw UsageError("u"); })).code, 2);
  const Captured bug =
      run({"boom"}, table_with([]() -> ExitCode { throw std::logic_error("oops"); }));
  EXPECT_EQ(bug.code, 5);
  EXPECT_EQ(bug.err, "rlab: error: internal error: oops (this is a bug; please report it)\n");
  EXPECT_EQ(run({"boom"}, table_with([] { return ExitCode::kNo; })).code, 1);
  const Captured in =
      run({"boom"}, table_with([]() -> ExitCode { throw InputError("f.yaml:1:2: bad"); }));
  EXPECT_EQ(in.err, "rlab: error: f.yaml:1:2: bad\n");
  EXPECT_EQ(in.out, "");
}

TEST(CliApp, QuietSilencesWarningsButNotErrors) {
  test::TempDir dir;
  const std::string plan = dir.write(
      "p.yaml",
      "capacity: 1\nchallenges:\n  - {id: a, impact: 1, difficulty: 1, effort: 5, moscow: must}\n");
  const Captured loud = run({"prioritize", plan});
  EXPECT_NE(loud.err.find("rlab: warning: must-have effort 5 is 500% of capacity 1"),
            std::string::npos)
      << loud.err;
  const Captured quiet = run({"-q", "prioritize", plan});
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet.code, 0);
}

TEST(CliApp, ColourOnlyOnTtyAndNeverWithNoColor) {
  std::ostringstream out;
  std::ostringstream err;
  run_app({"rlab", "prioritize", "/nonexistent.yaml"}, command_table(), out, err, false, true);
  const bool has_escape = err.str().find('\033') != std::string::npos;
  const char* no_color = std::getenv("NO_COLOR");
  EXPECT_EQ(has_escape, no_color == nullptr || *no_color == '\0');
  std::ostringstream err2;
  run_app({"rlab", "--no-color", "prioritize", "/nonexistent.yaml"}, command_table(), out, err2,
          false, true);
  EXPECT_EQ(err2.str().find('\033'), std::string::npos);
}

}  // namespace
}  // namespace rlab
