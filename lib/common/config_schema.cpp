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

// A declared integer bound as a long long: bounds at the edge of the type (LLONG_MAX is not a
// double) are the type's own.
long long whole_bound(double v) {
  if (v >= 9.2e18) return std::numeric_limits<long long>::max();
  if (v <= -9.2e18) return std::numeric_limits<long long>::min();
  return static_cast<long long>(v);
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

void check_value(const ConfigNode& n, const Key& k) {
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
      (void)n.as_int(whole_bound(k.min), whole_bound(k.max));
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
      if (!k.scalar.empty() && n.is_scalar()) {
        check_value(n, k.scalar.front());
      } else if (!n.is_map() && k.check) {
        break;  // the check takes the other forms, or refuses them
      } else {
        check(n, k.keys);  // check_keys refuses a value that is not a map
      }
      break;
    case Kind::kListOf:
      for (std::size_t i = 0; i < n.size(); ++i) {  // size() refuses a value that is not a list
        const ConfigNode item = n.at(i);
        if (!item.is_null() || k.keys.front().kind == Kind::kMap) check_value(item, k.keys.front());
      }
      break;
    case Kind::kMapOf: {
      if (!n.is_map() && k.check) break;  // the check takes the other forms, or refuses them
      const std::vector<std::string> names = n.keys();  // refuses a value that is not a map
      n.check_keys(names);                              // refuses a name given twice
      for (const std::string& name : names) {
        const ConfigNode value = n[name];
        if (!value.is_null() || k.keys.front().kind == Kind::kMap) {
          check_value(value, k.keys.front());
        }
      }
      break;
    }
    case Kind::kAny:
      break;
  }
  if (k.check) k.check(n);
}

bool shown_in_reference(const Key& k) {
  if (k.kind == Kind::kMap) return true;
  if (k.kind == Kind::kListOf && k.keys.front().kind == Kind::kMap) return true;
  return !k.example.empty();
}

namespace {

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
    case Kind::kListOf: {
      const std::string item = kind_words(k.keys.front());
      return item.empty() ? "list" : "list; each item: " + item;
    }
    case Kind::kMapOf: {
      const std::string value = kind_words(k.keys.front());
      return value.empty() ? "map of names" : "map of names; each value: " + value;
    }
    case Kind::kAny:
      return "";
  }
  return "";
}

bool is_map_kind(const Key& k) { return k.kind == Kind::kMap; }
bool nests(const Key& k) {
  return k.kind == Kind::kMap ||
         ((k.kind == Kind::kListOf || k.kind == Kind::kMapOf) && is_map_kind(k.keys.front()));
}

void write_keys(std::string& out, const std::vector<Key>& keys, const std::string& indent) {
  for (const Key& k : keys) {
    const std::string kind = kind_words(k);
    out += indent + "# " + k.help + (k.required ? " (required)" : "") +
           (kind.empty() || nests(k) ? "" : " (" + kind + ")") + "\n";
    if (k.kind == Kind::kMap) {
      out += indent + k.name + ":\n";
      write_keys(out, k.keys, indent + "  ");
    } else if (k.kind == Kind::kListOf && nests(k)) {
      out +=
          indent + k.name + ":\n" + indent + "  # " + k.keys.front().help + "\n" + indent + "  -\n";
      write_keys(out, k.keys.front().keys, indent + "    ");
    } else if (k.kind == Kind::kMapOf && !k.example.empty()) {
      const Key& value = k.keys.front();
      const std::string value_kind = nests(k) ? "" : kind_words(value);
      out += indent + k.name + ":\n" + indent + "  # " + value.help +
             (value_kind.empty() ? "" : " (" + value_kind + ")") + "\n";
      if (nests(k)) {
        out += indent + "  " + k.example + ":\n";
        write_keys(out, value.keys, indent + "    ");
      } else {
        out += indent + "  " + k.example + ": " + value.example + "\n";
      }
    } else if (k.example.empty() || k.kind == Kind::kMapOf) {
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
Key list_of(std::string name, Key item, std::string help, std::string example) {
  Key k = make(std::move(name), Kind::kListOf, std::move(help), std::move(example));
  k.keys.push_back(std::move(item));
  return k;
}
Key map_of(std::string name, Key value, std::string help, std::string example_name) {
  Key k = make(std::move(name), Kind::kMapOf, std::move(help), std::move(example_name));
  k.keys.push_back(std::move(value));
  return k;
}
Key required(Key k) {
  k.required = true;
  return k;
}
Key or_scalar(Key k, Key scalar) {
  k.scalar.push_back(std::move(scalar));
  return k;
}
Key checked(Key k, std::function<void(const ConfigNode&)> check) {
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
    const ConfigNode n = k.required ? node.required(k.name) : node[k.name];
    if (n.defined() && !n.is_null()) check_value(n, k);
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
