// The declared config sections: configs/reference.yaml is generated from them, the YAML in
// README and docs only uses declared keys, and every declared key refuses hostile values.
#include "rlab/config_schema.h"

#include "rlab/commands.h"
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"

#include <gtest/gtest.h>

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "support/run.h"

namespace rlab {
namespace {

const config::Section* declared(const std::string& name) {
  for (const config::Section* s : config_sections()) {
    if (s->name == name) return s;
  }
  return nullptr;
}

// The ```yaml blocks of a Markdown file, with the line each starts on.
std::vector<std::pair<int, std::string>> yaml_blocks(const std::string& md) {
  std::vector<std::pair<int, std::string>> out;
  std::istringstream in(md);
  std::string line;
  int n = 0;
  int start = 0;
  bool inside = false;
  std::string block;
  while (std::getline(in, line)) {
    ++n;
    if (!inside && line.rfind("```yaml", 0) == 0) {
      inside = true;
      start = n + 1;
      block.clear();
    } else if (inside && line.rfind("```", 0) == 0) {
      inside = false;
      out.emplace_back(start, block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return out;
}

TEST(ConfigReference, IsGeneratedFromTheDeclarations) {
  const std::string path = test::source_path("configs/reference.yaml");
  const std::string want = config::reference_yaml(config_sections());
  if (std::getenv("RLAB_UPDATE_REFERENCE") != nullptr) write_file_atomic(path, want);
  EXPECT_EQ(test::slurp(path), want)
      << "configs/reference.yaml is stale: RLAB_UPDATE_REFERENCE=1 "
         "build/ci/tests/rlab_tests --gtest_filter='ConfigReference.*' rewrites it";
}

TEST(ConfigReference, EverySectionOfItPassesItsOwnCheck) {
  const ConfigNode root = load_config_file(test::source_path("configs/reference.yaml"));
  for (const config::Section* s : config_sections()) {
    SCOPED_TRACE(s->name);
    const ConfigNode section = select_section(root, s->name);
    EXPECT_NO_THROW(config::check(section, *s));
    EXPECT_EQ(section.keys().size(), [&] {
      std::size_t shown = 0;
      for (const config::Key& k : s->keys) {
        shown += k.example.empty() && k.kind != config::Kind::kMap ? 0 : 1;
      }
      return shown;
    }());
  }
}

TEST(ConfigReference, YamlInTheDocsUsesOnlyDeclaredKeys) {
  std::vector<std::string> files = {test::source_path("README.md")};
  const std::string docs = test::source_path("docs");
  for (const std::string& name : test::list_dir(docs)) {
    if (name.size() > 3 && name.substr(name.size() - 3) == ".md")
      files.push_back(docs + "/" + name);
  }
  std::map<std::string, int> checked;
  for (const std::string& file : files) {
    for (const auto& [line, text] : yaml_blocks(test::slurp(file))) {
      ConfigNode root;
      try {
        root = parse_config(text, file + ":" + std::to_string(line));
      } catch (const InputError&) {
        continue;  // a fragment ("..."), not a file
      }
      if (!root.is_map()) continue;
      for (const std::string& key : root.keys()) {
        const config::Section* s = declared(key);
        if (s == nullptr) continue;
        SCOPED_TRACE(file + ":" + std::to_string(line) + " section " + key);
        EXPECT_NO_THROW(config::check(root[key], *s));
        ++checked[key];
      }
    }
  }
  for (const config::Section* s : config_sections()) {
    EXPECT_GE(checked[s->name], 1) << "no YAML example of '" << s->name << "' in README or docs";
  }
}

TEST(ConfigReference, ShippedExamplesPassTheirDeclarations) {
  // configs/examples/<section>.yaml or configs/examples/<section>/<section>.yaml, as a section
  // of an experiment file or as the section's keys at top level.
  for (const config::Section* s : config_sections()) {
    SCOPED_TRACE(s->name);
    int seen = 0;
    for (const std::string& rel : {"configs/examples/" + s->name + ".yaml",
                                   "configs/examples/" + s->name + "/" + s->name + ".yaml"}) {
      const std::string path = test::source_path(rel);
      if (!path_exists(path)) continue;
      EXPECT_NO_THROW(config::check(select_section(load_config_file(path), s->name), *s)) << rel;
      ++seen;
    }
    EXPECT_GE(seen, 1) << "no shipped example of '" << s->name << "'";
  }
}

// Every declared key, fed values of the wrong kind, out of range, non-finite and misspelt,
// is refused with the key's file:line:col and name.
TEST(ConfigReference, EveryDeclaredKeyRefusesHostileValues) {
  const std::vector<std::string> hostile = {".nan",   ".inf",   "-.inf",  "1e999", "abc",
                                            "[1, 2]", "{a: 1}", "-1e308", "1e308"};
  int refused = 0;
  for (const config::Section* s : config_sections()) {
    for (const config::Key& k : s->keys) {
      if (k.kind == config::Kind::kString || k.kind == config::Kind::kList ||
          k.kind == config::Kind::kAny || k.kind == config::Kind::kMap) {
        continue;
      }
      for (const std::string& v : hostile) {
        const std::string text = s->name + ":\n  " + k.name + ": " + v + "\n";
        const ConfigNode root = parse_config(text, "h.yaml");
        try {
          config::check(select_section(root, s->name), *s);
          // Only a value that is valid for this kind may pass (a big number for an unbounded one).
          EXPECT_TRUE(k.kind == config::Kind::kNumber && (v == "-1e308" || v == "1e308") &&
                      k.min <= -1e308 && k.max >= 1e308)
              << s->name << "." << k.name << " = " << v << " passed";
        } catch (const InputError& e) {
          const std::string msg = e.what();
          EXPECT_EQ(msg.rfind("h.yaml:2:", 0), 0U) << msg;
          EXPECT_NE(msg.find(k.name), std::string::npos) << msg;
          ++refused;
        }
      }
    }
    // A misspelt key names the declared one.
    const std::string& first = s->keys.front().name;
    const std::string typo = first.substr(0, first.size() - 1) + "x";
    const ConfigNode root = parse_config(s->name + ":\n  " + typo + ": 1\n", "t.yaml");
    try {
      config::check(select_section(root, s->name), *s);
      ADD_FAILURE() << "unknown key " << typo << " passed";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("did you mean '" + first + "'"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_GT(refused, 50);
}

}  // namespace
}  // namespace rlab
