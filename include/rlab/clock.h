// Calendar arithmetic, ISO 8601 timestamps and the clock every command reads "now" from.
//
// Cores never read the clock: they take Unix seconds. Adapters ask `Context::clock`, which the
// app builds once from the environment (RLAB_NOW, else RLAB_TODAY, else the system clock) and
// which in-process tests replace with `Clock::fixed(...)`.
#pragma once

#include <optional>
#include <string>

namespace rlab {

/// A calendar time without a zone (proleptic Gregorian).
struct Civil {
  int year = 1970;
  int month = 1;  ///< 1-12
  int day = 1;    ///< 1-31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

/// Days since 1970-01-01 of a date, and back.
long long days_from_civil(int year, int month, int day);
Civil civil_from_days(long long days);
/// The local calendar time of `utc` at UTC offset `offset_s`.
Civil civil_at(long long utc, int offset_s);
/// The day number (days since 1970-01-01) of the local date of `utc` at offset `offset_s`.
long long local_day(long long utc, int offset_s);

/// "YYYY-MM-DD" to a day number; nullopt when malformed or not a real date (2025-02-29).
std::optional<long long> parse_date(const std::string& text);
/// "HH:MM" or "H:MM" (00:00-24:00) to minutes since midnight; nullopt when malformed.
std::optional<int> parse_clock(const std::string& text);
/// Parses "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM|+HHMM)" (a space may stand for the T) or Unix
/// seconds ("@1741000000" or digits only). False on anything else; `offset_s` is 0 for Unix
/// seconds.
bool parse_iso(const std::string& text, long long* utc, int* offset_s);

/// "2025-03-03".
std::string format_date(long long days);
/// "2025-03-03T09:00:00+08:00".
std::string format_iso(long long utc, int offset_s);
/// "2025-03-03T01:00:00Z".
std::string format_utc(long long utc);

/// Where "now" comes from. A value type: copy it into whatever needs the time.
class Clock {
 public:
  /// The system clock.
  Clock() = default;
  /// Always `utc` (Unix seconds).
  static Clock fixed(long long utc);
  /// RLAB_NOW (a timestamp parse_iso takes), else RLAB_TODAY (YYYY-MM-DD, midnight UTC), else
  /// the system clock. A malformed value is kept and reported (UsageError, exit 2) by the first
  /// call that asks the time, so commands that never read the clock are not affected.
  static Clock from_environment();

  /// Unix seconds now.
  [[nodiscard]] long long now() const;
  /// True when the time is fixed (RLAB_NOW / RLAB_TODAY or `fixed`): commands that wait for
  /// wall time do not wait.
  [[nodiscard]] bool is_fixed() const;
  /// now() as "2025-03-03T01:00:00Z" / "2025-03-03" (UTC).
  [[nodiscard]] std::string utc_timestamp() const { return format_utc(now()); }
  [[nodiscard]] std::string utc_date() const;

 private:
  bool fixed_ = false;
  long long at_ = 0;
  std::string error_;  ///< The message of a malformed RLAB_NOW / RLAB_TODAY.
};

}  // namespace rlab
