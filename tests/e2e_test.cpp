// The app through its entry point: in-process (run_inprocess, the same run_app the binary calls)
// for the commands and their outputs, and the built binary (run_rlab) for help, version, doctor,
// completion and a few exit codes, checking stdout, stderr and exit codes.
#include "rlab/text.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;

const std::string kExample = source_path("configs/examples/prioritize.yaml");

std::string data(const std::string& name) { return source_path("tests/data/prioritize/" + name); }

TEST(E2eHelp, ListsEveryCommandFromTheTable) {
  const RunResult r = run_rlab({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* cmd : {"prioritize", "doctor", "completion"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  }
  EXPECT_NE(r.out.find("rank technical challenges"), std::string::npos);
  EXPECT_EQ(r.err, "");
}

TEST(E2eHelp, NoCommandIsAUsageError) {
  const RunResult r = run_rlab({});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("prioritize"), std::string::npos);
}

TEST(E2eUsage, UnknownCommandSuggestsTheClosest) {
  const RunResult r = run_inprocess({"prioritze", "x.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "rlab: error: unknown command 'prioritze' (did you mean 'prioritize'?); run 'rlab "
            "--help' for the list\n");
  EXPECT_EQ(r.out, "");
}

TEST(E2eUsage, UnknownFlagAndBadFormatAreExitTwo) {
  EXPECT_EQ(run_rlab({"prioritize", kExample, "--frobnicate"}).code, 2);
  const RunResult r = run_rlab({"prioritize", kExample, "--format", "xml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown format 'xml'"), std::string::npos);
  EXPECT_EQ(run_rlab({"doctor", "--no-train", "--format", "dot"}).code, 2);
  EXPECT_EQ(run_rlab({"prioritize", kExample, "--model", "rise"}).code, 2);
  EXPECT_EQ(run_rlab({"prioritize"}).code, 2);
}

TEST(E2eVersion, PrintsVersionAndCommit) {
  const RunResult r = run_rlab({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("rlab 0.1.0 (commit ", 0), 0U) << r.out;
}

TEST(E2ePrioritize, LabExampleJson) {
  const RunResult r = run_inprocess({"prioritize", kExample, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["model"], "ratio");
  EXPECT_EQ(j["ranking"], json({"cycle-life", "electrolyte", "electrode", "cost-control"}));
  EXPECT_EQ(j["execution_order"], json({"electrode", "electrolyte", "cycle-life", "cost-control"}));
  EXPECT_EQ(j["ready"], json({"electrode"}));
  const std::vector<double> expected = {7.0 / 6, 8.0 / 7, 9.0 / 8, 6.0 / 9};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_DOUBLE_EQ(j["challenges"][i]["score"].get<double>(), expected[i]);
    EXPECT_EQ(j["challenges"][i]["rank"], i + 1);
  }
  EXPECT_EQ(j["schedule"]["critical_path"], json({"electrode", "electrolyte", "cycle-life"}));
}

TEST(E2ePrioritize, LabExampleTablePrintsRankingInOrder) {
  const RunResult r = run_rlab({"prioritize", kExample});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto a = r.out.find("1.167  blocked");
  const auto b = r.out.find("1.143  blocked");
  const auto c = r.out.find("1.125  ready");
  const auto d = r.out.find("0.667  blocked");
  EXPECT_TRUE(a < b && b < c && c < d) << r.out;
  EXPECT_NE(r.out.find("execution order: electrode -> electrolyte -> cycle-life -> cost-control"),
            std::string::npos);
}

TEST(E2ePrioritize, ExplainShowsTerms) {
  const RunResult r = run_inprocess({"prioritize", kExample, "--explain"});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("electrode: impact / (difficulty + 1) = 9 / (7 + 1) = 1.125"),
            std::string::npos)
      << r.out;
}

TEST(E2ePrioritize, GlobalFlagsWorkBeforeAndAfterTheCommand) {
  const RunResult a = run_inprocess({"--format", "json", "prioritize", kExample});
  const RunResult b = run_inprocess({"prioritize", kExample, "--format", "json"});
  EXPECT_EQ(a.code, 0);
  EXPECT_EQ(a.out, b.out);
}

TEST(E2ePrioritize, SetOverridesTheFile) {
  const RunResult r = run_inprocess({"prioritize", kExample, "--format", "json", "--set",
                                     "challenges.3.impact=10", "--set", "model=ratio-risk", "--set",
                                     "challenges.0.risk=1", "--model", "ratio"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["model"], "ratio");  // the flag wins over --set and the file
  for (const auto& c : j["challenges"]) {
    if (c["id"] == "cost-control") {
      EXPECT_DOUBLE_EQ(c["score"].get<double>(), 10.0 / 9);
    }
  }
  const RunResult bad = run_inprocess({"prioritize", kExample, "--set", "challenges.0.impact=12"});
  EXPECT_EQ(bad.code, 3);
  EXPECT_EQ(bad.err,
            "rlab: error: --set challenges.0.impact=12: 'challenges.0.impact' is 12, must be "
            "between 0 and 10\n");
}

TEST(E2ePrioritize, ExperimentFileAndStatuses) {
  const RunResult r =
      run_inprocess({"--config", data("experiment.yaml"), "prioritize", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["ranking"], json({"a", "b"}));
  EXPECT_EQ(j["ready"], json({"a"}));
  EXPECT_EQ(j["blocked"], json({"b"}));
  EXPECT_EQ(j["challenges"][2]["id"], "c");
  EXPECT_EQ(j["challenges"][2]["rank"], nullptr);
  EXPECT_EQ(j["schedule"], nullptr);
}

TEST(E2ePrioritize, CsvMdDotMermaid) {
  const RunResult csv = run_inprocess({"prioritize", kExample, "--format", "csv"});
  ASSERT_EQ(csv.code, 0);
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "rank,id,title,score,state,order,status,blocked_by,depends_on,moscow,due,tags,te,sd,"
            "es,ef,slack,critical");
  EXPECT_NE(csv.out.find("1,cycle-life,Cycle-life testing,1.167,blocked,3,todo,electrolyte"),
            std::string::npos);
  const RunResult md = run_inprocess({"prioritize", kExample, "--format", "md"});
  EXPECT_NE(md.out.find("| 1 | cycle-life | Cycle-life testing | 1.167 | blocked |"),
            std::string::npos)
      << md.out;
  const RunResult dot = run_inprocess({"prioritize", kExample, "--format", "dot"});
  EXPECT_EQ(dot.out.rfind("digraph prioritize {", 0), 0U);
  EXPECT_NE(dot.out.find("\"electrode\" -> \"electrolyte\";"), std::string::npos);
  EXPECT_NE(dot.out.find("\"cost-control\" [label=\"cost-control\\nCost control\\nscore 0.667\", "
                         "color=\"#d97706\", style=\"rounded,dashed\"]"),
            std::string::npos)
      << dot.out;
  EXPECT_NE(dot.out.find("color=\"#dc2626\""), std::string::npos);
  const RunResult mm = run_inprocess({"prioritize", kExample, "--format", "mermaid"});
  EXPECT_EQ(mm.out.rfind("flowchart LR\n", 0), 0U);
  EXPECT_NE(mm.out.find("  n0 --> n1\n"), std::string::npos);
  EXPECT_NE(mm.out.find("  class n1,n2,n3 blocked\n"), std::string::npos) << mm.out;
  EXPECT_NE(mm.out.find("  class n0,n1,n2 critical\n"), std::string::npos) << mm.out;
}

TEST(E2ePrioritize, DotIsValidGraphviz) {
  if (run_program({"/bin/sh", "-c", "command -v dot"}).code != 0) GTEST_SKIP() << "no graphviz";
  TempDir dir;
  const std::string f = dir.path() + "/g.dot";
  ASSERT_EQ(run_inprocess({"prioritize", kExample, "--format", "dot", "-o", f}).code, 0);
  EXPECT_EQ(run_program({"/bin/sh", "-c", "dot -Tsvg '" + f + "' > /dev/null"}).code, 0);
}

TEST(E2ePrioritize, NewlinesAndWideTitlesInEveryTextFormat) {
  TempDir dir;
  const std::string plan =
      dir.write("p.yaml",
                "version: 1\nchallenges:\n"
                "  - {id: a, title: \"two\\nlines\\tand a bell\\a\", impact: 9, difficulty: 1}\n"
                "  - {id: b, title: \"深層学習の電池\", impact: 5, difficulty: 4}\n");
  const RunResult table = run_inprocess({"prioritize", plan});
  ASSERT_EQ(table.code, 0) << table.err;
  // One line per challenge, the wide title padded by its display width (2 columns a character).
  std::vector<std::string> lines;
  for (std::size_t p = 0, q; (q = table.out.find('\n', p)) != std::string::npos; p = q + 1)
    lines.push_back(table.out.substr(p, q - p));
  ASSERT_GE(lines.size(), 4U) << table.out;
  EXPECT_NE(lines[2].find("two\\nlines\\tand a bell\\x07"), std::string::npos) << table.out;
  // The rows end with the right-aligned "order" column ("blocked by" is empty): the same
  // display width for both, the header's less its "  blocked by".
  EXPECT_EQ(display_width(lines[2]), display_width(lines[0]) - 12) << table.out;
  EXPECT_EQ(display_width(lines[3]), display_width(lines[0]) - 12) << table.out;
  const RunResult md = run_inprocess({"prioritize", plan, "--format", "md"});
  EXPECT_NE(md.out.find("two<br>lines\\tand a bell\\x07"), std::string::npos) << md.out;
  const RunResult mm = run_inprocess({"prioritize", plan, "--format", "mermaid"});
  EXPECT_NE(mm.out.find("[\"a<br/>two<br/>lines and a bell <br/>score"), std::string::npos)
      << mm.out;
  const RunResult dot = run_inprocess({"prioritize", plan, "--format", "dot"});
  EXPECT_NE(dot.out.find("label=\"a\\ntwo\\nlines and a bell \\nscore"), std::string::npos)
      << dot.out;
  const RunResult csv = run_inprocess({"prioritize", plan, "--format", "csv"});
  EXPECT_NE(csv.out.find(",\"two\nlines\tand a bell\a\","), std::string::npos) << csv.out;
}

TEST(E2ePrioritize, OutputFileIsWrittenAtomically) {
  TempDir dir;
  const std::string f = dir.path() + "/plan.json";
  const RunResult r = run_inprocess({"prioritize", kExample, "--format", "json", "-o", f});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "");
  std::ifstream in(f);
  json parsed;
  EXPECT_NO_THROW(parsed = json::parse(in));
  EXPECT_EQ(parsed["model"], "ratio");
  // A failing run leaves an existing output untouched and no temporary file behind.
  const std::string before = run_inprocess({"prioritize", kExample, "--format", "json"}).out;
  EXPECT_EQ(run_inprocess({"prioritize", data("cycle.yaml"), "-o", f}).code, 3);
  std::ifstream again(f);
  std::string content((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, before);
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"plan.json"});
  // An unwritable destination is an environment error (exit 4), not a crash.
  EXPECT_EQ(run_rlab({"prioritize", kExample, "-o", dir.path() + "/no/such/dir/x"}).code, 4);
}

struct BadInput {
  const char* file;
  const char* model;  // extra --model, or ""
  const char* expected_err;
};

class E2eBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(E2eBadInput, ExitThreeWithLocation) {
  const BadInput& b = GetParam();
  std::vector<std::string> args = {"prioritize", data(b.file)};
  if (*b.model != '\0') args.insert(args.end(), {"--model", b.model});
  const RunResult r = run_inprocess(args);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "");
  const std::string prefix = "rlab: error: " + data(b.file);
  EXPECT_EQ(r.err.rfind(prefix, 0), 0U) << r.err;
  EXPECT_EQ(r.err.substr(0, r.err.find('\n') + 1), prefix + b.expected_err) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Prioritize, E2eBadInput,
    ::testing::Values(
        BadInput{"missing.yaml", "", ": cannot read: No such file or directory\n"},
        BadInput{"syntax_error.yaml", "",
                 ":5:1: yaml syntax error: end of sequence flow not found\n"},
        BadInput{"unknown_key.yaml", "",
                 ":5:5: unknown key 'dificulty' in 'challenges.0' (did you mean 'difficulty'?)\n"},
        BadInput{"duplicate_id.yaml", "",
                 ":3:10: duplicate challenge id 'a' (first at " RLAB_SOURCE_DIR
                 "/tests/data/prioritize/duplicate_id.yaml:2:10)\n"},
        BadInput{"unknown_dependency.yaml", "",
                 ":6:18: challenge 'electrolyte' depends on unknown challenge 'electrod' (did you "
                 "mean 'electrode'?)\n"},
        BadInput{"self_dependency.yaml", "", ":5:18: challenge 'a' depends on itself\n"},
        BadInput{"cycle.yaml", "",
                 ":2:52: dependency cycle: a -> b -> c -> a (each depends on the next)\n"},
        BadInput{"out_of_range.yaml", "",
                 ":3:13: 'challenges.0.impact' is 11, must be between 0 and 10\n"},
        BadInput{"wrong_type.yaml", "",
                 ":3:13: 'challenges.0.impact' must be a number, got 'high'\n"},
        BadInput{"zero_effort.yaml", "", ":3:60: 'challenges.0.effort' is 0, must be > 0\n"},
        BadInput{"negative_effort.yaml", "",
                 ":5:17: 'challenges.0.effort.o' is -1, must be between 0 and 1000000000\n"},
        BadInput{"risk_zero.yaml", "",
                 ":3:9: challenge 'a' has risk 0; model 'ratio-risk' divides by difficulty x risk, "
                 "so risk must be > 0\n"},
        BadInput{"out_of_range.yaml", "",
                 ":3:13: 'challenges.0.impact' is 11, must be between 0 and 10\n"},
        BadInput{"empty_list.yaml", "", ":2:13: the challenge list is empty\n"}),
    [](const ::testing::TestParamInfo<BadInput>& param) {
      std::string name = param.param.file;
      name = name.substr(0, name.find('.'));
      std::string out;
      bool upper = true;
      for (char c : name) {
        if (c == '_') {
          upper = true;
        } else {
          out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
          upper = false;
        }
      }
      return out + std::to_string(param.index);
    });

TEST(E2ePrioritize, CycleReportSuggestsAnEdge) {
  const RunResult r = run_inprocess({"prioritize", data("cycle.yaml")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("rlab: note: to break 1 cycle, drop 'a' from the depends_on of 'c' (" +
                       data("cycle.yaml") + ":4:52)"),
            std::string::npos)
      << r.err;
}

TEST(E2eStartup, PrioritizeNeverLoadsTheTrainingCore) {
  // With the plugin path pointing nowhere, a command that loaded it would fail with exit 4.
  const RunResult r = run_rlab({"prioritize", kExample}, {"RLAB_TRAIN_CORE=/nonexistent.so"});
  EXPECT_EQ(r.code, 0) << r.err;
  const RunResult d = run_rlab({"doctor"}, {"RLAB_TRAIN_CORE=/nonexistent.so"});
  EXPECT_EQ(d.code, 4);
  EXPECT_NE(d.err.find("rlab: error: training core not available"), std::string::npos) << d.err;
}

TEST(E2eDoctor, ReportsEnvironmentAndLibtorchThroughTheFacade) {
  if (!RLAB_HAVE_TRAIN) GTEST_SKIP() << "built without the training core";
  const RunResult r = run_rlab({"doctor", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["libtorch"]["version"], RLAB_TORCH_VERSION);
  EXPECT_EQ(j["libtorch"]["device"], "cpu");
  EXPECT_GT(j["cpu"]["count"].get<int>(), 0);
  EXPECT_FALSE(j["os"].get<std::string>().empty());
  EXPECT_EQ(j["rlab"]["version"], "0.1.0");
}

TEST(E2eCompletion, BashScriptCompletesCommandsAndFlags) {
  TempDir dir;
  const RunResult s = run_rlab({"completion", "bash"});
  ASSERT_EQ(s.code, 0);
  const std::string script = dir.write("rlab.bash", s.out);
  auto complete = [&](const std::string& words, int cword) {
    return run_program({"/bin/bash", "-c",
                        "source '" + script + "'; COMP_WORDS=(" + words + "); COMP_CWORD=" +
                            std::to_string(cword) + "; _rlab; echo \"${COMPREPLY[*]}\""})
        .out;
  };
  EXPECT_EQ(complete("rlab pri", 1), "prioritize\n");
  EXPECT_EQ(complete("rlab prioritize --ex", 2), "--explain\n");
  EXPECT_EQ(complete("rlab prioritize --format m", 3), "md mermaid\n");
  EXPECT_EQ(complete("rlab doctor --no", 2), "--no-color --no-train\n");
  EXPECT_EQ(run_rlab({"completion", "fish"}).code, 2);
}

TEST(E2eCompletion, ZshScriptParses) {
  if (run_program({"/bin/sh", "-c", "command -v zsh"}).code != 0) GTEST_SKIP() << "no zsh";
  TempDir dir;
  const std::string script = dir.write("_rlab", run_rlab({"completion", "zsh"}).out);
  EXPECT_EQ(run_program({"/bin/sh", "-c", "zsh -n '" + script + "'"}).code, 0);
}

}  // namespace
}  // namespace rlab::test
