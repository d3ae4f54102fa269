// rlab trl: the level rule, holes, elements, quick mode, history/diff, the questionnaire
// through a pseudo-terminal, and every bad input the issue lists. Expected values come from
// tests/reference/trl_reference.py (official definitions transcribed there; the level rule
// written independently) through tests/reference/trl_expected.json.
#include "rlab/trl.h"

#include "rlab/error.h"
#include "rlab/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;
using trl::Answer;
using trl::Assessment;
using trl::Criterion;
using trl::Element;
using trl::Kind;
using trl::Level;
using trl::Scale;

const std::string kExample = source_path("configs/examples/trl.yaml");

std::string data(const std::string& name) { return source_path("tests/data/trl/" + name); }

const json& expected() {
  static const json j = json::parse(read_file(source_path("tests/reference/trl_expected.json")));
  return j;
}

// A three-level scale: level 2 has a hardware-only, a software-only and an optional criterion.
Scale small_scale() {
  Scale s;
  s.id = "small";
  s.version = "1";
  auto crit = [](const std::string& id, bool required = true) {
    Criterion c;
    c.id = id;
    c.text = id + " text";
    c.required = required;
    return c;
  };
  Level l1{1, "one", "", {crit("a1"), crit("a2")}, ""};
  Criterion hw = crit("b-hw");
  hw.software = false;
  Criterion sw = crit("b-sw");
  sw.hardware = false;
  Level l2{2, "two", "", {hw, sw, crit("b-opt", false)}, ""};
  Level l3{3, "three", "", {crit("c1")}, ""};
  s.levels = {l1, l2, l3};
  return s;
}

Answer ans(const std::string& id, double percent) {
  Answer a;
  a.criterion = id;
  a.percent = percent;
  return a;
}

Assessment one(Kind kind, std::vector<Answer> answers, double threshold = 100) {
  Assessment a;
  a.threshold = threshold;
  Element e;
  e.id = "x";
  e.kind = kind;
  e.answers = std::move(answers);
  a.elements.push_back(e);
  return a;
}

TEST(TrlLevel, CumulativeLowestUnmetLevelWins) {
  const Scale s = small_scale();
  // Level 3 met, level 2 not: level 1, and the level-3 criterion is a hole.
  const auto r =
      trl::assess(s, one(Kind::kSoftware, {ans("a1", 100), ans("a2", 100), ans("c1", 100)}));
  EXPECT_EQ(r.level, 1);
  ASSERT_EQ(r.elements[0].holes.size(), 1U);
  EXPECT_EQ(r.elements[0].holes[0].criterion, "c1");
  EXPECT_EQ(r.elements[0].first_failed, 2);
  ASSERT_EQ(r.elements[0].next_missing.size(), 2U);  // b-sw (required) and b-opt (optional)
  EXPECT_EQ(r.elements[0].next_missing[0]->criterion->id, "b-sw");
}

TEST(TrlLevel, NothingMetIsLevelZero) {
  const auto r = trl::assess(small_scale(), one(Kind::kSoftware, {ans("a1", 99.9)}));
  EXPECT_EQ(r.level, 0);
  EXPECT_TRUE(r.elements[0].holes.empty());
}

TEST(TrlLevel, ApplicabilityAndOptionalCriteria) {
  const Scale s = small_scale();
  const std::vector<Answer> base = {ans("a1", 100), ans("a2", 100), ans("b-sw", 100),
                                    ans("c1", 100)};
  // Software: the hardware criterion does not apply, the optional one does not block.
  EXPECT_EQ(trl::assess(s, one(Kind::kSoftware, base)).level, 3);
  // Hardware: b-hw applies and is unanswered, so level 2 fails; b-sw does not apply.
  const auto hw = trl::assess(s, one(Kind::kHardware, base));
  EXPECT_EQ(hw.level, 1);
  EXPECT_EQ(hw.elements[0].levels[1].required_total, 1);
}

TEST(TrlLevel, ThresholdIsConfigurableAndCompletionIsWeighted) {
  Scale s = small_scale();
  s.levels[1].criteria[2].weight = 0.5;
  const std::vector<Answer> a = {ans("a1", 80), ans("a2", 90), ans("b-sw", 100), ans("b-opt", 40)};
  EXPECT_EQ(trl::assess(s, one(Kind::kSoftware, a)).level, 0);
  const auto r = trl::assess(s, one(Kind::kSoftware, a, 80));
  EXPECT_EQ(r.level, 2);
  // Software: b-sw (w 1, 100) and b-opt (w 0.5, 40): (100 + 0.5 * 40) / 1.5.
  EXPECT_DOUBLE_EQ(r.elements[0].levels[1].completion, (100 + 0.5 * 40) / 1.5);
  EXPECT_DOUBLE_EQ(r.elements[0].levels[0].completion, 85);
}

TEST(TrlLevel, SystemIsMinimumOverElementsNamingTheBottleneck) {
  Assessment a = one(Kind::kSoftware, {ans("a1", 100), ans("a2", 100), ans("b-sw", 100)});
  Element e2;
  e2.id = "y";
  e2.answers = {ans("a1", 100), ans("a2", 100)};
  a.elements.push_back(e2);
  const auto r = trl::assess(small_scale(), a);
  EXPECT_EQ(r.elements[0].level, 2);
  EXPECT_EQ(r.elements[1].level, 1);
  EXPECT_EQ(r.level, 1);
  EXPECT_EQ(r.bottleneck, std::vector<std::size_t>{1});
}

TEST(TrlScale, GapsRepeatsAndDuplicateIdsAreRejected) {
  Scale s = small_scale();
  s.levels[2].level = 4;
  EXPECT_THROW(trl::validate_scale(s), InputError);
  s = small_scale();
  s.levels[1].level = 1;
  s.levels[1].where = "f:9:3";
  try {
    trl::validate_scale(s);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "f:9:3: level 1 is listed twice");
  }
  s = small_scale();
  s.levels[2].criteria[0].id = "a2";
  EXPECT_THROW(trl::validate_scale(s), InputError);
}

TEST(TrlAnswers, NotApplicableOnlyForOptionalCriteria) {
  const Scale s = small_scale();
  Answer na;
  na.criterion = "b-opt";
  na.not_applicable = true;
  EXPECT_NO_THROW(trl::validate_answers(s, one(Kind::kSoftware, {na}), "f"));
  na.criterion = "b-sw";
  na.where = "f:3:5";
  try {
    trl::validate_answers(s, one(Kind::kSoftware, {na}), "f");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "f:3:5: criterion 'b-sw' is required; n/a is allowed only for optional criteria");
  }
}

TEST(TrlQuick, MappingAndCumulativeRuleMatchTheReference) {
  // theory 3, lab prototype 4, relevant environment 6, operational environment 7, product 9.
  const auto& ms = trl::milestones();
  ASSERT_EQ(ms.size(), 5U);
  const std::vector<int> mapping = {3, 4, 6, 7, 9};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(ms[i].level, mapping[i]) << ms[i].flag;
  for (const json& c : expected()["quick"]) {
    std::vector<bool> claimed(5, false);
    std::vector<std::string> args = {"trl", "quick", "--format", "json"};
    for (const auto& f : c["flags"]) {
      for (std::size_t i = 0; i < 5; ++i) {
        if (ms[i].flag == f.get<std::string>()) claimed[i] = true;
      }
      args.push_back("--" + f.get<std::string>());
    }
    EXPECT_EQ(trl::quick(claimed).level, c["level"].get<int>()) << c.dump();
    const RunResult r = run_inprocess(args);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["level"], c["level"]) << c.dump();
  }
  EXPECT_EQ(trl::quick({true, true, false, false, false}).level, 4);  // theory + lab prototype
  const auto q = trl::quick({false, true, false, false, true});
  EXPECT_EQ(q.level, 1);
  EXPECT_EQ(q.ignored, (std::vector<std::string>{"lab-prototype", "product-ready"}));
}

TEST(TrlQuestionnaire, TypedAnswersAndEvidence) {
  trl::TypedAnswer t;
  EXPECT_TRUE(trl::parse_typed_answer(" Y ", t));
  EXPECT_EQ(t.percent, 100.0);
  EXPECT_TRUE(trl::parse_typed_answer("no", t));
  EXPECT_EQ(t.percent, 0.0);
  EXPECT_TRUE(trl::parse_typed_answer("62.5%", t));
  EXPECT_EQ(t.percent, 62.5);
  EXPECT_TRUE(trl::parse_typed_answer("n/a", t));
  EXPECT_TRUE(t.not_applicable);
  for (const char* bad : {"", "101", "-1", "maybe", "5x", "nan", "inf"}) {
    EXPECT_FALSE(trl::parse_typed_answer(bad, t)) << bad;
  }
  EXPECT_EQ(trl::split_evidence("a.pdf, https://x.org/y  doi:10.1/2"),
            (std::vector<std::string>{"a.pdf", "https://x.org/y", "doi:10.1/2"}));
  EXPECT_EQ(trl::evidence_type("doi:10.1/2"), "doi");
  EXPECT_EQ(trl::evidence_type("https://doi.org/10.1/2"), "doi");
  EXPECT_EQ(trl::evidence_type("https://x.org/y"), "url");
  EXPECT_EQ(trl::evidence_type("reports/a.pdf"), "path");
}

TEST(TrlDiff, LevelsPercentagesAndEvidence) {
  trl::Snapshot a;
  a.level = 2;
  a.elements = {{"k", 2, {{"1.x", 100, false, {"r1"}}, {"2.x", 50, false, {}}}}};
  trl::Snapshot b = a;
  b.level = 3;
  b.elements[0].level = 3;
  b.elements[0].items[1].percent = 100;
  b.elements[0].items[1].evidence = {"r2"};
  b.elements[0].items[0].evidence = {};
  b.elements.push_back({"io", 1, {}});
  const trl::Diff d = trl::diff(a, b);
  EXPECT_EQ(d.level_before, 2);
  EXPECT_EQ(d.level_after, 3);
  std::vector<std::string> got;
  for (const auto& c : d.changes)
    got.push_back(c.element + "|" + c.criterion + "|" + c.what + "|" + c.before + "|" + c.after);
  EXPECT_EQ(got, (std::vector<std::string>{"k||level|2|3", "k|1.x|evidence-|r1|",
                                           "k|2.x|percent|50%|100%", "k|2.x|evidence+||r2",
                                           "io||added||level 1"}));
}

// ---- end to end -------------------------------------------------------------------------

TEST(TrlE2e, LevelsQuoteTheOfficialDefinitions) {
  for (const char* scale : {"nasa", "eu"}) {
    const RunResult r = run_inprocess({"trl", "levels", "--scale", scale, "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const json j = json::parse(r.out);
    const json& defs = expected()["definitions"][scale];
    ASSERT_EQ(j["levels"].size(), 9U);
    for (const json& l : j["levels"]) {
      const std::string n = std::to_string(l["level"].get<int>());
      EXPECT_EQ(l["definition"], defs[n]) << scale << " " << n;
      if (std::string(scale) == "nasa") {
        EXPECT_EQ(l["success_criteria"], expected()["success_criteria"]["nasa"][n]) << n;
        // Every criterion quotes the definition or a sentence of the success criteria.
        for (const json& c : l["criteria"]) {
          const std::string text = c["text"];
          EXPECT_TRUE(text == defs[n].get<std::string>() ||
                      expected()["success_criteria"]["nasa"][n].get<std::string>().find(text) !=
                          std::string::npos)
              << text;
        }
      }
    }
  }
  const RunResult t = run_inprocess({"trl", "levels"});
  EXPECT_EQ(t.code, 0);
  EXPECT_NE(t.out.find("NPR 7123.1C"), std::string::npos);
}

TEST(TrlE2e, ExampleMatchesTheReferenceAtSeveralThresholds) {
  for (const auto& [threshold, want] : expected()["example"].items()) {
    const RunResult r = run_inprocess(
        {"trl", "assess", kExample, "--format", "json", "--set", "threshold=" + threshold});
    ASSERT_EQ(r.code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["level"], want["system"]);
    EXPECT_EQ(j["bottleneck"], want["bottleneck"]);
    for (const json& e : j["elements"]) {
      const json& w = want["elements"][e["id"].get<std::string>()];
      EXPECT_EQ(e["level"], w["level"]) << e["id"];
      json holes = json::array();
      for (const json& h : e["holes"]) holes.push_back(h["criterion"]);
      EXPECT_EQ(holes, w["holes"]);
      for (std::size_t i = 0; i < 9; ++i) {
        EXPECT_NEAR(e["levels"][i]["completion"].get<double>(), w["completion"][i].get<double>(),
                    1e-9);
        EXPECT_EQ(e["levels"][i]["met"], w["met"][i]);
      }
    }
  }
}

TEST(TrlE2e, BareFileIsAssessAndRequireGates) {
  const RunResult r = run_rlab({"trl", kExample, "--require", "3"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("TRL 3: Analytical and experimental proof-of-concept", 0), 0U) << r.out;
  EXPECT_NE(r.out.find("bottleneck: io"), std::string::npos);
  EXPECT_NE(r.out.find("holes (met above the failed level 5, not counted): 6.definition"),
            std::string::npos);
  EXPECT_NE(r.out.find("to reach TRL 4"), std::string::npos);
  const RunResult no = run_rlab({"trl", "assess", kExample, "--require", "4"});
  EXPECT_EQ(no.code, 1);
  EXPECT_EQ(no.err, "rlab: warning: TRL 3 is below the required 4 (bottleneck: io)\n");
  const RunResult md = run_rlab({"trl", "assess", kExample, "--format", "md"});
  EXPECT_EQ(md.code, 0);
  EXPECT_EQ(md.out.rfind("## TRL 3", 0), 0U);
  EXPECT_EQ(run_rlab({"trl", "assess", kExample, "--format", "dot"}).code, 2);
  EXPECT_EQ(run_rlab({"trl", "assess", kExample, "--require", "10"}).code, 2);
}

TEST(TrlE2e, QuickPrintsTheMapping) {
  const RunResult r = run_inprocess({"trl", "quick", "--theory", "--lab-prototype"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      r.out.rfind("TRL 4: Component and/or breadboard validation in a laboratory environment.", 0),
      0U);
  for (const char* row : {"theory proven            --theory                  3  yes      yes",
                          "relevant environment     --relevant-env            6  no       no",
                          "product ready            --product-ready           9  no       no"}) {
    EXPECT_NE(r.out.find(row), std::string::npos) << row;
  }
  const RunResult g =
      run_inprocess({"trl", "quick", "--lab-prototype", "--product-ready", "--require", "2"});
  EXPECT_EQ(g.code, 1);
  EXPECT_NE(
      g.out.find(
          "ignored (an earlier milestone, --theory, is missing): --lab-prototype, --product-ready"),
      std::string::npos);
}

TEST(TrlE2e, RecordHistoryAndDiff) {
  TempDir dir;
  const std::string hist = dir.path() + "/h.jsonl";
  const std::string v1 =
      dir.write("v1.yaml",
                "technology: t\ndate: 2025-01-01\nanswers:\n  1.definition: yes\n"
                "  1.documented-research: {done: yes, evidence: [r1.pdf]}\n"
                "  2.definition: 50\n");
  const std::string v2 =
      dir.write("v2.yaml",
                "technology: t\ndate: 2025-02-01\nanswers:\n  1.definition: yes\n"
                "  1.documented-research: {done: yes, evidence: [r1.pdf, r2.pdf]}\n"
                "  2.definition: 100\n  2.documented-concept: yes\n");
  const std::vector<std::string> env = {"RLAB_NOW=2025-02-01T10:00:00Z"};
  EXPECT_EQ(run_inprocess({"trl", "assess", v1, "--record", "--history", hist}, env).code, 0);
  EXPECT_EQ(run_inprocess({"trl", "assess", v2, "--record", "--history", hist}, env).code, 0);
  std::ifstream in(hist);
  std::string l1, l2, l3;
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_FALSE(std::getline(in, l3));
  const json r1 = json::parse(l1);
  EXPECT_EQ(r1["level"], 1);
  EXPECT_EQ(r1["scale"], json({{"id", "nasa"}, {"version", "NPR 7123.1C"}}));
  EXPECT_EQ(r1["recorded_at"], "2025-02-01T10:00:00Z");
  EXPECT_EQ(json::parse(l2)["level"], 2);

  const RunResult h = run_inprocess({"trl", "history", "--history", hist, "--format", "json"});
  ASSERT_EQ(h.code, 0) << h.err;
  const json hj = json::parse(h.out);
  ASSERT_EQ(hj["records"].size(), 2U);
  EXPECT_EQ(hj["records"][1]["date"], "2025-02-01");

  const RunResult d =
      run_inprocess({"trl", "diff", "1", "latest", "--history", hist, "--format", "json"});
  ASSERT_EQ(d.code, 0) << d.err;
  const json dj = json::parse(d.out);
  EXPECT_EQ(dj["level_before"], 1);
  EXPECT_EQ(dj["level_after"], 2);
  const json want = json::array({{{"element", "t"},
                                  {"criterion", nullptr},
                                  {"what", "level"},
                                  {"before", "1"},
                                  {"after", "2"}},
                                 {{"element", "t"},
                                  {"criterion", "1.documented-research"},
                                  {"what", "evidence+"},
                                  {"before", ""},
                                  {"after", "r2.pdf"}},
                                 {{"element", "t"},
                                  {"criterion", "2.definition"},
                                  {"what", "percent"},
                                  {"before", "50%"},
                                  {"after", "100%"}},
                                 {{"element", "t"},
                                  {"criterion", "2.documented-concept"},
                                  {"what", "percent"},
                                  {"before", "unanswered"},
                                  {"after", "100%"}}});
  EXPECT_EQ(dj["changes"], want);
  // An answers file works as an operand too; a missing record is a usage error.
  EXPECT_EQ(run_inprocess({"trl", "diff", "previous", v2, "--history", hist}).code, 0);
  EXPECT_EQ(run_inprocess({"trl", "diff", "1", "7", "--history", hist}).code, 2);
  // A broken history line among good records is reported with its position and skipped.
  const std::string bad = dir.write("bad.jsonl", l1 + "\n{oops\n");
  const RunResult b = run_inprocess({"trl", "history", "--history", bad});
  EXPECT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(b.err.rfind("rlab: warning: " + bad + ":2:1: invalid JSON in the history", 0), 0U)
      << b.err;
  EXPECT_NE(b.err.find(" (skipped)\n"), std::string::npos) << b.err;
  EXPECT_EQ(b.out,
            run_inprocess({"trl", "history", "--history", dir.write("good.jsonl", l1 + "\n")}).out);
  // A history with no good record at all is an error.
  const std::string all_bad = dir.write("allbad.jsonl", "{oops\n[1]\n");
  const RunResult ab = run_inprocess({"trl", "history", "--history", all_bad});
  EXPECT_EQ(ab.code, 3);
  EXPECT_EQ(ab.err.rfind("rlab: error: " + all_bad + ":1:1: invalid JSON in the history", 0), 0U)
      << ab.err;
  EXPECT_NE(ab.err.find("2 lines of " + all_bad + " hold no valid record"), std::string::npos)
      << ab.err;
}

struct BadCase {
  const char* file;
  const char* message;
};

TEST(TrlE2e, BadInputsExitThreeWithTheirLocation) {
  const std::vector<BadCase> cases = {
      {"unknown_criterion.yaml",
       ":4:16: unknown criterion '4.definiton' in scale 'nasa' (did you mean '4.definition'?)"},
      {"percent_range.yaml", ":3:17: 'answers.1.definition' is 120, must be between 0 and 100"},
      {"percent_range_map.yaml",
       ":3:27: 'answers.1.definition.percent' is -5, must be between 0 and 100"},
      {"unknown_scale.yaml",
       ":2:8: unknown scale 'nassa' (did you mean 'nasa'?) (built-in: eu, nasa; a scale file is a "
       "path ending in .yaml)"},
      {"other_version.yaml",
       ":3:16: answers are for scale version 'NPR 7123.1B', but scale 'nasa' is version 'NPR "
       "7123.1C'"},
      {"empty_answers.yaml", ":3:1: no answers: 'answers' is empty"},
      {"empty_answers_map.yaml", ":4:14: no answers: 'elements.0.answers' is empty"},
  };
  for (const auto& c : cases) {
    const std::string f = data(c.file);
    const RunResult r = run_inprocess({"trl", "assess", f});
    EXPECT_EQ(r.code, 3) << c.file;
    EXPECT_EQ(r.err, "rlab: error: " + f + c.message + "\n");
    EXPECT_EQ(r.out, "");
  }
  // Scale files: the error points into the scale file.
  const RunResult gap = run_inprocess({"trl", "assess", data("uses_gap_scale.yaml")});
  EXPECT_EQ(gap.code, 3);
  EXPECT_EQ(gap.err, "rlab: error: " + data("gap_scale.yaml") +
                         ":9:12: gap in levels: level 4 follows level 2 (expected 3)\n");
  const RunResult dup = run_inprocess({"trl", "levels", "--scale", data("dup_scale.yaml")});
  EXPECT_EQ(dup.code, 3);
  EXPECT_EQ(dup.err, "rlab: error: " + data("dup_scale.yaml") +
                         ":11:14: duplicate criterion id 'a' (first at " + data("dup_scale.yaml") +
                         ":6:14)\n");
  // An unknown built-in on the command line is a usage error.
  const RunResult u = run_inprocess({"trl", "levels", "--scale", "nasaa"});
  EXPECT_EQ(u.code, 2);
  EXPECT_EQ(u.err,
            "rlab: error: --scale: unknown scale 'nasaa' (did you mean 'nasa'?) (built-in: eu, "
            "nasa; a scale file is a path ending in .yaml)\n");
}

TEST(TrlE2e, CustomScaleWithApplicability) {
  TempDir dir;
  const std::string f = dir.write(
      "a.yaml",
      "technology: rig\nscale: " + data("hw_sw_scale.yaml") +
          "\nkind: hardware\nanswers:\n  idea: yes\n  code: yes\n  docs: n/a\n  tests: yes\n");
  const RunResult r = run_inprocess({"trl", "assess", f, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["level"], 1);  // hardware: "board" applies and is unanswered
  EXPECT_EQ(j["elements"][0]["holes"], json::array({{{"level", 3}, {"criterion", "tests"}}}));
  const RunResult sw =
      run_inprocess({"trl", "assess", f, "--format", "json", "--set", "kind=software"});
  ASSERT_EQ(sw.code, 0) << sw.err;
  EXPECT_EQ(json::parse(sw.out)["level"], 3);
}

// ---- the questionnaire through a pseudo-terminal -------------------------------------------

class Pty {
 public:
  explicit Pty(const std::vector<std::string>& args) {
    pid_ = ::forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      ::setenv("NO_COLOR", "1", 1);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Pty() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  // Reads until `needle` appears in the output after position `from_`; false on EOF or after
  // 20 s without it (a guard against a hung child, not a timing assertion).
  bool expect(const std::string& needle) {
    for (int waited = 0; waited < 200;) {
      const auto pos = out_.find(needle, from_);
      if (pos != std::string::npos) {
        from_ = pos + needle.size();
        return true;
      }
      pollfd p{fd_, POLLIN, 0};
      const int n = ::poll(&p, 1, 100);
      if (n == 0) {
        ++waited;
        continue;
      }
      char buf[4096];
      const ssize_t k = ::read(fd_, buf, sizeof buf);
      if (k <= 0) return out_.find(needle, from_) != std::string::npos;
      out_.append(buf, static_cast<std::size_t>(k));
    }
    return false;
  }
  void send(const std::string& s) {
    ASSERT_EQ(::write(fd_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  int wait() {
    char buf[4096];
    for (ssize_t k; (k = ::read(fd_, buf, sizeof buf)) > 0;) {  // drain until the child closes
      out_.append(buf, static_cast<std::size_t>(k));
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& output() const { return out_; }

 private:
  int fd_ = -1;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string out_;
  std::size_t from_ = 0;
};

TEST(TrlAsk, InterruptedSessionResumesWithoutLosingAnswers) {
  TempDir dir;
  const std::string file = dir.path() + "/answers.yaml";
  {
    Pty p({RLAB_BINARY, "trl", "ask", file, "--technology", "solver", "--assessor", "jdoe"});
    ASSERT_TRUE(p.expect("TRL 1: Basic principles observed and reported.")) << p.output();
    ASSERT_TRUE(p.expect("[1/21] 1.definition: Basic principles observed and reported."))
        << p.output();
    ASSERT_TRUE(p.expect("percent complete")) << p.output();
    p.send("maybe\n");
    ASSERT_TRUE(p.expect("please type a number 0-100, y or n")) << p.output();
    ASSERT_TRUE(p.expect("percent complete")) << p.output();
    p.send("y\n");
    ASSERT_TRUE(p.expect("evidence")) << p.output();
    p.send("papers/principles.pdf, doi:10.1/x\n");
    ASSERT_TRUE(p.expect("note")) << p.output();
    p.send("seen in 2019\n");
    ASSERT_TRUE(p.expect("[2/21] 1.documented-research")) << p.output();
    ASSERT_TRUE(p.expect("percent complete")) << p.output();
    p.send("75\n");
    ASSERT_TRUE(p.expect("evidence")) << p.output();
    p.send("\n");
    ASSERT_TRUE(p.expect("note")) << p.output();
    p.send("\n");
    ASSERT_TRUE(p.expect("[3/21] 2.definition")) << p.output();
    ASSERT_TRUE(p.expect("percent complete")) << p.output();
    p.send("\x03");  // Ctrl-C in the middle of question 3
    EXPECT_EQ(p.wait(), 128 + SIGINT) << p.output();
  }
  // Both answers are on disk, readable by `assess` (which sees TRL 0: 1.documented-research is 75
  // %).
  const RunResult r = run_inprocess({"trl", "assess", file, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err << read_file(file);
  const json j = json::parse(r.out);
  EXPECT_EQ(j["technology"], "solver");
  EXPECT_EQ(j["assessor"], "jdoe");
  EXPECT_EQ(j["level"], 0);
  const json& c = j["elements"][0]["levels"][0]["criteria"];
  EXPECT_EQ(c[0]["percent"], 100.0);
  EXPECT_EQ(c[0]["evidence"], json({"papers/principles.pdf", "doi:10.1/x"}));
  EXPECT_EQ(c[0]["note"], "seen in 2019");
  EXPECT_EQ(c[1]["percent"], 75.0);
  EXPECT_FALSE(j["elements"][0]["levels"][1]["criteria"][0]["answered"]);
  {
    // Resumes at question 3; q quits with everything saved.
    Pty p({RLAB_BINARY, "trl", "ask", file});
    ASSERT_TRUE(p.expect("2/21 answered - resuming")) << p.output();
    ASSERT_TRUE(p.expect("[3/21] 2.definition")) << p.output();
    ASSERT_TRUE(p.expect("percent complete")) << p.output();
    p.send("100\n");
    ASSERT_TRUE(p.expect("evidence")) << p.output();
    p.send("\n");
    ASSERT_TRUE(p.expect("note")) << p.output();
    p.send("\n");
    ASSERT_TRUE(p.expect("[4/21] 2.documented-concept")) << p.output();
    ASSERT_TRUE(p.expect("percent complete")) << p.output();
    p.send("q\n");
    EXPECT_EQ(p.wait(), 0) << p.output();
  }
  const json k = json::parse(run_inprocess({"trl", "assess", file, "--format", "json"}).out);
  EXPECT_EQ(k["elements"][0]["levels"][1]["criteria"][0]["percent"], 100.0);
  // Not a terminal: a usage error pointing to the file mode.
  EXPECT_EQ(run_rlab({"trl", "ask", file}).code, 2);
}

}  // namespace
}  // namespace rlab::test
