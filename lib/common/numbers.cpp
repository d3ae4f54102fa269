#include "rlab/numbers.h"

#include "rlab/text.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace rlab {

namespace {

constexpr double kEdge = 9.2e18;  // at or past LLONG_MAX as a double: the edge of a type

bool has_min(const NumberRule& r) {
  return std::isfinite(r.min) && !(r.integer && r.min <= -kEdge);
}
bool has_max(const NumberRule& r) {
  return std::isfinite(r.max) && r.max < std::numeric_limits<double>::max() &&
         !(r.integer && r.max >= kEdge);
}

std::string plain(const std::string& text) {
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}
std::string shown(const std::string& text) { return "'" + plain(text) + "'"; }

bool is_digits(const std::string& s, std::size_t from) {
  if (from >= s.size()) return false;
  for (std::size_t i = from; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

std::string human_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return std::string(buf) == "-0" ? "0" : buf;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string describe_range(const NumberRule& r) {
  const bool lo = has_min(r);
  const bool hi = has_max(r);
  if (lo && hi && !r.min_open) {
    return "must be between " + human_number(r.min) + " and " + human_number(r.max);
  }
  std::string s;
  if (lo) s = std::string(r.min_open ? "> " : "≥ ") + human_number(r.min);
  if (hi) s += (s.empty() ? "" : " and ") + std::string("≤ ") + human_number(r.max);
  return s.empty() ? "" : "must be " + s;
}

std::string range_error(double value, const NumberRule& r) {
  const bool below = has_min(r) && (r.min_open ? !(value > r.min) : value < r.min);
  const bool above = has_max(r) && value > r.max;
  if (!below && !above) return "";
  return describe_range(r);
}

NumberCheck check_number(const std::string& text, const NumberRule& rule) {
  NumberCheck c;
  const std::string what = rule.integer ? "a whole number" : "a number";
  const char* begin = text.c_str();
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) != 0) {
    c.error = "expected " + what + ", got " + shown(text);
    return c;
  }
  if (rule.integer) {
    const std::size_t digits_from = (text[0] == '-' || text[0] == '+') ? 1 : 0;
    if (!is_digits(text, digits_from)) {
      c.error = "expected a whole number, got " + shown(text);
      return c;
    }
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(begin, &end, 10);
    const bool overflow = errno == ERANGE;
    const double as_double =
        overflow ? (text[0] == '-' ? -HUGE_VAL : HUGE_VAL) : static_cast<double>(v);
    std::string range = range_error(as_double, rule);
    if (overflow && range.empty()) {
      range = text[0] == '-' ? "must be ≥ " + std::to_string(std::numeric_limits<long long>::min())
                             : "must be ≤ " + std::to_string(std::numeric_limits<long long>::max());
    }
    if (!range.empty()) {
      c.error = range + ", got " + plain(text);
      return c;
    }
    c.integer = v;
    c.value = static_cast<double>(v);
    return c;
  }
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end != begin + text.size()) {
    c.error = "expected a number, got " + shown(text);
    return c;
  }
  if (!std::isfinite(v)) {
    c.error = "must be a finite number, got " + shown(text);
    return c;
  }
  const std::string range = range_error(v, rule);
  if (!range.empty()) {
    c.error = range + ", got " + plain(text);
    return c;
  }
  c.value = v;
  return c;
}

}  // namespace rlab
