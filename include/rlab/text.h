// Small text helpers shared by the command line and the config loader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlab {

/// Edit distance between `a` and `b`: insert, delete, substitute and swap of two adjacent
/// characters each cost 1 (optimal string alignment).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when it is close enough to be a plausible typo (distance at
/// most max(1, word.size()/3)); nullopt otherwise. Ties go to the earlier candidate.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" when a close candidate exists, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// Formats a double with up to `digits` significant digits and no trailing zeros ("1.125",
/// "0.667", "12"). Non-finite values print as "inf", "-inf", "nan".
std::string format_number(double value, int digits = 4);

/// Escapes &, <, >, " and ' for XML text and attribute values (SVG, JUnit); control characters
/// that XML 1.0 does not allow (all of U+0000-U+001F but tab, LF and CR) become U+FFFD.
std::string xml_escape(const std::string& s);

/// `items` with `sep` between them: join({"a", "b"}, ", ") == "a, b".
std::string join(const std::vector<std::string>& items, std::string_view sep);
/// ASCII lower case: bytes A-Z become a-z, every other byte (UTF-8 included) is kept.
std::string ascii_lower(std::string s);
/// `s` without the leading and trailing characters found in `chars`.
std::string trim(std::string_view s, std::string_view chars = " \t\r\n\v\f");
/// 64-bit FNV-1a hash of the bytes of `s` (stable across runs and machines: cache keys, seeds).
std::uint64_t fnv1a(std::string_view s);
/// Terminal columns `s` takes (UTF-8): East Asian wide and fullwidth characters and emoji take
/// 2, combining marks and other zero-width characters 0, everything else 1 (Unicode properties
/// from ICU). Bytes that are not valid UTF-8 count 1 each.
std::size_t display_width(std::string_view s);

/// `s` with control characters written visibly for one-line text output: a backslash and n, r
/// or t for LF, CR and tab, backslash-xHH for the other C0 controls and DEL, backslash-u0085
/// and so on for C1 controls. Unchanged when there are none.
std::string escape_controls(const std::string& s);

/// Fixed-point with `decimals` digits after the point ("1.143").
std::string format_fixed(double value, int decimals);

}  // namespace rlab
