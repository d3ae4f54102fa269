// The one check every number passes at the door: command-line flags (through the CLI11
// validators in rlab/cli_checks.h), `--set` overrides and config keys (through ConfigNode).
// A number is finite, inside its range, and whole where a count is meant; the message names
// the range in human numbers ("must be ≥ 0", "must be between 1 and 64").
#pragma once

#include <limits>
#include <optional>
#include <string>

namespace rlab {

/// What a number must be. An infinite bound is no bound; `min_open` makes the lower bound
/// strict (> rather than ≥).
struct NumberRule {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool integer = false;
};

/// A bound as people write it: "64", "0.02", "1000000", "1e+300".
std::string human_number(double value);

/// "must be > 0", "must be ≥ 1", "must be ≤ 10", "must be between 1 and 64", "" when the rule
/// has no bounds. Bounds at the edge of the type (DBL_MAX, LLONG_MAX) are no bounds.
std::string describe_range(const NumberRule& rule);

/// The parsed value of `text` under `rule`, or an error phrase without the option's name:
/// "expected a number, got 'abc'", "must be a finite number, got 'nan'",
/// "expected a whole number, got '2.5'", "must be between 1 and 64, got 0".
struct NumberCheck {
  std::optional<double> value;       ///< Set when the text passed.
  std::optional<long long> integer;  ///< Set when the text passed and rule.integer.
  std::string error;                 ///< Set when it did not.
};
NumberCheck check_number(const std::string& text, const NumberRule& rule);

/// The error phrase for a value already parsed ("must be between 0 and 10"), "" when inside.
std::string range_error(double value, const NumberRule& rule);

}  // namespace rlab
