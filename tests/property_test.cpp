// Property tests: every option of every command, read from the CLI11 tree (not a hand list), and
// every key of every example config, fed hostile values; hostile input files to every command
// that reads one. Whatever comes in, rlab answers with an exit code of 0-3 and one
// "rlab: error:" line (4 only where the same command already fails on a sound command line
// because the environment lacks something, e.g. the training core in the sanitizer build), no
// signal, no half-written file, and JSON that parses when it was asked for JSON.
//
// The cases run in-process through run_app (no process per case), so the whole walk costs
// seconds, also under the sanitizers. docs/reliability.md gives the figures.
#include "rlab/cli_checks.h"
#include "rlab/command.h"
#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/numbers.h"
#include "rlab/text.h"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "support/run.h"

namespace rlab {
namespace {

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

// The values every option and key is fed.
const std::vector<std::string>& hostile_values() {
  static const std::vector<std::string> v = {"nan",
                                             "inf",
                                             "-inf",
                                             "-1",
                                             "0",
                                             "1e308",
                                             "1e-308",
                                             "99999999999999999999999999",
                                             "2.5",
                                             "1e30",
                                             "",
                                             "text",
                                             "ünïcødé ✓ 中文",
                                             std::string(5000, 'x')};
  return v;
}

// Runs rlab in-process from `dir` (the working directory while it runs).
Outcome run_in(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"rlab"};
  argv.insert(argv.end(), args.begin(), args.end());
  char here[4096];
  if (::getcwd(here, sizeof here) == nullptr) here[0] = '\0';
  if (::chdir(dir.c_str()) != 0) ADD_FAILURE() << "chdir " << dir;
  std::ostringstream out;
  std::ostringstream err;
  Outcome o;
  o.code = run_app(argv, command_table(), out, err);
  if (here[0] != '\0' && ::chdir(here) != 0) ADD_FAILURE() << "chdir back";
  o.out = out.str();
  o.err = err.str();
  return o;
}

// Error output for a failure message: long values are echoed in it.
std::string shorten(const std::string& s) {
  return s.size() > 600 ? s.substr(0, 300) + " ... " + s.substr(s.size() - 200) : s;
}

std::string joined(const std::vector<std::string>& args) {
  std::string s = "rlab";
  for (const auto& a : args)
    s +=
        " " + (a.size() > 60 ? a.substr(0, 20) + "...(" + std::to_string(a.size()) + " chars)" : a);
  return s;
}

// Files whose name marks an interrupted atomic write (".name.tmp.XXXXXX").
void find_partial_files(const std::string& dir, std::vector<std::string>& found) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      find_partial_files(path, found);
    } else if (name.find(".tmp.") != std::string::npos) {
      found.push_back(path);
    }
  }
  ::closedir(d);
}

bool parses_as_json(const std::string& text) {
  if (nlohmann::json::accept(text)) return true;
  // JSON Lines: every non-empty line a document.
  std::istringstream in(text);
  std::string line;
  bool any = false;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (!nlohmann::json::accept(line)) return false;
    any = true;
  }
  return any;
}

// How a command node is run for the walk: what it needs besides the option under test so that
// it gets past its own "missing argument" checks, and why a node is skipped.
struct Fixture {
  std::vector<std::string> positionals;
  std::vector<std::string> flags;
  std::string skip;  // non-empty: why the node is not run
  // Non-empty: why the sound command line ends with exit 3 (it names state the walk's fresh
  // folder does not hold); the hostile values are fed all the same.
  std::string no_state = "";
};

class PropertyWalk : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = {{"RLAB_HOME", nullptr},
              {"RLAB_NOW", nullptr},
              {"RLAB_TODAY", nullptr},
              {"RLAB_S2_API_BASE", nullptr},
              {"RLAB_OPENALEX_API_BASE", nullptr},
              {"S2_API_KEY", nullptr}};
    for (auto& [k, v] : saved_) {
      const char* cur = std::getenv(k.c_str());
      if (cur != nullptr) kept_[k] = cur;
    }
    ::setenv("RLAB_HOME", (home_.path() + "/home").c_str(), 1);
    ::setenv("RLAB_NOW", "2025-03-03T09:00:00+00:00", 1);
    ::setenv("RLAB_TODAY", "2025-03-03", 1);
    // Nothing listens on port 9: a request that got past --offline fails at once.
    ::setenv("RLAB_S2_API_BASE", "http://127.0.0.1:9/graph/v1", 1);
    ::setenv("RLAB_OPENALEX_API_BASE", "http://127.0.0.1:9", 1);
    ::unsetenv("S2_API_KEY");
    // An empty runs folder: `exp list` of a folder that does not exist is an error.
    ::mkdir((work_.path() + "/runs").c_str(), 0755);
  }
  void TearDown() override {
    for (auto& [k, v] : saved_) {
      (void)v;
      const auto it = kept_.find(k);
      if (it == kept_.end()) {
        ::unsetenv(k.c_str());
      } else {
        ::setenv(k.c_str(), it->second.c_str(), 1);
      }
    }
  }

  std::string ex(const std::string& name) const {
    return test::source_path("configs/examples/" + name);
  }

  Fixture fixture(const std::string& path) const {
    const std::string w = work_.path();
    if (path == "rlab prioritize") return {{ex("prioritize.yaml")}, {}, ""};
    if (path == "rlab lit-search") return {{}, {"--query", "x", "--offline"}, ""};
    if (path == "rlab doctor") return {{}, {}, ""};
    if (path == "rlab completion") return {{"bash"}, {}, ""};
    if (path == "rlab cost" || path == "rlab cost plan") return {{ex("cost.yaml")}, {}, ""};
    if (path == "rlab cost diff") return {{ex("cost.yaml"), ex("cost.yaml")}, {}, ""};
    if (path == "rlab trl" || path == "rlab trl assess") return {{ex("trl.yaml")}, {}, ""};
    if (path == "rlab trl ask") return {{}, {}, "an interactive questionnaire on the terminal"};
    if (path == "rlab trl diff") return {{ex("trl.yaml"), ex("trl.yaml")}, {}, ""};
    if (path == "rlab pomodoro" || path == "rlab pomodoro plan") {
      return {{ex("pomodoro.yaml")}, {}, ""};
    }
    if (path == "rlab pomodoro export") return {{}, {"--ics"}, ""};
    if (path == "rlab pomodoro journal add") return {{}, {"--mood", "5", "--energy", "5"}, ""};
    if (path == "rlab validate")
      return {{ex("validate/baseline.csv"), ex("validate/candidate.csv")},
              {"--metric", "accuracy:higher"},
              ""};
    if (path == "rlab bayesopt")
      return {{},
              {"--builtin", "branin", "--n-calls", "3", "--n-initial-points", "2", "--study",
               w + "/study.jsonl"},
              ""};
    if (path == "rlab bayesopt ask")
      return {{}, {"--builtin", "branin", "--study", w + "/ask.jsonl"}, ""};
    if (path == "rlab bayesopt tell")
      return {{}, {"--study", w + "/ask.jsonl", "--ask", "1", "--value", "1"}, ""};
    // Validation of every flag and key comes before --emit-sbatch, which writes the job file
    // and stops before data or training: the walk never trains.
    if (path == "rlab prototype")
      return {{ex("prototype.yaml")}, {"--emit-sbatch", w + "/job.sh"}, ""};
    if (path == "rlab exp list") return {{}, {"--runs", w + "/runs"}, ""};
    if (path == "rlab exp show") {
      return {{"EXP-20250303-001"}, {"--runs", w + "/runs"}, "", "no run records to show"};
    }
    if (path == "rlab pomodoro repeat") return {{}, {}, "", "no session to repeat"};
    return {};
  }

  // A case: runs, checks the properties, counts. `env_ok` allows exit 4.
  void check_case(const std::vector<std::string>& args, bool env_ok, bool json_asked) {
    const Outcome o = run_in(work_.path(), args);
    ++cases_;
    const std::string what = joined(args);
    codes_[o.code]++;
    EXPECT_TRUE((o.code >= 0 && o.code <= 3) || (o.code == 4 && env_ok))
        << what << "\nexit " << o.code << "\n"
        << o.err;
    if (o.code >= 2) {
      std::size_t error_lines = 0;
      std::istringstream in(o.err);
      std::string line;
      while (std::getline(in, line)) {
        if (line.rfind("rlab: error: ", 0) == 0) ++error_lines;
      }
      EXPECT_GE(error_lines, 1u) << what << "\n" << o.err;
      EXPECT_TRUE(!o.err.empty() && o.err.back() == '\n') << what;
    }
    if ((o.code == 0 || o.code == 1) && json_asked && !o.out.empty()) {
      EXPECT_TRUE(parses_as_json(o.out)) << what << "\nasked for JSON, got:\n"
                                         << o.out.substr(0, 400);
    }
    std::vector<std::string> partial;
    find_partial_files(work_.path(), partial);
    EXPECT_TRUE(partial.empty()) << what << ": left " << partial.front();
  }

  test::TempDir home_;
  test::TempDir work_;
  std::map<std::string, const char*> saved_;
  std::map<std::string, std::string> kept_;
  std::size_t cases_ = 0;
  std::map<int, std::size_t> codes_;
  std::map<std::string, double> seconds_;  // per command, for keeping the walk fast
  void print_slowest() const {
    std::vector<std::pair<double, std::string>> v;
    for (const auto& [k, t] : seconds_) v.emplace_back(t, k);
    std::sort(v.rbegin(), v.rend());
    std::cout << "[ property ] slowest:";
    for (std::size_t i = 0; i < v.size() && i < 5; ++i)
      std::cout << " " << v[i].second << " " << format_number(v[i].first, 3) << " s;";
    std::cout << "\n";
  }
};

struct NodeInfo {
  std::string path;
  std::vector<std::string> words;  // path without "rlab"
  std::vector<const CLI::Option*> options;
  std::size_t positionals = 0;
};

// Every option of the tree as (node path, option names, takes a value, is a number, words).
struct OptionInfo {
  std::string node;
  std::vector<std::string> words;
  std::string name;  // --long or -s, or the positional's name
  bool positional = false;
  std::size_t position = 0;  // among the node's positionals
  bool takes_value = false;
  bool number = false;
};

std::vector<OptionInfo> all_options(std::vector<std::string>& nodes) {
  std::vector<OptionInfo> out;
  walk_cli_tree(command_table(), [&](const std::vector<std::string>& path, const CLI::App& app) {
    std::string p;
    for (std::size_t i = 0; i < path.size(); ++i) p += (i > 0 ? " " : "") + path[i];
    nodes.push_back(p);
    std::size_t position = 0;
    for (const CLI::Option* opt : app.get_options()) {
      OptionInfo o;
      o.node = p;
      o.words.assign(path.begin() + 1, path.end());
      o.positional = !opt->nonpositional();
      if (o.positional) {
        o.name = opt->get_name();
        o.position = position++;
      } else if (!opt->get_lnames().empty()) {
        o.name = "--" + opt->get_lnames().front();
      } else {
        o.name = "-" + opt->get_snames().front();
      }
      if (o.name == "--help" || o.name == "-h" || o.name == "--help-all") continue;
      o.takes_value = opt->get_expected_max() > 0 && opt->get_type_size_max() > 0;
      o.number = cli::is_number_option(*opt);
      out.push_back(o);
    }
  });
  return out;
}

TEST(PropertyTree, EveryNumericOptionCarriesTheNumberCheck) {
  // An option is numeric when CLI11 cannot convert a word to it. Each such option must go
  // through rlab's number check (finite, in range, whole where whole), not CLI11's own.
  std::vector<std::string> nodes;
  const auto options = all_options(nodes);
  std::size_t numeric = 0;
  std::size_t probed = 0;
  for (const OptionInfo& o : options) {
    if (!o.takes_value || o.positional || o.words.empty()) continue;
    ++probed;
    std::vector<std::string> args = o.words;
    args.push_back(o.name);
    args.push_back("word");
    std::vector<std::string> argv = {"rlab"};
    argv.insert(argv.end(), args.begin(), args.end());
    // Parse only: a throwaway tree, so that nothing runs.
    bool conversion_failed = false;
    walk_cli_tree(command_table(), [&](const std::vector<std::string>& path, const CLI::App& app) {
      if (path.size() != 1) return;
      auto& root = const_cast<CLI::App&>(app);
      std::vector<std::string> rev(argv.rbegin(), argv.rend() - 1);
      try {
        root.parse(rev);
      } catch (const CLI::ConversionError&) {
        conversion_failed = true;
      } catch (const CLI::ValidationError& e) {
        if (std::string(e.what()).find("expected a") != std::string::npos) conversion_failed = true;
      } catch (const CLI::Error&) {
      }
    });
    if (conversion_failed) {
      ++numeric;
      EXPECT_TRUE(o.number) << "rlab " << o.node.substr(5) << " " << o.name
                            << " is numeric but has no cli::real/positive/whole check";
    }
  }
  std::cout << "[ property ] " << nodes.size() << " commands, " << options.size() << " options, "
            << probed << " taking a value, " << numeric << " numeric\n";
  EXPECT_GT(numeric, 40u);
}

TEST_F(PropertyWalk, EveryOptionOfEveryCommandTakesHostileValues) {
  std::vector<std::string> nodes;
  const auto options = all_options(nodes);
  // A sound command line first: where it already fails for the environment (exit 4: no
  // training core, nothing cached), exit 4 is allowed for its hostile variants too.
  std::map<std::string, bool> env_fails;
  std::set<std::string> skipped;
  // `bayesopt tell` records the answer to an ask: one asked point first.
  (void)run_in(work_.path(),
               {"bayesopt", "ask", "--builtin", "branin", "--study", work_.path() + "/ask.jsonl"});
  for (const std::string& node : nodes) {
    if (node == "rlab") continue;
    const Fixture f = fixture(node);
    if (!f.skip.empty()) {
      if (skipped.insert(node).second)
        std::cout << "[ skipped  ] " << node << ": " << f.skip << "\n";
      continue;
    }
    std::vector<std::string> args(std::vector<std::string>{});
    std::istringstream words(node.substr(5));
    for (std::string w; words >> w;) args.push_back(w);
    args.insert(args.end(), f.positionals.begin(), f.positionals.end());
    args.insert(args.end(), f.flags.begin(), f.flags.end());
    const Outcome o = run_in(work_.path(), args);
    env_fails[node] = o.code == 4;
    const bool parent = o.err.find("a subcommand is required") != std::string::npos;
    EXPECT_TRUE(o.code == 0 || o.code == 1 || o.code == 4 || (o.code == 2 && parent) ||
                (o.code == 3 && !f.no_state.empty()))
        << joined(args) << " (the walk's sound command line) exit " << o.code << "\n"
        << shorten(o.err);
  }
  std::size_t fed = 0;
  for (const OptionInfo& o : options) {
    if (o.node == "rlab" || skipped.count(o.node) > 0 || !o.takes_value) continue;
    const Fixture f = fixture(o.node);
    ++fed;
    for (const std::string& value : hostile_values()) {
      std::vector<std::string> args = o.words;
      std::vector<std::string> pos = f.positionals;
      if (o.positional) {
        if (pos.size() <= o.position) pos.resize(o.position + 1, value);
        pos[o.position] = value;
      }
      args.insert(args.end(), pos.begin(), pos.end());
      // The fixture's flags, less the one under test.
      for (std::size_t i = 0; i < f.flags.size(); ++i) {
        if (f.flags[i] == o.name) {
          ++i;
          continue;
        }
        args.push_back(f.flags[i]);
      }
      if (!o.positional) {
        args.push_back(o.name);
        args.push_back(value);
      }
      const auto t0 = std::chrono::steady_clock::now();
      check_case(args, env_fails[o.node], false);
      seconds_[o.node] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  std::cout << "[ property ] options fed: " << fed
            << ", values per option: " << hostile_values().size() << ", cases: " << cases_
            << " (exit codes:";
  for (const auto& [c, n] : codes_) std::cout << " " << c << "x" << n;
  std::cout << ")\n";
  print_slowest();
  EXPECT_GT(fed, 100u);
}

TEST_F(PropertyWalk, GlobalOptionsOnEveryCommand) {
  std::vector<std::string> nodes;
  (void)all_options(nodes);
  const std::vector<std::string> formats = {"table", "json", "csv", "md", "dot", "mermaid"};
  for (const std::string& node : nodes) {
    if (node == "rlab") continue;
    const Fixture f = fixture(node);
    if (!f.skip.empty()) continue;
    std::vector<std::string> base;
    std::istringstream words(node.substr(5));
    for (std::string w; words >> w;) base.push_back(w);
    base.insert(base.end(), f.positionals.begin(), f.positionals.end());
    base.insert(base.end(), f.flags.begin(), f.flags.end());
    const bool env = run_in(work_.path(), base).code == 4;
    for (const std::string& fmt : formats) {
      auto args = base;
      args.push_back("--format");
      args.push_back(fmt);
      check_case(args, env, fmt == "json");
    }
    // The global flags are the same code for every command: a shorter list per command.
    for (const std::string& value :
         {std::string("nan"), std::string("-1"), std::string(""), std::string("text"),
          std::string("ünïcødé ✓"), std::string(5000, 'x')}) {
      for (const char* flag : {"--format", "--config", "--set"}) {
        auto args = base;
        args.push_back(flag);
        args.push_back(value);
        check_case(args, env, false);
      }
    }
  }
  std::cout << "[ property ] global options: " << cases_ << " cases\n";
}

// Leaves of a config tree as --set paths ("challenges.0.impact").
void leaves(const ConfigNode& n, const std::string& path, std::vector<std::string>& out) {
  if (n.is_map()) {
    for (const auto& k : n.keys()) leaves(n[k], path.empty() ? k : path + "." + k, out);
    if (!path.empty()) out.push_back(path);  // the map itself: replaced by a scalar
  } else if (n.is_sequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      leaves(n.at(i), path + "." + std::to_string(i), out);
    }
    out.push_back(path);
  } else {
    out.push_back(path);
  }
}

TEST_F(PropertyWalk, EveryKeyOfEveryExampleConfigTakesHostileValues) {
  const std::string w = work_.path();
  struct Example {
    std::string file;
    std::string section;
    std::vector<std::string> args;  // the file goes where "@" is
  };
  const std::vector<Example> examples = {
      {"prioritize.yaml", "prioritize", {"prioritize", "@"}},
      {"cost.yaml", "cost", {"cost", "plan", "@"}},
      {"trl.yaml", "trl", {"trl", "@"}},
      {"pomodoro.yaml", "pomodoro", {"pomodoro", "@"}},
      {"lit-search.yaml", "lit-search", {"lit-search", "@", "--offline"}},
      {"validate/validate.yaml", "validate", {"validate", "--config", "@"}},
      {"bayesopt.yaml", "bayesopt", {"bayesopt", "ask", "@", "--study", w + "/b.jsonl"}},
      {"bayesopt_prototype.yaml", "bayesopt", {"bayesopt", "ask", "@", "--study", w + "/bp.jsonl"}},
      {"prototype.yaml", "prototype", {"prototype", "@", "--emit-sbatch", w + "/job.sh"}},
  };
  // Each key goes through the same ConfigNode accessors: 11 values a key keep the walk short.
  const std::vector<std::string> set_values = {
      "nan", "-inf", "-1",     "1e308",  "99999999999999999999999999", "2.5",
      "~",   "text", "[1, 2]", "{a: 1}", std::string(3000, 'y')};
  std::size_t keys = 0;
  for (const Example& e : examples) {
    const std::string file = ex(e.file);
    const ConfigNode root = load_config_file(file);
    const ConfigNode section = root.has(e.section) ? root[e.section] : root;
    std::vector<std::string> paths;
    leaves(section, "", paths);
    std::vector<std::string> base;
    for (const auto& a : e.args) base.push_back(a == "@" ? file : a);
    const Outcome sound = run_in(w, base);
    EXPECT_TRUE(sound.code == 0 || sound.code == 1 || sound.code == 4)
        << joined(base) << " exit " << sound.code << "\n"
        << sound.err;
    const bool env = sound.code == 4;
    for (const std::string& p : paths) {
      ++keys;
      for (const std::string& v : set_values) {
        auto args = base;
        args.push_back("--set");
        args.push_back(p + "=" + v);
        const auto t0 = std::chrono::steady_clock::now();
        check_case(args, env, false);
        seconds_[e.file] +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
    }
  }
  std::cout << "[ property ] config keys: " << keys << " in " << examples.size()
            << " example configs, values per key: " << set_values.size() << ", cases: " << cases_
            << "\n";
  print_slowest();
  EXPECT_GT(keys, 100u);
}

TEST_F(PropertyWalk, HostileInputFiles) {
  const std::string w = work_.path();
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "[";
  std::string deep_map = "a:\n";
  for (int i = 1; i < 300; ++i) deep_map += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919) % 256);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"empty.yaml", ""},
      {"null.yaml", "~\n"},
      {"scalar.yaml", "42\n"},
      {"list.yaml", "- 1\n- 2\n"},
      {"deep.yaml", deep + "\n"},
      {"deep_map.yaml", deep_map},
      {"garbage.yaml", garbage},
      {"unterminated.yaml", "a: [1, 2\nb: {\n"},
      {"nan.yaml", "version: 1\nprioritize: {capacity: .nan}\ncost: {work_gpu_hours: .inf}\n"},
      {"types.yaml", "version: [1]\nexperiment: 3\n"},
      {"wrong.csv", "a,b\n1,2,3\n\"unterminated\n"},
      {"wrong.json", "{\"runs\": [{\"metrics\": {\"accuracy\": \"high\"}}], \"x\": nan}\n"},
      {"wrong.jsonl", "{\"seed\": 1e999}\n[]\n{\n"},
      {"bom.yaml", "\xEF\xBB\xBFversion: 1\n"},
      {"huge_numbers.yaml",
       "capacity: 1e400\nchallenges: [{id: a, impact: 99999999999999999999999}]\n"},
  };
  std::vector<std::string> paths;
  for (const auto& [name, content] : files) {
    std::ofstream(w + "/" + name, std::ios::binary) << content;
    paths.push_back(w + "/" + name);
  }
  // Every command that reads a file from its command line, with each hostile file.
  const std::vector<std::vector<std::string>> commands = {
      {"prioritize", "@"},
      {"cost", "plan", "@"},
      {"cost", "diff", "@", "@"},
      {"trl", "@"},
      {"trl", "diff", "@", "@"},
      {"pomodoro", "@"},
      {"lit-search", "@", "--offline"},
      {"lit-search", "--from", "@"},
      {"validate", "@", "@", "--metric", "accuracy:higher"},
      {"validate", "--config", "@"},
      {"bayesopt", "ask", "@", "--study", w + "/h.jsonl"},
      {"bayesopt", "tell", "--study", "@", "--ask", "a", "--value", "1"},
      {"prototype", "@", "--emit-sbatch", w + "/job.sh"},
      {"pomodoro", "journal", "week", "--journal", "@"},
      {"prioritize", "--config", "@"},
  };
  for (const auto& cmd : commands) {
    for (const std::string& p : paths) {
      std::vector<std::string> args;
      for (const auto& a : cmd) args.push_back(a == "@" ? p : a);
      check_case(args, false, false);
    }
  }
  std::cout << "[ property ] hostile files: " << files.size() << " files x " << commands.size()
            << " command lines = " << cases_ << " cases\n";
}

// ---- Regression tests: the inputs that once passed unchecked or confused ---------------

Outcome run_here(const std::vector<std::string>& args) {
  test::TempDir dir;
  return run_in(dir.path(), args);
}

std::string ex_file(const std::string& name) {
  return test::source_path("configs/examples/" + name);
}

TEST(EdgeNumbers, NonFiniteFlagsAreUsageErrors) {
  test::TempDir dir;
  const std::string job = dir.path() + "/job.sh";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"prototype", ex_file("prototype.yaml"), "--max-batches", "2", "--minutes", "nan"},
       "--minutes: must be a finite number, got 'nan'"},
      {{"cost", "plan", ex_file("cost.yaml"), "--budget", "nan"},
       "--budget: must be a finite number, got 'nan'"},
      {{"prioritize", ex_file("prioritize.yaml"), "--deadline", "nan"},
       "--deadline: must be a finite number, got 'nan'"},
      {{"lit-search", "--query", "x", "--offline", "--rate", "nan"},
       "--rate: must be a finite number, got 'nan'"},
      {{"lit-search", "--query", "x", "--offline", "--cache-ttl", "nan"},
       "--cache-ttl: must be a finite number, got 'nan'"},
      {{"bayesopt", "--builtin", "branin", "--timeout", "nan"},
       "--timeout: must be a finite number, got 'nan'"},
      {{"bayesopt", "--builtin", "branin", "--timeout", "inf"},
       "--timeout: must be a finite number, got 'inf'"},
      {{"cost", "plan", ex_file("cost.yaml"), "--deadline", "-inf"},
       "--deadline: must be a finite number, got '-inf'"},
  };
  for (const auto& [args, message] : cases) {
    const Outcome o = run_in(dir.path(), args);
    EXPECT_EQ(o.code, 2) << joined(args) << "\n" << o.err;
    EXPECT_EQ(o.err.rfind("rlab: error: " + message, 0), 0u) << joined(args) << "\n" << o.err;
    EXPECT_EQ(o.out, "");
  }
  // The prototype stopped at the door: no run folder.
  EXPECT_TRUE(test::list_dir(dir.path()).empty());
}

TEST(EdgeNumbers, RangesInHumanNumbersAndWholeNumbersWhereCountsAreMeant) {
  const std::string proto = ex_file("prototype.yaml");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"prototype", proto, "--threads", "-1"}, "--threads: must be between 0 and 1024, got -1"},
      {{"prototype", proto, "--threads", "2.5"}, "--threads: expected a whole number, got '2.5'"},
      {{"prototype", proto, "--seed", "1e30"}, "--seed: expected a whole number, got '1e30'"},
      {{"prototype", proto, "--seed", "99999999999999999999999"},
       "--seed: must be ≤ 9223372036854775807, got 99999999999999999999999"},
      {{"bayesopt", "--builtin", "branin", "--busy-timeout", "-1"},
       "--busy-timeout: must be between 0 and 1000000, got -1"},
      {{"bayesopt", "--builtin", "branin", "--heartbeat-interval", "0"},
       "--heartbeat-interval: must be between 0.01 and 1000000, got 0"},
      {{"cost", "plan", ex_file("cost.yaml"), "--budget", "0"}, "--budget: must be > 0, got 0"},
      {{"cost", "plan", ex_file("cost.yaml"), "--simulate", "-1"},
       "--simulate: must be between 1 and 100000000, got -1"},
      {{"cost", "plan", ex_file("cost.yaml"), "--seed", "-1"}, "--seed: must be ≥ 0, got -1"},
      {{"lit-search", "--query", "x", "--offline", "--limit", "0"},
       "--limit: must be between 1 and 10000000, got 0"},
      {{"prioritize", ex_file("prioritize.yaml"), "--deadline", "-1"},
       "--deadline: must be between 0 and 1000000000000, got -1"},
      {{"prototype", proto, "--profile", "quik"},
       "--profile: must be one of quick, full, got 'quik' (did you mean 'quick'?)"},
  };
  for (const auto& c : cases) {
    const Outcome o = run_here(c.args);
    EXPECT_EQ(o.code, 2) << joined(c.args) << "\n" << o.err;
    EXPECT_EQ(o.err.rfind("rlab: error: " + c.message, 0), 0u) << joined(c.args) << "\n" << o.err;
    EXPECT_EQ(o.err.find("0.000000"), std::string::npos) << o.err;
    EXPECT_EQ(o.err.find("179769"), std::string::npos) << o.err;
  }
}

TEST(EdgeNumbers, SharedRulePhrases) {
  EXPECT_EQ(describe_range(NumberRule{0, std::numeric_limits<double>::max(), false, false}),
            "must be ≥ 0");
  EXPECT_EQ(describe_range(NumberRule{0, 9.3e18, false, true}), "must be ≥ 0");
  EXPECT_EQ(describe_range(NumberRule{1, 64, false, true}), "must be between 1 and 64");
  EXPECT_EQ(describe_range(NumberRule{0, 0.5, true, false}), "must be > 0 and ≤ 0.5");
  EXPECT_EQ(human_number(1e6), "1000000");
  EXPECT_EQ(human_number(0.02), "0.02");
  EXPECT_EQ(human_number(1e300), "1e+300");
  EXPECT_EQ(check_number("010", NumberRule{0, 100, false, true}).integer, 10);
  EXPECT_EQ(check_number(" 5", NumberRule{}).error, "expected a number, got ' 5'");
  EXPECT_EQ(check_number("1e400", NumberRule{}).error, "must be a finite number, got '1e400'");
  EXPECT_TRUE(check_number("1e-308", NumberRule{0, 1, true, false}).value.has_value());
}

TEST(EdgeNumbers, ConfigKeysAndSetRejectNonFiniteNumbers) {
  test::TempDir dir;
  const std::string plan = dir.write(
      "p.yaml", "capacity: .nan\nchallenges:\n  - {id: a, impact: 1, difficulty: 1, effort: 5}\n");
  Outcome o = run_in(dir.path(), {"prioritize", plan});
  EXPECT_EQ(o.code, 3) << o.err;
  EXPECT_EQ(o.err.rfind("rlab: error: " + plan +
                            ":1:11: 'capacity' must be a finite number, got "
                            "'.nan'",
                        0),
            0u)
      << o.err;
  for (const char* v : {"nan", "inf", "-inf", "1e999"}) {
    o = run_in(dir.path(), {"prioritize", ex_file("prioritize.yaml"), "--set",
                            std::string("challenges.0.impact=") + v});
    EXPECT_EQ(o.code, 3) << v << o.err;
    EXPECT_NE(
        o.err.find("'challenges.0.impact' must be a finite number, got '" + std::string(v) + "'"),
        std::string::npos)
        << o.err;
  }
  o = run_in(dir.path(), {"cost", "plan", ex_file("cost.yaml"), "--set", "cost.spot_share=2"});
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.err.find("'cost.spot_share' is 2, must be between 0 and 1"), std::string::npos)
      << o.err;
}

TEST(EdgeOutput, FailedWriteToStdoutIsExitFour) {
  const std::string rlab = RLAB_BINARY;
  const std::string base = test::source_path("configs/examples/validate/baseline.csv");
  const std::string cand = test::source_path("configs/examples/validate/candidate.csv");
  for (const std::string& cmd :
       {rlab + " validate " + base + " " + cand + " --metric accuracy:higher",
        rlab + " prioritize " + ex_file("prioritize.yaml") + " --format json",
        rlab + " completion bash", rlab + " --version", rlab + " --help"}) {
    const test::RunResult r = test::run_program({"/bin/sh", "-c", cmd + " > /dev/full"});
    EXPECT_EQ(r.code, 4) << cmd << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("rlab: error: stdout: cannot write the results", 0), 0u) << cmd << "\n"
                                                                                   << r.err;
  }
  // -o FILE on a full device: the same exit code and a message naming the file.
  const test::RunResult r =
      test::run_rlab({"prioritize", ex_file("prioritize.yaml"), "-o", "/dev/full"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("/dev/full: cannot write"), std::string::npos) << r.err;
}

TEST(EdgeHome, WithoutHomeTheAccountsHomeFromThePasswordDatabase) {
  const char* old_home = std::getenv("HOME");
  const std::string kept = old_home != nullptr ? old_home : "";
  std::map<std::string, std::string> xdg;
  for (const char* k : {"XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "RLAB_HOME"}) {
    if (const char* v = std::getenv(k)) xdg[k] = v;
    ::unsetenv(k);
  }
  ::unsetenv("HOME");
  const passwd* pw = ::getpwuid(::getuid());
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(home_dir(), std::string(pw->pw_dir));
  EXPECT_EQ(data_dirs().data, std::string(pw->pw_dir) + "/.local/share/rlab");
  EXPECT_EQ(data_dirs().cache, std::string(pw->pw_dir) + "/.cache/rlab");
  if (!kept.empty()) ::setenv("HOME", kept.c_str(), 1);
  for (const auto& [k, v] : xdg) ::setenv(k.c_str(), v.c_str(), 1);
}

TEST(EdgeHome, CronLikeEnvironmentNeverWritesIntoTheCurrentDirectory) {
  // `env -i` as cron runs a job: no HOME, no XDG. Two different working directories see the
  // same timer, kept under the account's home (here redirected by RLAB_HOME only for the
  // check of the working directory, which must stay empty).
  test::TempDir a;
  test::TempDir b;
  test::TempDir home;
  const std::string rlab = RLAB_BINARY;
  auto in = [&](const std::string& dir, const std::string& args) {
    return test::run_program({"/bin/sh", "-c",
                              "cd '" + dir + "' && env -i RLAB_NOW=2025-03-03T09:00:00+00:00 " +
                                  "XDG_DATA_HOME='" + home.path() + "/data' XDG_CONFIG_HOME='" +
                                  home.path() + "/config' " + rlab + " " + args});
  };
  test::RunResult r = in(a.path(), "pomodoro start --task cron");
  EXPECT_EQ(r.code, 0) << r.err;
  r = in(b.path(), "pomodoro status --format json");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("cron"), std::string::npos) << r.out;
  EXPECT_TRUE(test::list_dir(a.path()).empty());
  EXPECT_TRUE(test::list_dir(b.path()).empty());
  // Nothing at all set: the password database's home, not ./.local of the job's directory.
  r = test::run_program(
      {"/bin/sh", "-c", "cd '" + a.path() + "' && env -i " + rlab + " pomodoro status"});
  EXPECT_TRUE(r.code == 0 || r.code == 4) << r.err;
  EXPECT_TRUE(test::list_dir(a.path()).empty()) << "wrote into the working directory";
}

TEST(EdgeCommands, SubcommandTyposAtEveryLevelGetASuggestion) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"pomodoro", "strat"}, "unknown command 'rlab pomodoro strat' (did you mean 'start'?)"},
      {{"exp", "lsit"}, "unknown command 'rlab exp lsit' (did you mean 'list'?)"},
      {{"cost", "paln", ex_file("cost.yaml")},
       "unknown command 'rlab cost paln' (did you mean 'plan'?)"},
      {{"trl", "levles"}, "unknown command 'rlab trl levles' (did you mean 'levels'?)"},
      {{"pomodoro", "journal", "ad"},
       "unknown command 'rlab pomodoro journal ad' (did you mean 'add'?)"},
      {{"bayesopt", "tel"}, "unknown command 'rlab bayesopt tel' (did you mean 'tell'?)"},
  };
  for (const auto& [args, message] : cases) {
    const Outcome o = run_here(args);
    EXPECT_EQ(o.code, 2) << joined(args) << "\n" << o.err;
    EXPECT_EQ(o.err.rfind("rlab: error: " + message, 0), 0u) << joined(args) << "\n" << o.err;
  }
  // An existing file is never taken for a typo.
  test::TempDir dir;
  const std::string file = dir.write("plan", "capacity: 1\nchallenges: []\n");
  EXPECT_NE(run_in(dir.path(), {"prioritize", "plan"}).err.find("unknown command"), 0u);
}

TEST(EdgeCommands, FormatsACommandCannotRenderAreUsageErrors) {
  test::TempDir dir;
  Outcome o = run_in(dir.path(), {"completion", "bash", "--format", "json"});
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "rlab: error: completion does not support --format json (use table)\n");
  o = run_in(dir.path(), {"pomodoro", "export", "--timewarrior", "--format", "csv"});
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_EQ(o.err,
            "rlab: error: pomodoro export --timewarrior does not support --format csv (use "
            "json)\n");
  o = run_in(dir.path(), {"pomodoro", "export", "--ics", "--format", "json"});
  EXPECT_EQ(o.code, 2) << o.err;
  o = run_in(dir.path(), {"pomodoro", "start", "--format", "csv"});
  EXPECT_EQ(o.code, 2) << o.err;
  // What they can render still works, byte for byte as before.
  EXPECT_EQ(run_in(dir.path(), {"completion", "bash"}).code, 0);
  EXPECT_EQ(run_in(dir.path(), {"completion", "bash", "--format", "table"}).code, 0);
}

// ---- Shell completion at every level, simulated in bash and zsh -------------------------

// Completes `words` (the last one being completed) with the generated script in `shell`,
// from the working directory `dir`; one candidate a line.
std::set<std::string> complete(const std::string& shell, const std::vector<std::string>& words,
                               const std::string& dir) {
  const std::string script = dir + "/rlab." + shell;
  {
    std::ofstream f(script);
    f << completion_script(shell, command_table());
  }
  std::string list;
  for (const auto& w : words) list += " '" + w + "'";
  std::string program;
  if (shell == "bash") {
    program = "cd '" + dir + "' && source '" + script + "' && COMP_WORDS=(" + list +
              ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _rlab && "
              "printf '%s\\n' \"${COMPREPLY[@]}\"";
  } else {
    // Stand-ins for zsh's completion builtins: print what they would offer.
    program = "cd '" + dir +
              "'\n"
              "compdef() { :; }\n"
              "compadd() { local seen=0 a; for a in \"$@\"; do "
              "if (( seen )); then print -r -- \"$a\"; fi; [[ $a == -- ]] && seen=1; done; "
              "return 0; }\n"
              "_files() { if [[ $1 == -/ ]]; then print -r -- '<dirs>'; "
              "else print -r -- '<files>'; fi; }\n"
              "_describe() { local -a items; items=(\"${(@P)2}\"); local i; "
              "for i in $items; do print -r -- \"${i%%:*}\"; done; }\n"
              "source '" +
              script +
              "'\n"
              "words=(" +
              list + ")\nCURRENT=${#words}\n_rlab\n";
  }
  const test::RunResult r = test::run_program(
      {shell == "bash" ? "/bin/bash" : "/usr/bin/zsh", shell == "bash" ? "-c" : "-fc", program});
  EXPECT_EQ(r.code, 0) << shell << " " << list << "\n" << r.err;
  EXPECT_EQ(r.err, "") << shell << " " << list;
  std::set<std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

TEST(Completion, EveryLevelInBashAndZsh) {
  test::TempDir dir;
  dir.write("exp.yaml", "x: 1\n");
  ::mkdir((dir.path() + "/runs").c_str(), 0755);
  struct Case {
    std::vector<std::string> words;
    std::vector<std::string> bash;  // exactly what bash offers (compgen filters)
    std::vector<std::string> zsh;   // at least these (zsh filters by itself)
  };
  const std::vector<Case> cases = {
      {{"rlab", "pomo"}, {"pomodoro"}, {"pomodoro", "prioritize"}},
      {{"rlab", "pomodoro", "st"}, {"start", "status"}, {"start", "status", "journal"}},
      {{"rlab", "pomodoro", "journal", ""}, {"add", "week", "slots"}, {"add", "week", "slots"}},
      {{"rlab", "exp", ""}, {"list", "show"}, {"list", "show"}},
      {{"rlab", "cost", "p"}, {"plan"}, {"plan", "diff"}},
      {{"rlab", "trl", "q"}, {"quick"}, {"quick", "levels", "ask"}},
      {{"rlab", "bayesopt", "--acq-func", ""},
       {"gp_hedge", "EI", "PI", "LCB"},
       {"gp_hedge", "EI", "PI", "LCB"}},
      {{"rlab", "bayesopt", "ask", "--initial-design", ""},
       {"random", "lhs", "sobol"},
       {"random", "lhs", "sobol"}},
      {{"rlab", "prototype", "--device", ""},
       {"auto", "cpu", "cuda", "cuda:0"},
       {"auto", "cpu", "cuda", "cuda:0"}},
      {{"rlab", "validate", "--test", "w"}, {"welch", "wilcoxon"}, {"welch", "mwu"}},
      {{"rlab", "lit-search", "--source", ""}, {"s2", "openalex", "both"}, {"s2", "both"}},
      {{"rlab", "prioritize", "--format", "m"}, {"md", "mermaid"}, {"json", "dot"}},
      {{"rlab", "pomodoro", "status", "--format", ""}, {"table", "json"}, {"table", "json"}},
      {{"rlab", "pomodoro", "report", "--by", ""}, {"day", "week", "type", "tag"}, {"day", "week"}},
      {{"rlab", "prioritize", "--config", "ex"}, {"exp.yaml"}, {"<files>"}},
      {{"rlab", "prioritize", "e"}, {"exp.yaml"}, {"<files>"}},
      {{"rlab", "exp", "list", "--runs", "r"}, {"runs"}, {"<dirs>"}},
      {{"rlab", "pomodoro", "start", "--dur"}, {"--duration"}, {"--duration", "--task"}},
      {{"rlab", "bayesopt", "ask", "--n-p"}, {"--n-points"}, {"--n-points", "--builtin"}},
      {{"rlab", "completion", ""}, {"bash", "zsh"}, {"bash", "zsh"}},
      {{"rlab", "prototype", "--seed", ""}, {}, {}},
  };
  for (const Case& c : cases) {
    std::string what;
    for (const auto& w : c.words) what += w + " ";
    const auto bash = complete("bash", c.words, dir.path());
    EXPECT_EQ(bash, std::set<std::string>(c.bash.begin(), c.bash.end())) << "bash: " << what;
    const auto zsh = complete("zsh", c.words, dir.path());
    for (const auto& w : c.zsh) EXPECT_EQ(zsh.count(w), 1u) << "zsh: " << what << " lacks " << w;
    if (c.zsh.empty()) {
      EXPECT_TRUE(zsh.empty()) << "zsh: " << what;
    }
  }
}

TEST(Completion, OffersEveryCommandAndOptionOfTheTree) {
  // Every node path and every long option of the tree appear in both scripts.
  const std::string bash = completion_script("bash", command_table());
  const std::string zsh = completion_script("zsh", command_table());
  std::size_t checked = 0;
  walk_cli_tree(command_table(), [&](const std::vector<std::string>& path, const CLI::App& app) {
    std::string p;
    for (std::size_t i = 0; i < path.size(); ++i) p += (i > 0 ? " " : "") + path[i];
    EXPECT_NE(bash.find("\"" + p + "\""), std::string::npos) << p;
    EXPECT_NE(zsh.find("\"" + p + "\""), std::string::npos) << p;
    for (const CLI::Option* opt : app.get_options()) {
      for (const auto& l : opt->get_lnames()) {
        EXPECT_NE(bash.find("--" + l), std::string::npos) << p << " --" << l;
        EXPECT_NE(zsh.find("--" + l), std::string::npos) << p << " --" << l;
        ++checked;
      }
    }
  });
  EXPECT_GT(checked, 200u);
}

}  // namespace
}  // namespace rlab
