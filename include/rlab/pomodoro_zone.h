// Time zones from the system's tz database (/usr/share/zoneinfo, or $TZDIR) for `rlab pomodoro`.
#pragma once

#include "rlab/pomodoro.h"

#include <string>

namespace rlab::pomodoro {

/// A zone of the system tz database, converted with the C library (a scoped TZ variable around
/// mktime/localtime_r). An empty name means the process's local zone (TZ or /etc/localtime).
class SystemZone : public Zone {
 public:
  explicit SystemZone(std::string name) : name_(std::move(name)) {}
  [[nodiscard]] std::string name() const override;
  [[nodiscard]] long long to_utc(const Civil& local) const override;
  [[nodiscard]] int offset_at(long long utc) const override;

 private:
  std::string name_;
};

/// Checks that `name` is a zone of the tz database ("UTC" always is). Throws InputError
/// "<where>: unknown time zone 'X' (did you mean 'Y'?)" otherwise.
void check_zone_name(const std::string& name, const std::string& where);

}  // namespace rlab::pomodoro
