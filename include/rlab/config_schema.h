// Config keys declared once per section: name, kind, range, example value and help.
//
// One declaration drives the unknown-key check (with "did you mean"), the type, range and
// finiteness checks of every key present, the generated `configs/reference.yaml` and the test
// that the YAML in README and docs only uses declared keys. A module then reads the values it
// needs from the checked node without repeating ranges or key lists.
#pragma once

#include "rlab/config.h"

#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace rlab::config {

enum class Kind {
  kString,    ///< a scalar, read as text
  kNumber,    ///< finite, in [min, max]
  kPositive,  ///< finite, > 0 and <= max
  kInteger,   ///< whole, in [min, max]
  kBool,      ///< true/false/yes/no
  kChoice,    ///< one of `choices`
  kDate,      ///< YYYY-MM-DD, a real date
  kList,      ///< a scalar or a list of scalars
  kMap,       ///< a map whose keys are `keys`
  kListOf,    ///< a list; every item is checked as `keys[0]` (a scalar kind or a kMap)
  kMapOf,     ///< a map of free names; every value is checked as `keys[0]`
  kAny,       ///< anything; `check` (if set) decides
};

struct Key {
  std::string name;
  Kind kind = Kind::kAny;
  std::string help;       ///< One line for reference.yaml.
  std::string example;    ///< YAML value shown in reference.yaml; "" shows the key commented out.
                          ///< For kMapOf: the entry name shown (its value is keys[0]'s example).
  bool required = false;  ///< "missing required key" when absent.
  double min = std::numeric_limits<double>::lowest();
  double max = std::numeric_limits<double>::max();
  std::vector<std::string> choices;  ///< kChoice
  std::vector<Key> keys;             ///< kMap; the item/value for kListOf/kMapOf
  std::vector<Key> scalar;           ///< kMap: a scalar value is checked as scalar[0] (a shorthand)
  /// Extra check after the kind's. For kMap and kMapOf, a value that is not a map (and not the
  /// `scalar` shorthand) goes to `check` alone: it takes the other forms the key allows (a
  /// number for a three-point estimate, a list for a categorical parameter) and refuses the
  /// rest in its own words.
  std::function<void(const ConfigNode&)> check;
};

/// One command's section of an experiment file.
struct Section {
  std::string name;  ///< "cost"
  std::string summary;
  std::vector<Key> keys;
};

// Builders, so a declaration reads as a table.
Key text(std::string name, std::string help, std::string example = "");
Key number(std::string name, double min, double max, std::string help, std::string example = "");
Key positive(std::string name, double max, std::string help, std::string example = "");
Key integer(std::string name, long long min, long long max, std::string help,
            std::string example = "");
Key flag(std::string name, std::string help, std::string example = "");
Key choice(std::string name, std::vector<std::string> choices, std::string help,
           std::string example = "");
Key date(std::string name, std::string help, std::string example = "");
Key list(std::string name, std::string help, std::string example = "");
Key map(std::string name, std::vector<Key> keys, std::string help);
Key any(std::string name, std::string help, std::string example = "",
        std::function<void(const ConfigNode&)> check = nullptr);
/// A list whose every item is `item` (its name is not used): `list_of("challenges",
/// map("", {...}, "one challenge"), "the challenges")`. A scalar item kind writes `example` as
/// the whole list.
Key list_of(std::string name, Key item, std::string help, std::string example = "");
/// A map of names the user chooses, every value checked as `value`: `map_of("space",
/// map("", {...}, "one dimension"), "the search space", "lr")`; `example_name` is the entry
/// name reference.yaml shows ("" shows none).
Key map_of(std::string name, Key value, std::string help, std::string example_name = "");
/// The same key, which must be present.
Key required(Key k);
/// The map `k` that may also be given as one scalar, checked as `scalar` (its name is not used):
/// `or_scalar(map("optimizer", {...}, "..."), choice("", {"adam", "sgd"}, "the name"))` takes
/// `optimizer: sgd` as well as `optimizer: {name: sgd, lr: 0.1}`.
Key or_scalar(Key k, Key scalar);
/// The same key with an extra check after its kind's (a rule the kind cannot say).
Key checked(Key k, std::function<void(const ConfigNode&)> check);

/// "'key' must be > 0, got -5" / "must be <= 1e9, got ..." (the kPositive check).
void require_positive(const ConfigNode& n, double max);

/// Checks `node` (a map) against `keys`: unknown and duplicate keys, required keys, then every
/// key present and not null by its kind, in declaration order. Errors are InputError with the key's
/// file:line:col, the same messages as ConfigNode's accessors.
void check(const ConfigNode& node, const std::vector<Key>& keys);
inline void check(const ConfigNode& node, const Section& section) { check(node, section.keys); }

/// Checks one value against its key's kind (what `check` does for each key present).
void check_value(const ConfigNode& value, const Key& key);

/// Whether reference.yaml shows `key` with a value (not commented out).
bool shown_in_reference(const Key& key);

/// The key names of `keys`, for code that walks them.
std::vector<std::string> names(const std::vector<Key>& keys);

/// `configs/reference.yaml`: every section with every key, its help as a comment, an example
/// value (keys without one are commented out), and the kind and range.
std::string reference_yaml(const std::vector<const Section*>& sections);

}  // namespace rlab::config
