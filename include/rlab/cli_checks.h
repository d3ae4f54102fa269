// CLI11 checks shared by every command. Numbers: built on rlab/numbers.h so that flags, `--set`
// and config keys give the same answer and the same message for the same number; every numeric
// option of every command carries one (tests/property_test.cpp walks the tree to hold it so).
// Values: the words an option takes, checked (one_of) or only offered (values), which shell
// completion reads from the tree.
#pragma once

#include "rlab/numbers.h"

#include <CLI/CLI.hpp>

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace rlab::cli {

/// Name every number validator carries (`opt->get_validator(kNumberValidator)`).
inline constexpr const char* kNumberValidator = "rlab-number";

/// A validator that applies `rule` to the option's text and hands CLI11 a canonical spelling
/// (decimal for whole numbers, so "010" is ten and "-1" never wraps to a huge unsigned).
CLI::Validator number(const NumberRule& rule);

/// Any finite number in [min, max].
inline CLI::Validator real(double min = -std::numeric_limits<double>::infinity(),
                           double max = std::numeric_limits<double>::infinity()) {
  return number(NumberRule{min, max, false, false});
}
/// A finite number > 0 (no upper bound unless given).
inline CLI::Validator positive(double max = std::numeric_limits<double>::infinity()) {
  return number(NumberRule{0.0, max, true, false});
}
/// A finite number ≥ 0.
inline CLI::Validator non_negative(double max = std::numeric_limits<double>::infinity()) {
  return number(NumberRule{0.0, max, false, false});
}
/// A whole number in [min, max] that also fits the option's type T.
template <typename T>
CLI::Validator whole(long long min = static_cast<long long>(std::numeric_limits<T>::lowest()),
                     long long max = std::numeric_limits<long long>::max()) {
  static_assert(std::is_integral_v<T>, "whole<T> is for integer options");
  constexpr long long type_max =
      std::numeric_limits<T>::max() >
              static_cast<unsigned long long>(std::numeric_limits<long long>::max())
          ? std::numeric_limits<long long>::max()
          : static_cast<long long>(std::numeric_limits<T>::max());
  const long long type_min =
      std::is_signed_v<T> ? static_cast<long long>(std::numeric_limits<T>::lowest()) : 0LL;
  if (min < type_min) min = type_min;
  if (max > type_max) max = type_max;
  return number(NumberRule{static_cast<double>(min), static_cast<double>(max), false, true});
}

/// Name prefix of the validators that carry an option's words ("rlab-values:a b c").
inline constexpr const char* kValuesValidator = "rlab-values:";

/// Exactly one of `choices` ("must be one of a, b, c (did you mean 'b'?)").
CLI::Validator one_of(const std::vector<std::string>& choices);
/// Offers `words` to shell completion without checking (the command checks the value itself,
/// e.g. "cuda:N" or a comma list).
CLI::Validator values(const std::vector<std::string>& words);
/// The words `opt` offers (one_of or values), empty when none.
std::vector<std::string> option_values(const CLI::Option& opt);
/// True when `opt` carries a number validator.
bool is_number_option(const CLI::Option& opt);

}  // namespace rlab::cli
