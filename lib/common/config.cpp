#include "rlab/config.h"

#include "rlab/clock.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/numbers.h"
#include "rlab/text.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

namespace rlab {

namespace {
// Shared by every node of one loaded document.
struct Document {
  std::string file;
  // Full key path -> "key.path=value" as the user typed it, for values set with --set.
  std::map<std::string, std::string> overrides;
};
}  // namespace

struct ConfigNode::Impl {
  std::shared_ptr<Document> doc;
  YAML::Node node;         // an empty node when the key is absent
  bool present = false;    // the key exists in the document
  YAML::Mark parent_mark;  // where to point when the node is absent
};

namespace {
std::shared_ptr<ConfigNode::Impl> make_impl(const std::shared_ptr<Document>& doc,
                                            const YAML::Node& node, YAML::Mark parent,
                                            bool present = true) {
  auto impl = std::make_shared<ConfigNode::Impl>();
  impl->doc = doc;
  if (present && node.IsDefined()) {
    impl->node.reset(node);
    impl->present = true;
  }
  impl->parent_mark = parent;
  return impl;
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string display_path(const std::string& path) { return path.empty() ? "top level" : path; }

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (end != begin + s.size() || errno == ERANGE || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool parse_int(const std::string& s, long long& out) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(begin, &end, 10);
  if (end != begin + s.size() || errno == ERANGE) return false;
  out = v;
  return true;
}

bool parse_bool(const std::string& s, bool& out) {
  const std::string l = ascii_lower(s);
  if (l == "true" || l == "yes" || l == "on") {
    out = true;
    return true;
  }
  if (l == "false" || l == "no" || l == "off") {
    out = false;
    return true;
  }
  return false;
}

std::string shorten(const std::string& s) { return s.size() > 40 ? s.substr(0, 37) + "..." : s; }
}  // namespace

std::string Location::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigNode::ConfigNode() = default;
ConfigNode::ConfigNode(std::shared_ptr<Impl> impl, std::string path)
    : impl_(std::move(impl)), path_(std::move(path)) {}

bool ConfigNode::defined() const { return impl_ && impl_->present; }
bool ConfigNode::is_null() const { return !defined() || impl_->node.IsNull(); }
bool ConfigNode::is_map() const { return defined() && impl_->node.IsMap(); }
bool ConfigNode::is_sequence() const { return defined() && impl_->node.IsSequence(); }
bool ConfigNode::is_scalar() const { return defined() && impl_->node.IsScalar(); }

std::string ConfigNode::kind() const {
  if (is_null()) return "null";
  if (is_map()) return "map";
  if (is_sequence()) return "list";
  const std::string& s = impl_->node.Scalar();
  if (impl_->node.Tag() == "!") return "string";  // quoted
  double d = 0;
  bool b = false;
  if (parse_double(s, d)) return "number";
  if (parse_bool(s, b)) return "boolean";
  return "string";
}

std::string ConfigNode::name() const {
  const auto dot = path_.rfind('.');
  return dot == std::string::npos ? path_ : path_.substr(dot + 1);
}

Location ConfigNode::location() const {
  Location loc;
  if (!impl_) return loc;
  for (const auto& [key, origin] : impl_->doc->overrides) {
    if (path_ == key || path_.rfind(key + ".", 0) == 0) {
      loc.file = "--set " + origin;
      return loc;
    }
  }
  loc.file = impl_->doc->file;
  YAML::Mark mark = impl_->parent_mark;
  if (impl_->present && !impl_->node.Mark().is_null()) mark = impl_->node.Mark();
  if (!mark.is_null()) {
    loc.line = mark.line + 1;
    loc.column = mark.column + 1;
  }
  return loc;
}

void ConfigNode::fail(const std::string& message) const {
  const std::string where = location().str();
  throw InputError(where.empty() ? message : where + ": " + message);
}

bool ConfigNode::has(const std::string& key) const {
  if (!is_map()) return false;
  const YAML::Node& n = impl_->node;
  return n[key].IsDefined();
}

ConfigNode ConfigNode::operator[](const std::string& key) const {
  if (defined() && !is_map() && !is_null()) {
    fail("'" + display_path(path_) + "' must be a map, got " + kind());
  }
  YAML::Node child;
  YAML::Mark mark;
  bool present = false;
  if (defined()) {
    const YAML::Node& n = impl_->node;
    const YAML::Node found = n[key];  // invalid (not just undefined) when the key is absent
    if (found.IsDefined()) {
      child.reset(found);
      present = true;
    }
    mark = n.Mark();
  } else if (impl_) {
    mark = impl_->parent_mark;
  }
  auto doc = impl_ ? impl_->doc : std::make_shared<Document>();
  return {make_impl(doc, child, mark, present), join_path(path_, key)};
}

std::vector<std::string> ConfigNode::keys() const {
  if (!is_map()) fail("'" + display_path(path_) + "' must be a map, got " + kind());
  std::vector<std::string> out;
  for (const auto& kv : impl_->node) out.push_back(kv.first.as<std::string>());
  return out;
}

void ConfigNode::check_keys(const std::vector<std::string>& allowed_in) const {
  if (!is_map()) fail("'" + display_path(path_) + "' must be a map, got " + kind());
  std::vector<std::string> allowed = allowed_in;
  if (path_.empty()) allowed.emplace_back("version");  // a file's top level may state it
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : impl_->node) {
    const std::string key = kv.first.Scalar();
    const ConfigNode key_node(make_impl(impl_->doc, kv.first, impl_->node.Mark()),
                              join_path(path_, key));
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      key_node.fail("unknown key '" + key + "' in " +
                    (path_.empty() ? std::string("top level") : "'" + path_ + "'") +
                    did_you_mean(key, allowed));
    }
    auto [it, inserted] = seen.emplace(key, kv.first.Mark());
    if (!inserted) {
      key_node.fail("duplicate key '" + key + "' (first at line " +
                    std::to_string(it->second.line + 1) + ")");
    }
  }
}

ConfigNode ConfigNode::required(const std::string& key) const {
  ConfigNode child = (*this)[key];
  if (!child.defined()) {
    fail("missing required key '" + key + "' in " +
         (path_.empty() ? std::string("top level") : "'" + path_ + "'"));
  }
  return child;
}

std::size_t ConfigNode::size() const {
  if (!is_sequence()) fail("'" + display_path(path_) + "' must be a list, got " + kind());
  return impl_->node.size();
}

ConfigNode ConfigNode::at(std::size_t index) const {
  if (!is_sequence()) fail("'" + display_path(path_) + "' must be a list, got " + kind());
  const YAML::Node& n = impl_->node;
  return {make_impl(impl_->doc, n[index], n.Mark()), join_path(path_, std::to_string(index))};
}

std::vector<ConfigNode> ConfigNode::items() const {
  std::vector<ConfigNode> out;
  if (is_null()) return out;
  if (is_scalar()) return {*this};
  for (std::size_t i = 0; i < size(); ++i) out.push_back(at(i));
  return out;
}

std::string ConfigNode::as_string() const {
  if (!is_scalar()) fail("'" + display_path(path_) + "' must be a string, got " + kind());
  return impl_->node.Scalar();
}

double ConfigNode::as_double() const {
  if (!is_scalar()) fail("'" + display_path(path_) + "' must be a number, got " + kind());
  const std::string& text = impl_->node.Scalar();
  const NumberCheck c = check_number(text, NumberRule{});
  if (c.value) return *c.value;
  // YAML spells the non-finite floats .nan, .inf and -.inf (any case).
  const std::string l = ascii_lower(text);
  const bool spelled_as_number = c.error.rfind("must be a finite", 0) == 0 || l == ".nan" ||
                                 l == ".inf" || l == "+.inf" || l == "-.inf";
  fail("'" + display_path(path_) + "' must be a " + (spelled_as_number ? "finite " : "") +
       "number, got '" + shorten(text) + "'");
}

double ConfigNode::as_double(double min, double max) const {
  const double v = as_double();
  const std::string range = range_error(v, NumberRule{min, max, false, false});
  if (!range.empty())
    fail("'" + display_path(path_) + "' is " + format_number(v, 10) + ", " + range);
  return v;
}

long long ConfigNode::as_int() const {
  if (!is_scalar()) fail("'" + display_path(path_) + "' must be an integer, got " + kind());
  long long v = 0;
  if (!parse_int(impl_->node.Scalar(), v)) {
    fail("'" + display_path(path_) + "' must be an integer, got '" + shorten(impl_->node.Scalar()) +
         "'");
  }
  return v;
}

long long ConfigNode::as_int(long long min, long long max) const {
  const long long v = as_int();
  if (v < min || v > max) {
    fail("'" + display_path(path_) + "' is " + std::to_string(v) + ", " +
         describe_range(
             NumberRule{static_cast<double>(min), static_cast<double>(max), false, true}));
  }
  return v;
}

bool ConfigNode::as_bool() const {
  if (!is_scalar()) fail("'" + display_path(path_) + "' must be true or false, got " + kind());
  bool b = false;
  if (!parse_bool(impl_->node.Scalar(), b)) {
    fail("'" + display_path(path_) + "' must be true or false, got '" +
         shorten(impl_->node.Scalar()) + "'");
  }
  return b;
}

std::string ConfigNode::as_choice(const std::vector<std::string>& choices) const {
  const std::string v = as_string();
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  fail("'" + display_path(path_) + "' is '" + shorten(v) + "', must be one of " + list +
       did_you_mean(v, choices));
}

std::string ConfigNode::as_date() const {
  const std::string s = as_string();
  auto bad = [&] {
    fail("'" + display_path(path_) + "' must be a date YYYY-MM-DD, got '" + shorten(s) + "'");
  };
  if (!parse_date(s)) bad();
  return s;
}

std::string ConfigNode::get(const std::string& key, const std::string& fallback) const {
  const ConfigNode c = (*this)[key];
  return c.is_null() ? fallback : c.as_string();
}
double ConfigNode::get(const std::string& key, double fallback) const {
  const ConfigNode c = (*this)[key];
  return c.is_null() ? fallback : c.as_double();
}
bool ConfigNode::get(const std::string& key, bool fallback) const {
  const ConfigNode c = (*this)[key];
  return c.is_null() ? fallback : c.as_bool();
}

namespace {
// Limits against YAML bombs. yaml-cpp shares the node an alias names, so a document of a few
// lines ("billion laughs") can stand for billions of values once a reader walks it; and a
// deeply nested one makes every recursive reader deep. No rlab config comes near either limit.
constexpr int kMaxDepth = 64;
constexpr long kMaxValues = 200000;

// Counts values as a reader walking the document would meet them (aliases expanded), stopping
// at the first limit crossed, so the check itself is bounded by the limits.
void check_size(const YAML::Node& n, int depth, long& count, const std::string& file) {
  const auto where = [&] {
    const YAML::Mark m = n.Mark();
    return Location{file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1}.str();
  };
  if (++count > kMaxValues) {
    throw InputError(where() + ": the document holds more than " + std::to_string(kMaxValues) +
                     " values once its aliases are expanded; refusing it");
  }
  if (depth > kMaxDepth) {
    throw InputError(where() + ": nested more than " + std::to_string(kMaxDepth) +
                     " levels deep; refusing it");
  }
  if (n.IsMap()) {
    for (const auto& kv : n) {
      // Keys are read as text: a list, a map or nothing as a key ("? [a]", "{: 1}") is refused
      // here, where its position is known.
      if (!kv.first.IsScalar()) {
        const YAML::Mark m = kv.first.Mark();
        const Location at{file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1};
        throw InputError(at.str() + ": a key must be a plain value, got " +
                         (kv.first.IsMap()        ? "a map"
                          : kv.first.IsSequence() ? "a list"
                                                  : "nothing"));
      }
      check_size(kv.first, depth + 1, count, file);
      check_size(kv.second, depth + 1, count, file);
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) check_size(item, depth + 1, count, file);
  }
}
}  // namespace

ConfigNode parse_config(const std::string& text, const std::string& display_name) {
  auto doc = std::make_shared<Document>();
  doc->file = display_name;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    Location loc{display_name, e.mark.is_null() ? 0 : e.mark.line + 1,
                 e.mark.is_null() ? 0 : e.mark.column + 1};
    throw InputError(loc.str() + ": yaml syntax error: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    throw InputError(display_name + ":1:1: empty document");
  }
  long count = 0;
  check_size(root, 0, count, display_name);
  return {make_impl(doc, root, root.Mark()), ""};
}

ConfigNode load_config_file(const std::string& path) { return parse_config(read_file(path), path); }

namespace {
void check_version(const ConfigNode& root) {
  if (root.has("version")) {
    const ConfigNode v = root["version"];
    if (v.as_int() != 1)
      v.fail("unsupported version " + v.as_string() + " (this rlab reads version 1)");
  }
}
}  // namespace

ConfigNode select_section(const ConfigNode& root, const std::string& section,
                          const std::vector<std::string>& sections) {
  if (!root.is_map()) root.fail("top level must be a map, got " + root.kind());
  check_version(root);
  if (!root.has(section)) return root;
  std::vector<std::string> allowed = {"experiment"};
  allowed.insert(allowed.end(), sections.begin(), sections.end());
  root.check_keys(allowed);
  ConfigNode s = root[section];
  if (!s.is_map()) s.fail("'" + section + "' must be a map, got " + s.kind());
  return s;
}

void apply_overrides(const ConfigNode& section, const std::string& section_name,
                     const std::vector<std::string>& overrides) {
  if (!section.defined()) return;
  for (const std::string& item : overrides) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--set '" + item + "': expected key.path=value");
    }
    std::string key = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    if (key.rfind(section_name + ".", 0) == 0) key = key.substr(section_name.size() + 1);
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
      const auto dot = key.find('.', start);
      parts.push_back(key.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    for (const auto& p : parts) {
      if (p.empty()) throw UsageError("--set '" + item + "': empty key in path");
    }
    YAML::Node parsed;
    try {
      parsed = YAML::Load(value);
    } catch (const YAML::Exception& e) {
      throw UsageError("--set '" + item + "': invalid value: " + e.msg);
    }
    YAML::Node cur;
    cur.reset(section.impl_->node);
    std::string walked;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::string& p = parts[i];
      const bool last = i + 1 == parts.size();
      YAML::Node next;
      if (cur.IsSequence()) {
        long long idx = 0;
        if (!parse_int(p, idx) || idx < 0 || static_cast<std::size_t>(idx) >= cur.size()) {
          throw UsageError("--set '" + item + "': '" + p + "' is not an index of list '" +
                           display_path(walked) + "' (0.." + std::to_string(cur.size()) + ")");
        }
        if (last) {
          cur[static_cast<std::size_t>(idx)] = parsed;
          break;
        }
        next.reset(cur[static_cast<std::size_t>(idx)]);
      } else if (cur.IsMap() || cur.IsNull()) {
        if (last) {
          cur[p] = parsed;
          break;
        }
        if (!cur[p].IsDefined() || cur[p].IsNull()) cur[p] = YAML::Node(YAML::NodeType::Map);
        next.reset(cur[p]);
      } else {
        throw UsageError("--set '" + item + "': '" + display_path(walked) +
                         "' is a value, not a map or list");
      }
      walked = join_path(walked, p);
      cur.reset(next);
    }
    std::string full = section.path();
    for (const auto& p : parts) full = join_path(full, p);
    section.impl_->doc->overrides[full] = item;
  }
}

}  // namespace rlab
