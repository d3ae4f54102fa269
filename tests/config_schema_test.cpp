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
    const ConfigNode section = select_section(root, s->name, config_section_names(command_table()));
    EXPECT_NO_THROW(config::check(section, *s));
    EXPECT_EQ(section.keys().size(), [&] {
      std::size_t shown = 0;
      for (const config::Key& k : s->keys) {
        shown += config::shown_in_reference(k) ? 1 : 0;
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
      EXPECT_NO_THROW(config::check(
          select_section(load_config_file(path), s->name, config_section_names(command_table())),
          *s))
          << rel;
      ++seen;
    }
    EXPECT_GE(seen, 1) << "no shipped example of '" << s->name << "'";
  }
}

// One hostile case: a YAML section holding one bad value, the line it is on, the key it names.
struct HostileCase {
  std::string text;
  int line = 0;
  std::string key;
  const config::Key* decl = nullptr;
};

bool scalar_kind(config::Kind k) {
  return k != config::Kind::kString && k != config::Kind::kList && k != config::Kind::kAny &&
         k != config::Kind::kMap && k != config::Kind::kListOf && k != config::Kind::kMapOf;
}

// Lines that make `keys`' required siblings of `skip` valid (their reference examples), so the
// check reaches the hostile value instead of stopping at a missing key.
std::string required_siblings(const std::vector<config::Key>& keys, const config::Key& skip,
                              const std::string& indent, int& lines) {
  std::string out;
  for (const config::Key& k : keys) {
    if (&k == &skip || !k.required || k.example.empty() || !config::shown_in_reference(k)) {
      continue;
    }
    if (k.kind == config::Kind::kMap || k.kind == config::Kind::kMapOf ||
        k.kind == config::Kind::kListOf) {
      continue;
    }
    out += indent + k.name + ": " + k.example + "\n";
    ++lines;
  }
  return out;
}

// Every scalar key below `keys` (maps, list items and named entries walked into), each with
// every hostile value.
void hostile_cases(const std::vector<config::Key>& keys, const std::string& head, int head_lines,
                   const std::string& indent, const std::vector<std::string>& values,
                   std::vector<HostileCase>& out) {
  for (const config::Key& k : keys) {
    int lines = head_lines;
    const std::string siblings = required_siblings(keys, k, indent, lines);
    const std::string at = head + siblings;
    if (scalar_kind(k.kind)) {
      for (const std::string& v : values) {
        out.push_back({at + indent + k.name + ": " + v + "\n", lines + 1, k.name, &k});
      }
    } else if (k.kind == config::Kind::kMap) {
      hostile_cases(k.keys, at + indent + k.name + ":\n", lines + 1, indent + "  ", values, out);
    } else if (k.kind == config::Kind::kListOf) {
      const config::Key& item = k.keys.front();
      if (item.kind == config::Kind::kMap) {
        hostile_cases(item.keys, at + indent + k.name + ":\n" + indent + "  -\n", lines + 2,
                      indent + "    ", values, out);
      } else if (scalar_kind(item.kind)) {
        for (const std::string& v : values) {
          out.push_back({at + indent + k.name + ":\n" + indent + "  - " + v + "\n", lines + 2,
                         k.name, &item});
        }
      }
    } else if (k.kind == config::Kind::kMapOf) {
      const config::Key& value = k.keys.front();
      if (value.kind == config::Kind::kMap) {
        hostile_cases(value.keys, at + indent + k.name + ":\n" + indent + "  entry:\n", lines + 2,
                      indent + "    ", values, out);
      } else if (scalar_kind(value.kind)) {
        for (const std::string& v : values) {
          out.push_back({at + indent + k.name + ":\n" + indent + "  entry: " + v + "\n", lines + 2,
                         "entry", &value});
        }
      }
    }
  }
}

// Every declared key, however deep, fed values of the wrong kind, out of range, non-finite and
// misspelt, is refused with the key's file:line:col and name.
TEST(ConfigReference, EveryDeclaredKeyRefusesHostileValues) {
  const std::vector<std::string> hostile = {".nan",   ".inf",   "-.inf",  "1e999", "abc",
                                            "[1, 2]", "{a: 1}", "-1e308", "1e308"};
  int refused = 0;
  for (const config::Section* s : config_sections()) {
    std::vector<HostileCase> cases;
    hostile_cases(s->keys, s->name + ":\n", 1, "  ", hostile, cases);
    for (const HostileCase& c : cases) {
      const ConfigNode root = parse_config(c.text, "h.yaml");
      try {
        config::check(select_section(root, s->name, config_section_names(command_table())), *s);
        // Only a value that is valid for this kind may pass (a big number for an unbounded one).
        const bool big = c.text.find(": -1e308\n") != std::string::npos ||
                         c.text.find(": 1e308\n") != std::string::npos ||
                         c.text.find("- -1e308\n") != std::string::npos ||
                         c.text.find("- 1e308\n") != std::string::npos;
        EXPECT_TRUE(c.decl->kind == config::Kind::kNumber && big && c.decl->min <= -1e308 &&
                    c.decl->max >= 1e308)
            << s->name << ": passed:\n"
            << c.text;
      } catch (const InputError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind("h.yaml:" + std::to_string(c.line) + ":", 0), 0U) << msg << "\n"
                                                                              << c.text;
        EXPECT_NE(msg.find(c.key), std::string::npos) << msg << "\n" << c.text;
        ++refused;
      }
    }
    // A misspelt key names the declared one.
    const std::string& first = s->keys.front().name;
    const std::string typo = first.substr(0, first.size() - 1) + "x";
    const ConfigNode root = parse_config(s->name + ":\n  " + typo + ": 1\n", "t.yaml");
    try {
      config::check(select_section(root, s->name, config_section_names(command_table())), *s);
      ADD_FAILURE() << "unknown key " << typo << " passed";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("did you mean '" + first + "'"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_GT(refused, 50);
}

// The nested kinds on a small declaration of their own: lists of maps, named entries, required
// keys, and the reference text they write passes their own check.
config::Section toy_section() {
  using namespace config;
  return {"toy",
          "a toy section",
          {required(text("title", "what it is", "demo")),
           list_of("items",
                   map("",
                       {required(text("name", "item name", "a")),
                        positive("weight", 10, "its weight", "2")},
                       "one item"),
                   "the items"),
           map_of("space",
                  map("",
                      {required(choice("type", {"real", "int"}, "kind", "real")),
                       number("low", -5, 5, "lower bound", "0")},
                      "one dimension"),
                  "named dimensions", "lr"),
           map_of("tags", integer("", 0, 9, "a digit per name", "3"), "named digits", "x"),
           list_of("levels", integer("", 1, 9, "a level", ""), "levels", "[1, 2]")}};
}

void expect_refused(const std::string& yaml, const std::string& where, const std::string& words) {
  const config::Section s = toy_section();
  try {
    config::check(parse_config(yaml, "t.yaml")["toy"], s);
    ADD_FAILURE() << "passed:\n" << yaml;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("t.yaml:" + where + ":", 0), 0U) << msg;
    EXPECT_NE(msg.find(words), std::string::npos) << msg;
  }
}

TEST(ConfigSchema, NestedKindsCheckEveryItemAndEntry) {
  const config::Section s = toy_section();
  const std::string ok =
      "toy:\n  title: t\n  items:\n    - name: a\n      weight: 3\n    - name: b\n"
      "  space:\n    lr: {type: real, low: -1}\n    depth: {type: int}\n  tags: {a: 1, b: 9}\n"
      "  levels: [3, 4]\n";
  EXPECT_NO_THROW(config::check(parse_config(ok, "t.yaml")["toy"], s));

  const struct {
    const char* yaml;
    const char* where;
    const char* words;
  } refused[] = {
      {"toy:\n  items: []\n", "2", "missing required key 'title'"},
      {"toy:\n  title: t\n  items:\n    - name: a\n    - weight: 2\n", "5", "name"},
      {"toy:\n  title: t\n  items:\n    - name: a\n      weight: -2\n", "5", "weight"},
      {"toy:\n  title: t\n  items:\n    - name: a\n      wieght: 2\n", "5",
       "did you mean 'weight'"},
      {"toy:\n  title: t\n  items: 3\n", "3", "must be a list"},
      {"toy:\n  title: t\n  items:\n    - 3\n", "4", "map"},
      {"toy:\n  title: t\n  space:\n    lr: {type: real, low: 7}\n", "4", "low"},
      {"toy:\n  title: t\n  space:\n    lr: {low: 1}\n", "4", "type"},
      {"toy:\n  title: t\n  space:\n    lr: {type: real}\n    lr: {type: int}\n", "5", "lr"},
      {"toy:\n  title: t\n  space: [1]\n", "3", "map"},
      {"toy:\n  title: t\n  tags: {a: 10}\n", "3", "a"},
      {"toy:\n  title: t\n  tags: {a: .nan}\n", "3", "a"},
      {"toy:\n  title: t\n  levels: [1, 0]\n", "3", "levels"},
  };
  for (const auto& r : refused) expect_refused(r.yaml, r.where, r.words);
}

TEST(ConfigSchema, NestedKindsWriteAReferenceThatPassesItsOwnCheck) {
  const config::Section s = toy_section();
  const std::string text = config::reference_yaml({&s});
  const ConfigNode section = parse_config(text, "ref.yaml")["toy"];
  EXPECT_NO_THROW(config::check(section, s)) << text;
  EXPECT_EQ(section["items"].size(), 1U) << text;
  EXPECT_EQ(section["space"]["lr"]["type"].as_string(), "real") << text;
  EXPECT_EQ(section["tags"]["x"].as_int(), 3) << text;
  EXPECT_EQ(section["levels"].size(), 2U) << text;
  EXPECT_NE(text.find("(required)"), std::string::npos) << text;
}

}  // namespace
}  // namespace rlab
