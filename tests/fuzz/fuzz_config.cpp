// libFuzzer target: the YAML config loader (parse_config) and every ConfigNode accessor, over
// the whole tree, plus select_section for every known command section.
#include "rlab/commands.h"
#include "rlab/config.h"

#include "fuzz_support.h"

namespace {

// Visits at most `budget` nodes (aliases may make the tree a DAG that is large when expanded).
void walk(const rlab::ConfigNode& n, int depth, int& budget) {
  if (--budget < 0 || depth > 200) return;
  using rlab::fuzz::refuse_or_accept;
  (void)n.kind();
  (void)n.location().str();
  (void)n.name();
  if (n.is_map()) {
    refuse_or_accept([&] { n.check_keys({"a", "b", "name"}); });
    for (const auto& k : n.keys()) walk(n[k], depth + 1, budget);
    (void)n["absent"].location().str();
    refuse_or_accept([&] { (void)n.required("absent"); });
  } else if (n.is_sequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) walk(n.at(i), depth + 1, budget);
  } else {
    refuse_or_accept([&] { (void)n.as_string(); });
    refuse_or_accept([&] { (void)n.as_double(); });
    refuse_or_accept([&] { (void)n.as_double(-1, 1); });
    refuse_or_accept([&] { (void)n.as_int(); });
    refuse_or_accept([&] { (void)n.as_int(0, 10); });
    refuse_or_accept([&] { (void)n.as_bool(); });
    refuse_or_accept([&] { (void)n.as_date(); });
    refuse_or_accept([&] { (void)n.as_choice({"x", "y"}); });
  }
  refuse_or_accept([&] { (void)n.items(); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rlab::fuzz::refuse_or_accept([&] {
    const rlab::ConfigNode root = rlab::parse_config(rlab::fuzz::text(data, size), "fuzz.yaml");
    int budget = 10000;
    walk(root, 0, budget);
    const std::vector<std::string> sections = rlab::config_section_names(rlab::command_table());
    std::vector<std::string> keys = {"experiment"};
    keys.insert(keys.end(), sections.begin(), sections.end());
    for (const auto& s : keys) {
      rlab::fuzz::refuse_or_accept([&] {
        const rlab::ConfigNode sec = rlab::select_section(root, s, sections);
        rlab::apply_overrides(sec, s, {s + ".a.b=1", "c=[x, y]"});
      });
    }
  });
  return 0;
}
