// `rlab pomodoro`: day planning, a focus timer without a daemon, a mood/energy journal.
//
// The core is pure: time is passed in as Unix seconds (the adapter reads the context's clock),
// time zones come in through the `Zone` interface, and files arrive as text.
#pragma once

#include "rlab/clock.h"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rlab::pomodoro {

// ---------------------------------------------------------------------------------------------
// Time

// Calendar arithmetic and ISO 8601 timestamps are common to every command (rlab/clock.h).
using rlab::Civil;
using rlab::civil_at;
using rlab::civil_from_days;
using rlab::days_from_civil;
using rlab::format_date;
using rlab::format_iso;
using rlab::local_day;
using rlab::parse_clock;
using rlab::parse_date;
using rlab::parse_iso;

/// ISO weekday 1 (Monday) .. 7 (Sunday) of a day number.
int iso_weekday(long long days);
/// ISO 8601 week-numbering year and week of a day number.
std::pair<int, int> iso_week(long long days);

/// "20250303T010000Z" (iCalendar UTC form, Timewarrior).
std::string format_utc_basic(long long utc);

/// A time zone: local calendar time <-> UTC. The adapter implements it over the system's tz
/// database; tests may use a fixed offset.
class Zone {
 public:
  virtual ~Zone() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// UTC seconds of a local time. Local times skipped by a DST jump resolve to the instant
  /// after the jump; repeated ones to the first occurrence.
  [[nodiscard]] virtual long long to_utc(const Civil& local) const = 0;
  /// UTC offset in seconds at `utc`.
  [[nodiscard]] virtual int offset_at(long long utc) const = 0;
};

/// A zone with a constant offset (for tests and `UTC`).
class FixedZone : public Zone {
 public:
  FixedZone(std::string name, int offset_s) : name_(std::move(name)), offset_(offset_s) {}
  [[nodiscard]] std::string name() const override { return name_; }
  [[nodiscard]] long long to_utc(const Civil& c) const override;
  [[nodiscard]] int offset_at(long long /*utc*/) const override { return offset_; }

 private:
  std::string name_;
  int offset_;
};

// ---------------------------------------------------------------------------------------------
// Profiles

/// Work and break lengths for one task type, in minutes. The long break comes after every
/// `long_break_every` *completed* work sessions.
struct Profile {
  int work = 25;
  int short_break = 5;
  int long_break = 20;
  int long_break_every = 4;
};

/// Built-in profiles: classic 25/5 (long 20 after 4, Cirillo) and the lab's per-type ones:
/// coding 50/10, reading 30/5, debugging 40/15, other 45/10 (long 30 after 4).
std::map<std::string, Profile> default_profiles();

// ---------------------------------------------------------------------------------------------
// Day plan

struct FixedBlock {
  std::string title;
  int start_min = 0;  ///< Minutes after local midnight.
  int end_min = 0;
  std::string where;  ///< "file:line:col" of the block, for messages.
};

struct Task {
  std::string title;
  std::string type;
  int sessions = 1;
  int priority = 3;  ///< 1 = most important.
  bool deep = false;
  std::vector<std::string> tags;
  std::string where;
};

struct DayPlanInput {
  long long day = 0;  ///< Day number (days since 1970-01-01) of the plan's date.
  int window_start = 9 * 60;
  int window_end = 18 * 60;
  std::vector<FixedBlock> fixed;
  std::vector<Task> tasks;
  std::map<std::string, Profile> profiles;  ///< Every task's type must be a key.
  /// Local hour (0, 2, ..., 22) where the best energy slot starts; deep tasks go there.
  std::optional<int> deep_slot;
};

enum class BlockKind { kWork, kShortBreak, kLongBreak, kFixed };
std::string block_kind_name(BlockKind kind);

struct Block {
  BlockKind kind = BlockKind::kWork;
  std::string title;
  std::string type;     ///< Work and breaks: the task's type.
  int task = -1;        ///< Index into tasks for work and breaks.
  int session = 0;      ///< 1-based session of its task (work).
  int of = 0;           ///< Sessions the task asked for.
  long long start = 0;  ///< UTC seconds.
  long long end = 0;
  bool deep = false;
  bool shortened = false;  ///< A break cut short by a fixed block or the window's end.
};

struct Unfit {
  int task = -1;
  int missing = 0;  ///< Sessions that found no room.
  int requested = 0;
  std::string reason;
};

struct DayPlan {
  std::vector<Block> blocks;   ///< Chronological, fixed blocks included.
  std::vector<Unfit> unfit;    ///< Tasks (in priority order) with sessions left over.
  long long window_start = 0;  ///< UTC seconds.
  long long window_end = 0;
  int work_minutes = 0;
  int break_minutes = 0;
  int free_minutes = 0;  ///< Window minus work, breaks and fixed blocks.
  std::optional<int> deep_slot;
  std::vector<std::string> warnings;
};

/// Schedules the day. Throws InputError at a block's location when fixed blocks overlap each
/// other or lie outside the window, at a task when its type has no profile. Tasks are taken by
/// priority (then file order), each task's sessions back to back with a break after each work
/// session (long after every `long_break_every` completed sessions, counted across the day);
/// a work session never crosses a fixed block; a break that would is cut short. With
/// `deep_slot`, the hours before it are filled only with non-deep sessions that end by the
/// slot, deep sessions start at the slot. Sessions with no room are reported in `unfit`.
DayPlan plan_day(const DayPlanInput& in, const Zone& zone);

// ---------------------------------------------------------------------------------------------
// Timer state and history

enum class Phase { kWork, kBreak };

/// The state file: what is running, as absolute timestamps.
struct State {
  Phase phase = Phase::kWork;
  long long start = 0;     ///< UTC seconds.
  int offset = 0;          ///< UTC offset at start, for display.
  long long duration = 0;  ///< Planned seconds.
  std::string task;
  std::string type;
  std::vector<std::string> tags;
  bool long_break = false;
};

std::string encode_state(const State& s);
/// Throws InputError "<path>: corrupt state file: <reason>" on anything malformed.
State decode_state(const std::string& text, const std::string& path);

/// One finished pomodoro: a line of Open Pomodoro Format history.
struct Session {
  long long start = 0;
  int offset = 0;
  long long seconds = 0;  ///< Actual length.
  std::string description;
  std::vector<std::string> tags;
  std::string type;
  bool completed = true;  ///< Ran its full planned length.
};

/// `2025-03-03T09:00:00+08:00 duration=50 description="x" tags=a,b type=coding completed=true`
/// (duration in whole minutes as Open Pomodoro Format has it; `seconds=` when not whole).
std::string format_history_line(const Session& s);
/// Parses one history line; throws InputError "<path>:<line>:<col>: ..." when malformed.
Session parse_history_line(const std::string& line, const std::string& path, int line_no);
/// All sessions in a history file's text (blank lines skipped). With `skipped`, a malformed
/// line (a torn write, a hand edit) is noted there as "<path>:<line>:<col>: ... (skipped)"
/// and left out; without it, it throws.
std::vector<Session> parse_history(const std::string& text, const std::string& path,
                                   std::vector<std::string>* skipped = nullptr);

/// Completed work sessions whose start falls on the local day of `now`.
int completed_on_day(const std::vector<Session>& history, long long now, int offset);
/// Whether the break after the last finished session is a long one: the number of completed
/// work sessions on the local day of `now` is a positive multiple of `every`.
bool next_break_is_long(const std::vector<Session>& history, long long now, int offset, int every);

/// What `status` shows.
struct StatusView {
  bool active = false;
  State state;
  long long now = 0;
  int completed_today = 0;
  int daily_goal = 8;
};
/// Expands openpomodoro-style codes: %r mm:ss left, %R minutes left, %!r / %!R with "!" once
/// time is up, %l/%L length mm:ss/minutes, %e elapsed mm:ss, %d description, %t tags, %y type,
/// %p phase, %c completed today, %g daily goal, %% a percent sign. Idle: empty string.
std::string format_status(const std::string& tmpl, const StatusView& v);

// ---------------------------------------------------------------------------------------------
// Journal

/// One journal record. Mood and energy on a 1-10 scale: 1 = worst/exhausted, 10 = best/full of
/// energy.
struct Mood {
  long long ts = 0;
  int offset = 0;
  int mood = 5;
  int energy = 5;
  std::string note;
};

std::string encode_mood(const Mood& m);
/// Parses a JSON Lines journal; InputError "<path>:<line>:1: ..." on a bad line, or, with
/// `skipped`, the same message with " (skipped)" noted there and the line left out.
std::vector<Mood> parse_journal(const std::string& text, const std::string& path,
                                std::vector<std::string>* skipped = nullptr);

struct WeekSummary {
  int iso_year = 0;
  int iso_week = 0;
  long long first_day = 0;  ///< Monday.
  int samples = 0;
  double mood = 0;  ///< Means (0 when no samples).
  double energy = 0;
  std::vector<std::string> warnings;  ///< The lab's: mood < 4, energy < 3.
};
/// Entries whose local date lies in the ISO week containing `day`.
WeekSummary summarize_week(const std::vector<Mood>& entries, long long day);

struct Slot {
  int start_hour = 0;  ///< 0, 2, ..., 22 (local time of each entry).
  int samples = 0;
  double mean = 0;
  double sd = 0;  ///< Sample standard deviation (0 with fewer than 2 samples).
};
struct SlotAnalysis {
  std::array<Slot, 12> slots;
  std::optional<int> best;  ///< Index into slots.
  std::string reason;       ///< Why there is no best slot.
};
/// Mean energy per 2-hour slot of the day. The best slot is named only when at least two slots
/// have samples and every slot with samples has at least `min_samples`; ties go to the earlier.
SlotAnalysis energy_slots(const std::vector<Mood>& entries, int min_samples);
/// An SVG bar chart of the slots (mean energy, sample counts, best slot highlighted).
std::string slots_svg(const SlotAnalysis& a, const std::string& title);

// ---------------------------------------------------------------------------------------------
// Calendar export

struct Event {
  std::string uid;
  long long start = 0;
  long long end = 0;
  std::string summary;
  std::string description;
  std::vector<std::string> categories;
};
/// An RFC 5545 VCALENDAR: CRLF line ends, lines folded at 75 octets (never inside a UTF-8
/// sequence), TEXT values escaped, UTC times, DTSTAMP = `stamp`.
std::string to_ics(const std::vector<Event>& events, long long stamp);
/// A stable UID from the parts (FNV-1a), "<hex>@rlab".
std::string make_uid(const std::string& parts);

}  // namespace rlab::pomodoro
