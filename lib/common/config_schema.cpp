// Checking a config section against its declaration, and writing the reference file from it.
#include "rlab/config_schema.h"

#include "rlab/numbers.h"
#include "rlab/text.h"

#include <utility>

namespace rlab::config {

namespace {

Key make(std::string name, Kind kind, std::string help, std::string example) {
  Key k;
  k.name = std::move(name);
  k.kind = kind;
  k.help = std::move(help);
  k.example = std::move(example);
  return k;
}

}  // namespace

void require_positive(const ConfigNode& n, double max) {
  const double v = n.as_double();
  if (!(v > 0)) n.fail("'" + n.path() + "' must be > 0, got " + format_number(v, 6));
  if (v > max) {
    n.fail("'" + n.path() + "' must be <= " + format_number(max, 6) + ", got " +
           format_number(v, 6));
  }
}

namespace {

void check_one(const ConfigNode& n, const Key& k) {
  switch (k.kind) {
    case Kind::kString:
      (void)n.as_string();
      break;
    case Kind::kNumber:
      (void)n.as_double(k.min, k.max);
      break;
    case Kind::kPositive:
      require_positive(n, k.max);
      break;
    case Kind::kInteger:
      (void)n.as_int(static_cast<long long>(k.min), static_cast<long long>(k.max));
      break;
    case Kind::kBool:
      (void)n.as_bool();
      break;
    case Kind::kChoice:
      (void)n.as_choice(k.choices);
      break;
    case Kind::kDate:
      (void)n.as_date();
      break;
    case Kind::kList:
      for (const ConfigNode& i : n.items()) (void)i.as_string();
      break;
    case Kind::kMap:
      check(n, k.keys);  // check_keys refuses a value that is not a map
      break;
    case Kind::kAny:
      break;
  }
  if (k.check) k.check(n);
}

std::string kind_words(const Key& k) {
  NumberRule r;
  r.min = k.min;
  r.max = k.max;
  switch (k.kind) {
    case Kind::kString:
      return "";
    case Kind::kNumber: {
      const std::string range = describe_range(r);
      return range.empty() ? "number" : "number, " + range;
    }
    case Kind::kPositive:
      r.min = 0;
      r.min_open = true;
      return "number, " + describe_range(r);
    case Kind::kInteger: {
      r.integer = true;
      const std::string range = describe_range(r);
      return range.empty() ? "integer" : "integer, " + range;
    }
    case Kind::kBool:
      return "true or false";
    case Kind::kChoice:
      return "one of " + join(k.choices, ", ");
    case Kind::kDate:
      return "date YYYY-MM-DD";
    case Kind::kList:
      return "a value or a list";
    case Kind::kMap:
      return "map";
    case Kind::kAny:
      return "";
  }
  return "";
}

void write_keys(std::string& out, const std::vector<Key>& keys, const std::string& indent) {
  for (const Key& k : keys) {
    const std::string kind = kind_words(k);
    out += indent + "# " + k.help +
           (kind.empty() || k.kind == Kind::kMap ? "" : " (" + kind + ")") + "\n";
    if (k.kind == Kind::kMap) {
      out += indent + k.name + ":\n";
      write_keys(out, k.keys, indent + "  ");
    } else if (k.example.empty()) {
      out += indent + "# " + k.name + ":\n";
    } else {
      out += indent + k.name + ": " + k.example + "\n";
    }
  }
}

}  // namespace

Key text(std::string name, std::string help, std::string example) {
  return make(std::move(name), Kind::kString, std::move(help), std::move(example));
}
Key number(std::string name, double min, double max, std::string help, std::string example) {
  Key k = make(std::move(name), Kind::kNumber, std::move(help), std::move(example));
  k.min = min;
  k.max = max;
  return k;
}
Key positive(std::string name, double max, std::string help, std::string example) {
  Key k = make(std::move(name), Kind::kPositive, std::move(help), std::move(example));
  k.min = 0;
  k.max = max;
  return k;
}
Key integer(std::string name, long long min, long long max, std::string help, std::string example) {
  Key k = make(std::move(name), Kind::kInteger, std::move(help), std::move(example));
  k.min = static_cast<double>(min);
  k.max = static_cast<double>(max);
  return k;
}
Key flag(std::string name, std::string help, std::string example) {
  return make(std::move(name), Kind::kBool, std::move(help), std::move(example));
}
Key choice(std::string name, std::vector<std::string> choices, std::string help,
           std::string example) {
  Key k = make(std::move(name), Kind::kChoice, std::move(help), std::move(example));
  k.choices = std::move(choices);
  return k;
}
Key date(std::string name, std::string help, std::string example) {
  return make(std::move(name), Kind::kDate, std::move(help), std::move(example));
}
Key list(std::string name, std::string help, std::string example) {
  return make(std::move(name), Kind::kList, std::move(help), std::move(example));
}
Key map(std::string name, std::vector<Key> keys, std::string help) {
  Key k = make(std::move(name), Kind::kMap, std::move(help), "");
  k.keys = std::move(keys);
  return k;
}
Key any(std::string name, std::string help, std::string example,
        std::function<void(const ConfigNode&)> check) {
  Key k = make(std::move(name), Kind::kAny, std::move(help), std::move(example));
  k.check = std::move(check);
  return k;
}

std::vector<std::string> names(const std::vector<Key>& keys) {
  std::vector<std::string> n;
  n.reserve(keys.size());
  for (const Key& k : keys) n.push_back(k.name);
  return n;
}

void check(const ConfigNode& node, const std::vector<Key>& keys) {
  node.check_keys(names(keys));
  for (const Key& k : keys) {
    const ConfigNode n = node[k.name];
    if (n.defined() && !n.is_null()) check_one(n, k);
  }
}

std::string reference_yaml(const std::vector<const Section*>& sections) {
  std::string out =
      "# Every key of every command's config section, generated from the declarations in the\n"
      "# code (a test keeps this file in step). A file may hold one section, or several under\n"
      "# an `experiment:` name; keys shown commented out have no default worth showing.\n"
      "version: 1\n";
  for (const Section* s : sections) {
    out += "\n# " + s->summary + "\n" + s->name + ":\n";
    write_keys(out, s->keys, "  ");
  }
  return out;
}

}  // namespace rlab::config
