#include "rlab/config.h"

#include "rlab/commands.h"
#include "rlab/error.h"

#include <gtest/gtest.h>

#include "support/run.h"

namespace rlab {
namespace {

// The message of the InputError that `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigLoad, MissingFileNamesThePath) {
  EXPECT_EQ(error_of([] { load_config_file("/no/such.yaml"); }),
            "/no/such.yaml: cannot read: No such file or directory");
}

TEST(ConfigLoad, SyntaxErrorHasLineAndColumn) {
  const std::string msg = error_of([] { parse_config("a: 1\nb: [1, 2\n", "x.yaml"); });
  EXPECT_EQ(msg.rfind("x.yaml:3:1: yaml syntax error: ", 0), 0U) << msg;
}

TEST(ConfigLoad, EmptyDocumentIsAnError) {
  EXPECT_EQ(error_of([] { parse_config("# nothing\n", "e.yaml"); }), "e.yaml:1:1: empty document");
}

TEST(ConfigKeys, UnknownKeySuggestsTheClosest) {
  const ConfigNode root = parse_config("model: ratio\nchalenges: []\n", "k.yaml");
  EXPECT_EQ(error_of([&] {
              root.check_keys({"model", "challenges"});
            }),
            "k.yaml:2:1: unknown key 'chalenges' in top level (did you mean 'challenges'?)");
}

TEST(ConfigKeys, NestedUnknownKeyNamesItsPath) {
  const ConfigNode root = parse_config("a:\n  - id: x\n    impakt: 3\n", "n.yaml");
  EXPECT_EQ(error_of([&] {
              root["a"].at(0).check_keys({"id", "impact"});
            }),
            "n.yaml:3:5: unknown key 'impakt' in 'a.0' (did you mean 'impact'?)");
}

TEST(ConfigKeys, DuplicateKeyIsAnError) {
  const ConfigNode root = parse_config("model: a\nmodel: b\n", "d.yaml");
  EXPECT_EQ(error_of([&] { root.check_keys({"model"}); }),
            "d.yaml:2:1: duplicate key 'model' (first at line 1)");
}

TEST(ConfigKeys, VersionAllowedAtTopLevelOnly) {
  EXPECT_NO_THROW(parse_config("version: 1\nmodel: a\n", "v.yaml").check_keys({"model"}));
  const ConfigNode root = parse_config("s:\n  version: 1\n", "v.yaml");
  EXPECT_THROW(root["s"].check_keys({"model"}), InputError);
}

TEST(ConfigTypes, WrongTypeNamesExpectedTypeAndValue) {
  const ConfigNode root = parse_config("n: abc\nl: [1]\nb: maybe\ni: 2.5\n", "t.yaml");
  EXPECT_EQ(error_of([&] { (void)root["n"].as_double(); }),
            "t.yaml:1:4: 'n' must be a number, got 'abc'");
  EXPECT_EQ(error_of([&] { (void)root["l"].as_double(); }),
            "t.yaml:2:4: 'l' must be a number, got list");
  EXPECT_EQ(error_of([&] { (void)root["b"].as_bool(); }),
            "t.yaml:3:4: 'b' must be true or false, got 'maybe'");
  EXPECT_EQ(error_of([&] { (void)root["i"].as_int(); }),
            "t.yaml:4:4: 'i' must be an integer, got '2.5'");
  EXPECT_EQ(error_of([&] { (void)root["n"].size(); }),
            "t.yaml:1:4: 'n' must be a list, got string");
}

TEST(ConfigTypes, RangeCheckedNumbers) {
  const ConfigNode root = parse_config("impact: 11\nok: 10\n", "r.yaml");
  EXPECT_EQ(error_of([&] { (void)root["impact"].as_double(0, 10); }),
            "r.yaml:1:9: 'impact' is 11, must be between 0 and 10");
  EXPECT_DOUBLE_EQ(root["ok"].as_double(0, 10), 10.0);
}

TEST(ConfigTypes, NonFiniteAndOverflowRejected) {
  const ConfigNode root = parse_config("a: nan\nb: 1e999\nc: inf\n", "f.yaml");
  EXPECT_THROW((void)root["a"].as_double(), InputError);
  EXPECT_THROW((void)root["b"].as_double(), InputError);
  EXPECT_THROW((void)root["c"].as_double(), InputError);
}

TEST(ConfigTypes, ChoicesAndDates) {
  const ConfigNode root =
      parse_config("s: dne\nd1: 2024-02-29\nd2: 2023-02-29\nd3: 2024-13-01\n", "c.yaml");
  EXPECT_EQ(error_of([&] {
              (void)root["s"].as_choice({"todo", "done"});
            }),
            "c.yaml:1:4: 's' is 'dne', must be one of todo, done (did you mean 'done'?)");
  EXPECT_EQ(root["d1"].as_date(), "2024-02-29");
  EXPECT_THROW((void)root["d2"].as_date(), InputError);
  EXPECT_THROW((void)root["d3"].as_date(), InputError);
}

TEST(ConfigTypes, MissingRequiredKeyPointsAtParent) {
  const ConfigNode root = parse_config("x:\n  a: 1\n", "m.yaml");
  EXPECT_EQ(error_of([&] { (void)root["x"].required("b"); }),
            "m.yaml:2:3: missing required key 'b' in 'x'");
}

// The top-level keys of an experiment file: the sections of the command table's rows.
const std::vector<std::string>& table_sections() {
  static const std::vector<std::string> kSections = config_section_names(command_table());
  return kSections;
}

TEST(ConfigSection, SectionsComeFromTheCommandTable) {
  EXPECT_EQ(table_sections(),
            (std::vector<std::string>{"lit-search", "prioritize", "prototype", "bayesopt",
                                      "validate", "pomodoro", "trl", "cost"}));
}

TEST(ConfigSection, FlatFileIsItsOwnSection) {
  const ConfigNode root = parse_config("version: 1\nmodel: rice\n", "f.yaml");
  EXPECT_EQ(select_section(root, "prioritize", table_sections())["model"].as_string(), "rice");
}

TEST(ConfigSection, ExperimentFileSelectsTheCommandSection) {
  const ConfigNode root = parse_config(
      "version: 1\nexperiment: {name: e}\nprioritize:\n  model: ice\nvalidate: {}\n", "e.yaml");
  const ConfigNode s = select_section(root, "prioritize", table_sections());
  EXPECT_EQ(s["model"].as_string(), "ice");
  EXPECT_EQ(s["model"].path(), "prioritize.model");
}

TEST(ConfigSection, UnknownSectionAndBadVersionRejected) {
  EXPECT_EQ(error_of([] {
              select_section(parse_config("prioritize: {}\nprioritise: {}\n", "s.yaml"),
                             "prioritize", table_sections());
            }),
            "s.yaml:2:1: unknown key 'prioritise' in top level (did you mean 'prioritize'?)");
  EXPECT_EQ(error_of([] {
              select_section(parse_config("version: 2\n", "s.yaml"), "prioritize",
                             table_sections());
            }),
            "s.yaml:1:10: unsupported version 2 (this rlab reads version 1)");
}

TEST(ConfigOverrides, SetReplacesCreatesAndIndexes) {
  const ConfigNode root =
      parse_config("model: ratio\nchallenges:\n  - {id: a, impact: 3}\n", "o.yaml");
  apply_overrides(root, "prioritize",
                  {"model=rice", "prioritize.capacity=12", "challenges.0.impact=7", "x.y.z=1"});
  EXPECT_EQ(root["model"].as_string(), "rice");
  EXPECT_DOUBLE_EQ(root["capacity"].as_double(), 12);
  EXPECT_DOUBLE_EQ(root["challenges"].at(0)["impact"].as_double(), 7);
  EXPECT_EQ(root["x"]["y"]["z"].as_int(), 1);
}

TEST(ConfigOverrides, BadValuesAreLocatedAtTheSetFlag) {
  const ConfigNode root = parse_config("challenges:\n  - {id: a, impact: 3}\n", "o.yaml");
  apply_overrides(root, "prioritize", {"challenges.0.impact=lots"});
  EXPECT_EQ(error_of([&] { (void)root["challenges"].at(0)["impact"].as_double(0, 10); }),
            "--set challenges.0.impact=lots: 'challenges.0.impact' must be a number, got 'lots'");
  apply_overrides(root, "prioritize", {"modle=rice"});
  EXPECT_EQ(error_of([&] {
              root.check_keys({"model", "challenges"});
            }),
            "--set modle=rice: unknown key 'modle' in top level (did you mean 'model'?)");
}

TEST(ConfigOverrides, MalformedSetIsUsageError) {
  const ConfigNode root = parse_config("challenges: [{id: a}]\nmodel: x\n", "o.yaml");
  EXPECT_THROW(apply_overrides(root, "p", {"novalue"}), UsageError);
  EXPECT_THROW(apply_overrides(root, "p", {"=3"}), UsageError);
  EXPECT_THROW(apply_overrides(root, "p", {"a..b=3"}), UsageError);
  EXPECT_THROW(apply_overrides(root, "p", {"challenges.5.id=b"}), UsageError);
  EXPECT_THROW(apply_overrides(root, "p", {"model.sub=1"}), UsageError);
  EXPECT_THROW(apply_overrides(root, "p", {"model=[1, 2"}), UsageError);
}

}  // namespace
}  // namespace rlab
