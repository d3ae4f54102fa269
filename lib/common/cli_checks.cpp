// The CLI11 checks of rlab/cli_checks.h: number validators over rlab/numbers.h, and the words an
// option takes (one_of, values) that shell completion reads back from the tree.
#include "rlab/cli_checks.h"

#include "rlab/text.h"

#include <string>
#include <vector>

namespace rlab {

namespace cli {

CLI::Validator number(const NumberRule& rule) {
  std::string desc = describe_range(rule);
  if (desc.rfind("must be ", 0) == 0) desc = desc.substr(8);
  CLI::Validator v(
      [rule](std::string& text) -> std::string {
        const NumberCheck c = check_number(text, rule);
        if (!c.error.empty()) return c.error;
        if (c.integer) text = std::to_string(*c.integer);  // decimal, no wrap, no octal
        return "";
      },
      desc, kNumberValidator);
  return v;
}

namespace {
std::string join_words(const std::vector<std::string>& words, const char* sep) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : sep) + w;
  return s;
}

// CLI11 2.1 has no way to list an option's validators but by index until it throws.
template <typename F>
void each_validator(const CLI::Option& opt, F f) {
  auto& o = const_cast<CLI::Option&>(opt);  // get_validator is not const in CLI11 2.1
  for (int i = 0;; ++i) {
    try {
      const CLI::Validator* v = o.get_validator(i);
      if (v == nullptr) return;
      f(*v);
    } catch (const CLI::OptionNotFound&) {
      return;
    }
  }
}
}  // namespace

CLI::Validator one_of(const std::vector<std::string>& choices) {
  return CLI::Validator(
      [choices](std::string& text) -> std::string {
        for (const auto& c : choices) {
          if (c == text) return "";
        }
        std::string shown = text.size() > 40 ? text.substr(0, 37) + "..." : text;
        return "must be one of " + join_words(choices, ", ") + ", got '" + shown + "'" +
               did_you_mean(text, choices);
      },
      "{" + join_words(choices, ",") + "}", kValuesValidator + join_words(choices, " "));
}

CLI::Validator values(const std::vector<std::string>& words) {
  return CLI::Validator([](std::string&) { return std::string(); }, "",
                        kValuesValidator + join_words(words, " "));
}

std::vector<std::string> option_values(const CLI::Option& opt) {
  std::vector<std::string> out;
  each_validator(opt, [&](const CLI::Validator& v) {
    const std::string name = v.get_name();
    if (name.rfind(kValuesValidator, 0) != 0) return;
    std::string rest = name.substr(std::string(kValuesValidator).size());
    std::size_t pos = 0;
    while (pos <= rest.size()) {
      const std::size_t sp = rest.find(' ', pos);
      const std::string w =
          rest.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
      if (!w.empty()) out.push_back(w);
      if (sp == std::string::npos) break;
      pos = sp + 1;
    }
  });
  return out;
}

bool is_number_option(const CLI::Option& opt) {
  bool found = false;
  each_validator(
      opt, [&](const CLI::Validator& v) { found = found || v.get_name() == kNumberValidator; });
  return found;
}

}  // namespace cli

}  // namespace rlab
