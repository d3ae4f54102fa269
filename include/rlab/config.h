// Reading YAML configuration into typed values, with `file:line:col` on every error.
//
// Only lib/common/config.cpp sees yaml-cpp; modules read their section through ConfigNode,
// check its keys, and fill a plain struct that they hand to their pure core.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace rlab {

/// Where a value came from: a file position (1-based) or a `--set` override.
struct Location {
  std::string file;  ///< File name as given by the user, or "--set key=value".
  int line = 0;      ///< 1-based; 0 when unknown.
  int column = 0;    ///< 1-based; 0 when unknown.
  /// "file:line:col", "file" when the position is unknown.
  [[nodiscard]] std::string str() const;
};

/// A read-only view of one YAML node plus the path that led to it. Cheap to copy.
/// Every accessor that finds a problem throws InputError whose message starts with the node's
/// location, names the key path, the expected type and the bad value.
class ConfigNode {
 public:
  struct Impl;
  ConfigNode();
  ConfigNode(std::shared_ptr<Impl> impl, std::string path);

  [[nodiscard]] bool defined() const;  ///< False for a key that is absent.
  [[nodiscard]] bool is_null() const;  ///< True for `key:` or `key: ~` (and absent keys).
  [[nodiscard]] bool is_map() const;
  [[nodiscard]] bool is_sequence() const;
  [[nodiscard]] bool is_scalar() const;
  /// "map", "list", "string", "number", "boolean", "null" (for messages).
  [[nodiscard]] std::string kind() const;
  /// Dotted key path from the section root, e.g. "challenges.2.impact" ("" for the root).
  [[nodiscard]] const std::string& path() const { return path_; }
  /// The last key of the path, or the path itself ("" for the root).
  [[nodiscard]] std::string name() const;
  [[nodiscard]] Location location() const;

  /// Throws InputError "<location>: <message>".
  [[noreturn]] void fail(const std::string& message) const;

  // Maps.
  [[nodiscard]] bool has(const std::string& key) const;
  /// The child under `key`; an absent key gives an undefined node located at this map.
  [[nodiscard]] ConfigNode operator[](const std::string& key) const;
  /// Map keys in file order. Throws if this is not a map.
  [[nodiscard]] std::vector<std::string> keys() const;
  /// Rejects keys not in `allowed` ("unknown key 'x' in 'y' (did you mean 'z'?)") and keys that
  /// appear twice. Throws if this is not a map.
  void check_keys(const std::vector<std::string>& allowed) const;
  /// Throws "missing required key" when `key` is absent.
  [[nodiscard]] ConfigNode required(const std::string& key) const;

  // Lists.
  [[nodiscard]] std::size_t size() const;  ///< Number of items; throws if not a list.
  [[nodiscard]] ConfigNode at(std::size_t index) const;
  /// A scalar becomes a one-item list; a list is returned as is.
  [[nodiscard]] std::vector<ConfigNode> items() const;

  // Scalars.
  [[nodiscard]] std::string as_string() const;
  [[nodiscard]] double as_double() const;
  /// A number in [min, max]; names the range when out of it.
  [[nodiscard]] double as_double(double min, double max) const;
  [[nodiscard]] long long as_int() const;
  [[nodiscard]] long long as_int(long long min, long long max) const;
  [[nodiscard]] bool as_bool() const;
  /// One of `choices` ("must be one of a, b, c").
  [[nodiscard]] std::string as_choice(const std::vector<std::string>& choices) const;
  /// A calendar date YYYY-MM-DD, validated (month length, leap years), returned as written.
  [[nodiscard]] std::string as_date() const;

  // Defaults for optional keys.
  [[nodiscard]] std::string get(const std::string& key, const std::string& fallback) const;
  [[nodiscard]] double get(const std::string& key, double fallback) const;
  [[nodiscard]] bool get(const std::string& key, bool fallback) const;

 private:
  friend void apply_overrides(const ConfigNode& section, const std::string& section_name,
                              const std::vector<std::string>& overrides);
  std::shared_ptr<Impl> impl_;
  std::string path_;
};

/// Loads and parses a YAML file. Missing or unreadable file, syntax errors and an empty
/// document throw InputError ("file:line:col: ..."). `display_name` is what messages show.
ConfigNode load_config_file(const std::string& path);
/// Parses YAML text; messages use `display_name` as the file name.
ConfigNode parse_config(const std::string& text, const std::string& display_name);

/// The section a command reads. A file may be a whole experiment (`experiment:` plus one
/// section per command, e.g. `prioritize:`), or just the command's own keys at top level.
/// In the first form the other top-level keys must be `version`, `experiment` or one of
/// `sections` (the command table's, `ctx.config_sections`); `version`, where present, must be 1.
ConfigNode select_section(const ConfigNode& root, const std::string& section,
                          const std::vector<std::string>& sections);

/// Applies `--set key.path=value` overrides to `section` (a leading "<section>." is
/// accepted). Values are YAML ("3", "rice", "[a, b]"). Numeric path parts index lists.
/// Errors in the override syntax throw UsageError; values are checked later by the command
/// like any file value, with the location "--set key.path=value".
void apply_overrides(const ConfigNode& section, const std::string& section_name,
                     const std::vector<std::string>& overrides);

}  // namespace rlab
