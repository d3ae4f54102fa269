// Calendar arithmetic (Howard Hinnant's days_from_civil / civil_from_days), ISO 8601 parsing and
// formatting, and the clock of the command context.
#include "rlab/clock.h"

#include "rlab/error.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace rlab {

long long days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil civil_from_days(long long z) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const long long doe = z - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp = (5 * doy + 2) / 153;
  Civil c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(yoe + era * 400 + (c.month <= 2 ? 1 : 0));
  return c;
}

namespace {

long long floor_div(long long a, long long b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

bool digits(const std::string& s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

// "+HH:MM" or "+HHMM" (sign required) to seconds east of UTC.
bool parse_offset(const std::string& zone, int* off) {
  const bool colon = zone.size() == 6 && zone[3] == ':';
  if (!colon && zone.size() != 5) return false;
  if (zone[0] != '+' && zone[0] != '-') return false;
  int oh = 0;
  int om = 0;
  if (!digits(zone, 1, 2, &oh) || !digits(zone, colon ? 4 : 3, 2, &om) || oh > 18 || om > 59) {
    return false;
  }
  *off = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
  return true;
}

}  // namespace

long long local_day(long long utc, int offset_s) { return floor_div(utc + offset_s, 86400); }

Civil civil_at(long long utc, int offset_s) {
  const long long days = local_day(utc, offset_s);
  const long long secs = utc + offset_s - days * 86400;
  Civil c = civil_from_days(days);
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs % 3600 / 60);
  c.second = static_cast<int>(secs % 60);
  return c;
}

std::optional<long long> parse_date(const std::string& s) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, &y) ||
      !digits(s, 5, 2, &m) || !digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return std::nullopt;
  return days_from_civil(y, m, d);
}

std::optional<int> parse_clock(const std::string& s) {
  int h = 0;
  int m = 0;
  const bool short_form = s.size() == 4 && s[1] == ':';
  const std::string t = short_form ? "0" + s : s;
  if (t.size() != 5 || t[2] != ':' || !digits(t, 0, 2, &h) || !digits(t, 3, 2, &m)) {
    return std::nullopt;
  }
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

bool parse_iso(const std::string& s, long long* utc, int* offset_s) {
  if (s.empty()) return false;
  const bool at = s[0] == '@';
  const std::string num = at ? s.substr(1) : s;
  if (!num.empty() && num.size() <= 12 &&
      std::all_of(num.begin(), num.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    *utc = std::stoll(num);
    *offset_s = 0;
    return true;
  }
  if (s.size() < 17 || (s[10] != 'T' && s[10] != ' ')) return false;
  const auto day = parse_date(s.substr(0, 10));
  if (!day) return false;
  int h = 0;
  int mi = 0;
  int se = 0;
  if (!digits(s, 11, 2, &h) || s[13] != ':' || !digits(s, 14, 2, &mi)) return false;
  std::size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, 17, 2, &se)) return false;
    pos = 19;
  }
  if (h > 23 || mi > 59 || se > 60) return false;
  int off = 0;
  const std::string zone = s.substr(pos);
  if (zone != "Z" && !parse_offset(zone, &off)) return false;
  *utc = *day * 86400 + h * 3600 + mi * 60 + se - off;
  *offset_s = off;
  return true;
}

std::string format_date(long long days) {
  const Civil c = civil_from_days(days);
  char b[32];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d", c.year, c.month, c.day);
  return b;
}

std::string format_iso(long long utc, int offset_s) {
  const Civil c = civil_at(utc, offset_s);
  char b[64];
  const int a = std::abs(offset_s);
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year, c.month, c.day,
                c.hour, c.minute, c.second, offset_s < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
  return b;
}

std::string format_utc(long long utc) {
  const Civil c = civil_at(utc, 0);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return b;
}

Clock Clock::fixed(long long utc) {
  Clock c;
  c.fixed_ = true;
  c.at_ = utc;
  return c;
}

Clock Clock::from_environment() {
  Clock c;
  const char* now = std::getenv("RLAB_NOW");
  const char* today = std::getenv("RLAB_TODAY");
  if (now != nullptr && *now != '\0') {
    int off = 0;
    c.fixed_ = parse_iso(now, &c.at_, &off);
    if (!c.fixed_) {
      c.error_ = std::string("RLAB_NOW='") + now +
                 "' is not a timestamp (2025-03-03T09:00:00+08:00 or Unix seconds)";
    }
  } else if (today != nullptr && *today != '\0') {
    const auto day = parse_date(today);
    c.fixed_ = day.has_value();
    if (day) c.at_ = *day * 86400;
    if (!day) c.error_ = std::string("RLAB_TODAY must be a date YYYY-MM-DD, got '") + today + "'";
  }
  return c;
}

long long Clock::now() const {
  if (!error_.empty()) throw UsageError(error_);
  if (fixed_) return at_;
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Clock::is_fixed() const {
  if (!error_.empty()) throw UsageError(error_);
  return fixed_;
}

std::string Clock::utc_date() const { return format_date(local_day(now(), 0)); }

}  // namespace rlab
