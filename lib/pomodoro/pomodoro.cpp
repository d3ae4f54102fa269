// `rlab pomodoro` core: calendar arithmetic, timer state, history, journal, energy slots, SVG
// chart and iCalendar text (the day scheduler is plan_day.cpp). No I/O and no clock.
#include "rlab/pomodoro.h"

#include "rlab/chart.h"
#include "rlab/error.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

namespace rlab::pomodoro {

// ---------------------------------------------------------------------------------------------
// Time

namespace {
std::string two(int v) {
  char b[16];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}
}  // namespace

int iso_weekday(long long days) {
  // 1970-01-01 was a Thursday (4).
  return static_cast<int>(((days % 7) + 7 + 3) % 7) + 1;
}

std::pair<int, int> iso_week(long long days) {
  const long long thursday = days - iso_weekday(days) + 4;
  const int year = civil_from_days(thursday).year;
  const long long jan1 = days_from_civil(year, 1, 1);
  return {year, static_cast<int>((thursday - jan1) / 7 + 1)};
}

std::string format_utc_basic(long long utc) {
  const Civil c = civil_at(utc, 0);
  char b[32];
  std::snprintf(b, sizeof b, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day, c.hour, c.minute,
                c.second);
  return b;
}

long long FixedZone::to_utc(const Civil& c) const {
  return days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 +
         c.second - offset_;
}

// ---------------------------------------------------------------------------------------------
// Profiles

std::map<std::string, Profile> default_profiles() {
  return {{"classic", {25, 5, 20, 4}},
          {"coding", {50, 10, 30, 4}},
          {"reading", {30, 5, 30, 4}},
          {"debugging", {40, 15, 30, 4}},
          {"other", {45, 10, 30, 4}}};
}

// ---------------------------------------------------------------------------------------------
// Timer state

std::string encode_state(const State& s) {
  nlohmann::json j;
  j["version"] = 1;
  j["phase"] = s.phase == Phase::kWork ? "work" : "break";
  j["start"] = format_iso(s.start, s.offset);
  j["start_unix"] = s.start;
  j["end"] = format_iso(s.start + s.duration, s.offset);
  j["duration_s"] = s.duration;
  j["task"] = s.task;
  j["type"] = s.type;
  j["tags"] = s.tags;
  j["long_break"] = s.long_break;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

State decode_state(const std::string& text, const std::string& path) {
  auto bad = [&](const std::string& why) -> InputError {
    InputError e(path + ": corrupt state file: " + why);
    e.add_note("the history is untouched; delete " + path + " to discard the running timer");
    return e;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& ex) {
    std::string what = ex.what();
    const auto p = what.find("] ");
    throw bad(p == std::string::npos ? what : what.substr(p + 2));
  }
  if (!j.is_object()) throw bad("expected a JSON object");
  State s;
  try {
    // Whole numbers only: a float such as 1e300 has no long long value (converting it is
    // undefined), so it is refused before any conversion.
    const auto whole = [&](const char* key) -> long long {
      const nlohmann::json& v = j.at(key);
      if (v.is_number_unsigned() && v.get<unsigned long long>() > 1ULL << 62) {
        throw bad(std::string(key) + " out of range");
      }
      if (!v.is_number_integer()) throw bad(std::string(key) + " must be a whole number");
      return v.get<long long>();
    };
    if (!j.contains("version") || whole("version") != 1) throw bad("unsupported version");
    const std::string phase = j.at("phase").get<std::string>();
    if (phase != "work" && phase != "break") throw bad("phase must be work or break");
    s.phase = phase == "work" ? Phase::kWork : Phase::kBreak;
    long long t = 0;
    int off = 0;
    if (!parse_iso(j.at("start").get<std::string>(), &t, &off)) throw bad("bad start time");
    s.start = t;
    s.offset = off;
    s.duration = whole("duration_s");
    if (s.duration <= 0 || s.duration > 24 * 3600) throw bad("duration out of range");
    s.task = j.value("task", "");
    s.type = j.value("type", "");
    s.tags = j.value("tags", std::vector<std::string>{});
    s.long_break = j.value("long_break", false);
  } catch (const nlohmann::json::exception& ex) {
    std::string what = ex.what();
    const auto p = what.find("] ");
    throw bad(p == std::string::npos ? what : what.substr(p + 2));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// History (Open Pomodoro Format)

namespace {
std::string logfmt_value(const std::string& v) {
  const bool plain = !v.empty() && std::none_of(v.begin(), v.end(), [](char c) {
    return c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (plain) return v;
  std::string r = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') {
      r += '\\';
      r += c;
    } else if (c == '\n') {
      r += "\\n";
    } else if (c == '\t') {
      r += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      r += ' ';
    } else {
      r += c;
    }
  }
  return r + "\"";
}

std::vector<std::string> split_tags(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

// "25", "25m", "22m30s", "1h5m": seconds, or -1.
long long parse_duration(const std::string& s) {
  if (s.empty()) return -1;
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return s.size() > 6 ? -1 : std::stoll(s) * 60;
  }
  long long total = 0;
  long long num = -1;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      num = (num < 0 ? 0 : num) * 10 + (c - '0');
      if (num > 10000000) return -1;
    } else if (c == 'h' || c == 'm' || c == 's') {
      if (num < 0) return -1;
      total += num * (c == 'h' ? 3600 : c == 'm' ? 60 : 1);
      num = -1;
    } else {
      return -1;
    }
  }
  return num >= 0 ? -1 : total;
}
}  // namespace

std::string format_history_line(const Session& s) {
  std::string line = format_iso(s.start, s.offset);
  const long long minutes = s.seconds / 60;
  line += " duration=" + std::to_string(minutes);
  if (s.seconds % 60 != 0) line += " seconds=" + std::to_string(s.seconds);
  if (!s.description.empty()) line += " description=" + logfmt_value(s.description);
  if (!s.tags.empty()) line += " tags=" + logfmt_value(join(s.tags, ","));
  if (!s.type.empty()) line += " type=" + logfmt_value(s.type);
  line += std::string(" completed=") + (s.completed ? "true" : "false");
  return line;
}

Session parse_history_line(const std::string& line, const std::string& path, int line_no) {
  auto fail = [&](std::size_t col, const std::string& why) -> InputError {
    return InputError(path + ":" + std::to_string(line_no) + ":" + std::to_string(col + 1) + ": " +
                      why);
  };
  Session s;
  const std::size_t sp = line.find(' ');
  const std::string ts = line.substr(0, sp);
  long long t = 0;
  int off = 0;
  if (!parse_iso(ts, &t, &off)) {
    throw fail(0, "expected an ISO 8601 timestamp with UTC offset, got '" + ts + "'");
  }
  s.start = t;
  s.offset = off;
  s.seconds = 25 * 60;  // Open Pomodoro Format's default length
  bool have_seconds = false;
  std::size_t i = sp == std::string::npos ? line.size() : sp;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    const std::size_t key_at = i;
    while (i < line.size() && line[i] != '=' && line[i] != ' ') ++i;
    const std::string key = line.substr(key_at, i - key_at);
    std::string value;
    if (i < line.size() && line[i] == '=') {
      ++i;
      if (i < line.size() && line[i] == '"') {
        ++i;
        bool closed = false;
        while (i < line.size()) {
          const char c = line[i++];
          if (c == '\\' && i < line.size()) {
            const char e = line[i++];
            value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value += c;
          }
        }
        if (!closed) throw fail(key_at, "unterminated quoted value of '" + key + "'");
      } else {
        while (i < line.size() && line[i] != ' ') value += line[i++];
      }
    }
    if (key == "duration") {
      const long long d = parse_duration(value);
      if (d < 0) throw fail(key_at, "bad duration '" + value + "'");
      if (!have_seconds) s.seconds = d;
    } else if (key == "seconds") {
      const long long d = parse_duration(value + "s");
      if (d < 0) throw fail(key_at, "bad seconds '" + value + "'");
      s.seconds = d;
      have_seconds = true;
    } else if (key == "description") {
      s.description = value;
    } else if (key == "tags") {
      s.tags = split_tags(value);
    } else if (key == "type") {
      s.type = value;
    } else if (key == "completed") {
      s.completed = value != "false";
    }
    // Other keys (written by other tools) are ignored.
  }
  return s;
}

std::vector<Session> parse_history(const std::string& text, const std::string& path,
                                   std::vector<std::string>* skipped) {
  std::vector<Session> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    try {
      out.push_back(parse_history_line(line, path, n));
    } catch (const InputError& e) {
      if (skipped == nullptr) throw;
      skipped->push_back(std::string(e.what()) + " (skipped)");
    }
  }
  return out;
}

int completed_on_day(const std::vector<Session>& history, long long now, int offset) {
  const long long today = local_day(now, offset);
  int n = 0;
  for (const Session& s : history) {
    if (s.completed && local_day(s.start, offset) == today) ++n;
  }
  return n;
}

bool next_break_is_long(const std::vector<Session>& history, long long now, int offset, int every) {
  const int n = completed_on_day(history, now, offset);
  return every > 0 && n > 0 && n % every == 0;
}

namespace {
std::string mmss(long long s) {
  if (s < 0) s = 0;
  return two(static_cast<int>(s / 60)) + ":" + two(static_cast<int>(s % 60));
}
}  // namespace

std::string format_status(const std::string& tmpl, const StatusView& v) {
  if (!v.active) return "";
  const long long end = v.state.start + v.state.duration;
  const long long left = std::max(0LL, end - v.now);
  const bool over = v.now >= end;
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c != '%' || i + 1 >= tmpl.size()) {
      out += c;
      continue;
    }
    char code = tmpl[++i];
    bool bang = false;
    if (code == '!' && i + 1 < tmpl.size()) {
      bang = true;
      code = tmpl[++i];
    }
    switch (code) {
      case 'r':
        out += mmss(left);
        break;
      case 'R':
        out += std::to_string((left + 59) / 60);
        break;
      case 'l':
        out += mmss(v.state.duration);
        break;
      case 'L':
        out += std::to_string(v.state.duration / 60);
        break;
      case 'e':
        out += mmss(std::min(v.now - v.state.start, v.state.duration));
        break;
      case 'd':
        out += v.state.task;
        break;
      case 't':
        out += join(v.state.tags, ",");
        break;
      case 'y':
        out += v.state.type;
        break;
      case 'p':
        out +=
            v.state.phase == Phase::kWork ? "work" : (v.state.long_break ? "long break" : "break");
        break;
      case 'c':
        out += std::to_string(v.completed_today);
        break;
      case 'g':
        out += std::to_string(v.daily_goal);
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '%';
        if (bang) out += '!';
        out += code;
        continue;
    }
    if (bang && over) out += '!';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Journal

std::string encode_mood(const Mood& m) {
  nlohmann::json j;
  j["ts"] = format_iso(m.ts, m.offset);
  j["mood"] = m.mood;
  j["energy"] = m.energy;
  if (!m.note.empty()) j["note"] = m.note;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<Mood> parse_journal(const std::string& text, const std::string& path,
                                std::vector<std::string>* skipped) {
  std::vector<Mood> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fail = [&](const std::string& why) -> InputError {
      return InputError(path + ":" + std::to_string(n) + ":1: " + why);
    };
    try {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {
        throw fail("not a JSON object");
      }
      if (!j.is_object()) throw fail("not a JSON object");
      Mood m;
      if (!j.contains("ts") || !j["ts"].is_string() ||
          !parse_iso(j["ts"].get<std::string>(), &m.ts, &m.offset)) {
        throw fail("'ts' must be an ISO 8601 timestamp with UTC offset");
      }
      for (const char* key : {"mood", "energy"}) {
        if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<long long>() < 1 ||
            j[key].get<long long>() > 10) {
          throw fail(std::string("'") + key + "' must be an integer from 1 to 10");
        }
      }
      m.mood = j["mood"].get<int>();
      m.energy = j["energy"].get<int>();
      if (j.contains("note") && j["note"].is_string()) m.note = j["note"].get<std::string>();
      out.push_back(m);
    } catch (const InputError& e) {
      if (skipped == nullptr) throw;
      skipped->push_back(std::string(e.what()) + " (skipped)");
    }
  }
  return out;
}

WeekSummary summarize_week(const std::vector<Mood>& entries, long long day) {
  WeekSummary w;
  w.first_day = day - (iso_weekday(day) - 1);
  std::tie(w.iso_year, w.iso_week) = iso_week(day);
  double mood = 0;
  double energy = 0;
  for (const Mood& m : entries) {
    const long long d = local_day(m.ts, m.offset);
    if (d < w.first_day || d >= w.first_day + 7) continue;
    ++w.samples;
    mood += m.mood;
    energy += m.energy;
  }
  if (w.samples > 0) {
    w.mood = mood / w.samples;
    w.energy = energy / w.samples;
    if (w.mood < 4) {
      w.warnings.push_back("mood average " + format_fixed(w.mood, 2) +
                           " is below 4: rest, or seek support");
    }
    if (w.energy < 3) {
      w.warnings.push_back("energy average " + format_fixed(w.energy, 2) +
                           " is below 3: adjust your routine (sleep, breaks, workload)");
    }
  }
  return w;
}

SlotAnalysis energy_slots(const std::vector<Mood>& entries, int min_samples) {
  SlotAnalysis a;
  std::array<std::vector<int>, 12> values;
  for (const Mood& m : entries) values[civil_at(m.ts, m.offset).hour / 2].push_back(m.energy);
  int with_samples = 0;
  int thin = 0;
  for (int k = 0; k < 12; ++k) {
    Slot& s = a.slots[k];
    s.start_hour = 2 * k;
    s.samples = static_cast<int>(values[k].size());
    if (s.samples == 0) continue;
    ++with_samples;
    if (s.samples < min_samples) ++thin;
    s.mean = std::accumulate(values[k].begin(), values[k].end(), 0.0) / s.samples;
    if (s.samples > 1) {
      double ss = 0;
      for (int v : values[k]) ss += (v - s.mean) * (v - s.mean);
      s.sd = std::sqrt(ss / (s.samples - 1));
    }
  }
  if (with_samples < 2) {
    a.reason = "fewer than 2 time slots have samples";
  } else if (thin > 0) {
    a.reason = std::to_string(thin) + " of " + std::to_string(with_samples) +
               " slots with samples have fewer than " + std::to_string(min_samples);
  } else {
    int best = -1;
    for (int k = 0; k < 12; ++k) {
      if (a.slots[k].samples == 0) continue;
      if (best < 0 || a.slots[k].mean > a.slots[best].mean) best = k;
    }
    a.best = best;
  }
  return a;
}

std::string slots_svg(const SlotAnalysis& a, const std::string& title) {
  chart::Chart c;
  c.title = title;
  c.x.title = "time of day (two-hour slots)";
  c.y.title = "mean energy (1-10)";
  c.y.min = 0;
  c.y.max = 10;
  c.plot_width = 620;
  c.plot_height = 260;
  chart::Series bars{"", {}, {}};
  bars.style = chart::Style::kBars;
  char buf[512];
  for (int k = 0; k < 12; ++k) {
    const Slot& sl = a.slots[k];
    std::snprintf(buf, sizeof buf, "%02d-%02d", sl.start_hour, sl.start_hour + 2);
    c.x.categories.emplace_back(buf);
    c.x.category_notes.push_back("n=" + std::to_string(sl.samples));
    if (sl.samples == 0) continue;
    bars.x.push_back(k);
    bars.y.push_back(sl.mean);
    bars.spread.push_back(sl.sd);
    std::snprintf(buf, sizeof buf, "%.1f", sl.mean);
    bars.labels.emplace_back(buf);
    bars.colors.emplace_back(a.best && *a.best == k ? "#16a34a" : "#60a5fa");
  }
  c.series.push_back(std::move(bars));
  if (a.best) {
    const Slot& b = a.slots[*a.best];
    std::snprintf(buf, sizeof buf, "best slot %02d:00-%02d:00 (green), mean %.2f over %d samples",
                  b.start_hour, b.start_hour + 2, b.mean, b.samples);
    c.notes.emplace_back(buf);
  } else {
    c.notes.push_back("no best slot: " + a.reason);
  }
  c.notes.emplace_back("whiskers: one standard deviation of the samples");
  c.empty_note = "no energy samples";
  return chart::render(c);
}

// ---------------------------------------------------------------------------------------------
// iCalendar

namespace {
std::string ics_text(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '\\' || c == ';' || c == ',') {
      r += '\\';
      r += c;
    } else if (c == '\n') {
      r += "\\n";
    } else if (c == '\r') {
      continue;
    } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      r += ' ';
    } else {
      r += c;
    }
  }
  return r;
}

// RFC 5545 §3.1: lines longer than 75 octets are split by CRLF + one space, never inside a
// UTF-8 sequence.
std::string fold(const std::string& line) {
  std::string out;
  std::size_t pos = 0;
  std::size_t limit = 75;
  while (line.size() - pos > limit) {
    std::size_t cut = pos + limit;
    while (cut > pos && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    out += line.substr(pos, cut - pos) + "\r\n ";
    pos = cut;
    limit = 74;
  }
  return out + line.substr(pos) + "\r\n";
}
}  // namespace

std::string to_ics(const std::vector<Event>& events, long long stamp) {
  std::string s;
  s += fold("BEGIN:VCALENDAR");
  s += fold("VERSION:2.0");
  s += fold("PRODID:-//rlab//pomodoro//EN");
  s += fold("CALSCALE:GREGORIAN");
  for (const Event& e : events) {
    s += fold("BEGIN:VEVENT");
    s += fold("UID:" + e.uid);
    s += fold("DTSTAMP:" + format_utc_basic(stamp));
    s += fold("DTSTART:" + format_utc_basic(e.start));
    s += fold("DTEND:" + format_utc_basic(e.end));
    s += fold("SUMMARY:" + ics_text(e.summary));
    if (!e.description.empty()) s += fold("DESCRIPTION:" + ics_text(e.description));
    if (!e.categories.empty()) {
      std::string c;
      for (const auto& x : e.categories) c += (c.empty() ? "" : ",") + ics_text(x);
      s += fold("CATEGORIES:" + c);
    }
    s += fold("TRANSP:OPAQUE");
    s += fold("END:VEVENT");
  }
  s += fold("END:VCALENDAR");
  return s;
}

std::string make_uid(const std::string& parts) {
  const std::uint64_t h = fnv1a(parts);
  char b[40];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(h));
  return std::string(b) + "@rlab";
}

}  // namespace rlab::pomodoro
