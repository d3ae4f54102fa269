// rlab pomodoro: calendar arithmetic and tz conversions against Python (zoneinfo, isocalendar,
// statistics: tests/reference/pomodoro_reference.py), the day scheduler against the lab's
// per-type lengths, the timer's state file and history, the journal, iCalendar checked by
// python3-icalendar, and every bad input the issue lists.
#include "rlab/pomodoro.h"

#include "rlab/error.h"
#include "rlab/pomodoro_zone.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "support/run.h"
#include "support/svg.h"

namespace rlab::test {
namespace {

namespace pd = rlab::pomodoro;
using nlohmann::json;

json reference() {
  return json::parse(slurp(source_path("tests/reference/pomodoro_reference.json")));
}

long long utc_of(const std::string& iso) {
  long long t = 0;
  int off = 0;
  EXPECT_TRUE(pd::parse_iso(iso, &t, &off)) << iso;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Time

TEST(PomodoroTime, ZonesMatchPythonZoneinfo) {
  const json ref = reference();
  for (const auto& c : ref["zones"]) {
    const pd::SystemZone z(c["zone"].get<std::string>());
    pd::Civil l;
    l.year = c["local"][0];
    l.month = c["local"][1];
    l.day = c["local"][2];
    l.hour = c["local"][3];
    l.minute = c["local"][4];
    const long long utc = z.to_utc(l);
    EXPECT_EQ(utc, c["utc"].get<long long>()) << c.dump();
    EXPECT_EQ(z.offset_at(utc), c["offset"].get<int>()) << c.dump();
  }
}

TEST(PomodoroTime, IsoWeeksMatchPython) {
  const json ref = reference();
  for (const auto& c : ref["weeks"]) {
    const auto d = pd::parse_date(c["date"].get<std::string>());
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, c["days"].get<long long>());
    EXPECT_EQ(pd::format_date(*d), c["date"].get<std::string>());
    const auto [y, w] = pd::iso_week(*d);
    EXPECT_EQ(y, c["year"].get<int>()) << c["date"];
    EXPECT_EQ(w, c["week"].get<int>()) << c["date"];
    EXPECT_EQ(pd::iso_weekday(*d), c["weekday"].get<int>()) << c["date"];
  }
}

TEST(PomodoroTime, ParsesAndFormatsIso8601) {
  long long t = 0;
  int off = 0;
  // 2025-03-03T01:00:00Z is 1740963600 (the zoneinfo reference above).
  ASSERT_TRUE(pd::parse_iso("2025-03-03T09:00:00+08:00", &t, &off));
  EXPECT_EQ(t, 1740963600);
  EXPECT_EQ(off, 8 * 3600);
  EXPECT_EQ(pd::format_iso(t, off), "2025-03-03T09:00:00+08:00");
  EXPECT_EQ(pd::format_utc_basic(t), "20250303T010000Z");
  ASSERT_TRUE(pd::parse_iso("2025-03-03T01:00Z", &t, &off));
  EXPECT_EQ(t, 1740963600);
  ASSERT_TRUE(pd::parse_iso("2025-03-02T20:00:00-0500", &t, &off));
  EXPECT_EQ(t, 1740963600);
  EXPECT_EQ(pd::format_iso(t, off), "2025-03-02T20:00:00-05:00");
  ASSERT_TRUE(pd::parse_iso("1740963600", &t, &off));
  EXPECT_EQ(t, 1740963600);
  for (const char* bad : {"", "2025-02-30T09:00:00Z", "2025-03-03T09:00:00", "2025-03-03T25:00Z",
                          "yesterday", "2025-03-03T09:00:00+8"}) {
    EXPECT_FALSE(pd::parse_iso(bad, &t, &off)) << bad;
  }
  EXPECT_EQ(pd::parse_clock("09:30"), 570);
  EXPECT_EQ(pd::parse_clock("24:00"), 1440);
  EXPECT_FALSE(pd::parse_clock("24:01"));
  EXPECT_FALSE(pd::parse_clock("9h"));
}

// ---------------------------------------------------------------------------------------------
// Day plan

pd::DayPlanInput lab_day() {
  pd::DayPlanInput in;
  in.day = *pd::parse_date("2025-03-03");
  in.window_start = 9 * 60;
  in.window_end = 18 * 60;
  in.profiles = pd::default_profiles();
  in.profiles["writing"] = {45, 10, 30, 4};
  in.fixed.push_back({"Lunch", 12 * 60, 13 * 60, "f:1:1"});
  in.tasks = {{"Implement RoPE", "coding", 1, 1, false, {}, "t:1:1"},
              {"Read papers", "reading", 1, 2, false, {}, "t:2:1"},
              {"Debug model", "debugging", 1, 1, false, {}, "t:3:1"},
              {"Write report", "writing", 1, 3, false, {}, "t:4:1"}};
  return in;
}

std::string hm(long long t) {
  const pd::Civil c = pd::civil_at(t, 8 * 3600);
  char b[16];
  std::snprintf(b, sizeof b, "%02d:%02d", c.hour, c.minute);
  return b;
}

TEST(PomodoroPlan, LabExampleHasPerTypeLengthsAndLongBreakAfterFourth) {
  const pd::FixedZone zone("UTC+8", 8 * 3600);
  const pd::DayPlan p = pd::plan_day(lab_day(), zone);
  ASSERT_TRUE(p.unfit.empty());
  // By priority (1, 1, 2, 3; ties in file order): coding 50+10, debugging 40+15, reading 30+5;
  // writing 45 does not fit between 11:30 and lunch at 12:00, so it starts at 13:00 and, as the
  // 4th completed session, is followed by the 30-minute long break.
  std::vector<std::string> got;
  for (const auto& b : p.blocks) {
    got.push_back(pd::block_kind_name(b.kind) + " " + hm(b.start) + "-" + hm(b.end) + " " +
                  b.title);
  }
  const std::vector<std::string> want = {"work 09:00-09:50 Implement RoPE",
                                         "break 09:50-10:00 Implement RoPE",
                                         "work 10:00-10:40 Debug model",
                                         "break 10:40-10:55 Debug model",
                                         "work 10:55-11:25 Read papers",
                                         "break 11:25-11:30 Read papers",
                                         "fixed 12:00-13:00 Lunch",
                                         "work 13:00-13:45 Write report",
                                         "long break 13:45-14:15 Write report"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(p.work_minutes, 50 + 40 + 30 + 45);
  EXPECT_EQ(p.break_minutes, 10 + 15 + 5 + 30);
  EXPECT_EQ(p.free_minutes, 9 * 60 - 60 - 165 - 60);
}

TEST(PomodoroPlan, ClassicLongBreakEveryFourthCompletedSession) {
  pd::DayPlanInput in = lab_day();
  in.fixed.clear();
  in.tasks = {{"Inbox", "classic", 5, 1, false, {}, "t:1:1"}};
  const pd::DayPlan p = pd::plan_day(in, pd::FixedZone("UTC+8", 8 * 3600));
  std::vector<long long> breaks;
  for (const auto& b : p.blocks) {
    if (b.kind != pd::BlockKind::kWork) breaks.push_back((b.end - b.start) / 60);
  }
  // Cirillo: 25 work, 5 short, a longer break (20 here) after the 4th pomodoro.
  EXPECT_EQ(breaks, (std::vector<long long>{5, 5, 5, 20, 5}));
}

TEST(PomodoroPlan, DeepWorkGoesToTheBestSlot) {
  pd::DayPlanInput in = lab_day();
  in.tasks[0].deep = true;  // Implement RoPE, coding 50
  in.deep_slot = 14;
  const pd::DayPlan p = pd::plan_day(in, pd::FixedZone("UTC+8", 8 * 3600));
  ASSERT_TRUE(p.unfit.empty());
  ASSERT_TRUE(p.deep_slot);
  for (const auto& b : p.blocks) {
    if (b.kind == pd::BlockKind::kWork && b.title == "Implement RoPE") {
      EXPECT_EQ(hm(b.start), "14:00");
      EXPECT_TRUE(b.deep);
    } else if (b.kind == pd::BlockKind::kWork) {
      EXPECT_LE(b.end, utc_of("2025-03-03T14:00:00+08:00")) << b.title;  // fillers end by the slot
    }
  }
}

TEST(PomodoroPlan, TasksThatDoNotFitAreListed) {
  pd::DayPlanInput in = lab_day();
  in.fixed.clear();
  in.window_end = 11 * 60;
  const pd::DayPlan p = pd::plan_day(in, pd::FixedZone("UTC+8", 8 * 3600));
  ASSERT_EQ(p.unfit.size(), 2u);
  EXPECT_EQ(in.tasks[p.unfit[0].task].title, "Read papers");
  EXPECT_EQ(in.tasks[p.unfit[1].task].title, "Write report");
  EXPECT_EQ(p.unfit[0].reason, "no free 30-minute stretch left after 10:55");
}

TEST(PomodoroPlan, OverlappingFixedBlocksAreRejected) {
  pd::DayPlanInput in = lab_day();
  in.fixed.push_back({"Seminar", 12 * 60 + 30, 14 * 60, "plan.yaml:9:7"});
  try {
    pd::plan_day(in, pd::FixedZone("UTC", 0));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(
        e.what(),
        "plan.yaml:9:7: fixed block 'Seminar' (12:30-14:00) overlaps 'Lunch' (12:00-13:00)");
  }
}

TEST(PomodoroPlan, DaylightSavingDayUsesRealTimes) {
  // Europe/Berlin jumps from 02:00 to 03:00 on 2025-03-30: a window 01:00-05:00 holds 3 hours.
  pd::DayPlanInput in;
  in.day = *pd::parse_date("2025-03-30");
  in.window_start = 60;
  in.window_end = 5 * 60;
  in.profiles = pd::default_profiles();
  in.tasks = {{"Night", "classic", 8, 1, false, {}, "t:1:1"}};
  const pd::DayPlan p = pd::plan_day(in, pd::SystemZone("Europe/Berlin"));
  EXPECT_EQ(p.window_end - p.window_start, 3 * 3600);
  ASSERT_FALSE(p.unfit.empty());
}

// ---------------------------------------------------------------------------------------------
// History, state, status

TEST(PomodoroHistory, ReadsOpenPomodoroFormat) {
  // A line as openpomodoro-cli writes it (its README): timestamp with offset, logfmt attributes.
  const auto h = pd::parse_history(
      "2025-03-03T09:00:00+08:00 duration=50 description=\"Implement \\\"loader\\\"\" "
      "tags=coding,rlab\n\n2025-03-03T10:00:00+08:00 description=plain\n",
      "history");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].start, 1740963600);
  EXPECT_EQ(h[0].seconds, 50 * 60);
  EXPECT_EQ(h[0].description, "Implement \"loader\"");
  EXPECT_EQ(h[0].tags, (std::vector<std::string>{"coding", "rlab"}));
  EXPECT_EQ(h[1].seconds, 25 * 60);  // the format's default length
  pd::Session s = h[0];
  s.type = "coding";
  s.seconds = 12 * 60 + 30;
  s.completed = false;
  EXPECT_EQ(pd::format_history_line(s),
            "2025-03-03T09:00:00+08:00 duration=12 seconds=750 description=\"Implement "
            "\\\"loader\\\"\" tags=coding,rlab type=coding completed=false");
  const pd::Session back = pd::parse_history_line(pd::format_history_line(s), "h", 1);
  EXPECT_EQ(back.seconds, 750);
  EXPECT_FALSE(back.completed);
  EXPECT_EQ(back.description, s.description);
}

TEST(PomodoroHistory, BadLineNamesItsPosition) {
  try {
    pd::parse_history("2025-03-03T09:00:00+08:00 duration=25\nnot-a-time duration=25\n", "hist");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "hist:2:1: expected an ISO 8601 timestamp with UTC offset, got 'not-a-time'");
  }
}

TEST(PomodoroStatus, FormatTokens) {
  pd::StatusView v;
  v.active = true;
  v.state.start = 1000;
  v.state.duration = 25 * 60;
  v.state.task = "Write";
  v.state.tags = {"a", "b"};
  v.state.type = "classic";
  v.now = 1000 + 10 * 60 + 5;  // 14:55 left
  v.completed_today = 3;
  v.daily_goal = 8;
  EXPECT_EQ(pd::format_status("%r %R %!r %l %L %e %d %t %y %p %c/%g 100%%", v),
            "14:55 15 14:55 25:00 25 10:05 Write a,b classic work 3/8 100%");
  v.now = 1000 + 26 * 60;
  EXPECT_EQ(pd::format_status("%!r %r", v), "00:00! 00:00");
  v.active = false;
  EXPECT_EQ(pd::format_status("%r", v), "");
}

TEST(PomodoroState, CorruptStateIsAClearError) {
  for (const char* text : {"{", "[]", "{\"version\":1,\"phase\":\"nap\"}",
                           "{\"version\":1,\"phase\":\"work\",\"start\":\"x\",\"duration_s\":5}",
                           // Found by fuzzing: a float too large for a whole number of seconds.
                           "{\"version\":1,\"phase\":\"work\",\"start\":"
                           "\"2025-03-03T09:00:00+08:00\",\"duration_s\":2.2e72}",
                           "{\"version\":1e300,\"phase\":\"work\"}",
                           "{\"version\":1,\"phase\":\"work\",\"start\":"
                           "\"2025-03-03T09:00:00+08:00\",\"duration_s\":18446744073709551615}"}) {
    try {
      pd::decode_state(text, "/s/state.json");
      FAIL() << text;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("/s/state.json: corrupt state file: ", 0), 0u)
          << e.what();
    }
  }
  pd::State s;
  s.start = 1740963600;
  s.offset = 3600;
  s.duration = 1500;
  s.task = "x";
  s.tags = {"t"};
  const pd::State back = pd::decode_state(pd::encode_state(s), "p");
  EXPECT_EQ(back.start, s.start);
  EXPECT_EQ(back.duration, s.duration);
  EXPECT_EQ(back.tags, s.tags);
}

// ---------------------------------------------------------------------------------------------
// Journal

// The reference journal as JSON lines.
std::string reference_journal_text() {
  const json ref = reference();
  std::string text;
  for (const auto& e : ref["journal"]) text += e.dump() + "\n";
  return text;
}

std::vector<pd::Mood> reference_journal() {
  return pd::parse_journal(reference_journal_text(), "j");
}

TEST(PomodoroJournal, SlotsMatchPythonStatistics) {
  const json ref = reference();
  const pd::SlotAnalysis a = pd::energy_slots(reference_journal(), 3);
  for (int k = 0; k < 12; ++k) {
    const json& r = ref["slots"][k];
    EXPECT_EQ(a.slots[k].samples, r["samples"].get<int>()) << k;
    if (!r["mean"].is_null()) {
      EXPECT_NEAR(a.slots[k].mean, r["mean"].get<double>(), 1e-12) << k;
    }
    if (!r["sd"].is_null()) {
      EXPECT_NEAR(a.slots[k].sd, r["sd"].get<double>(), 1e-12) << k;
    }
  }
  ASSERT_TRUE(a.best);
  EXPECT_EQ(a.slots[*a.best].start_hour, ref["best_slot_start_hour"].get<int>());
  // One slot under the threshold withholds the recommendation.
  const int k = ref["min_samples_in_filled_slots"].get<int>() + 1;
  const pd::SlotAnalysis b = pd::energy_slots(reference_journal(), k);
  EXPECT_FALSE(b.best);
  EXPECT_NE(b.reason.find("fewer than " + std::to_string(k)), std::string::npos) << b.reason;
}

TEST(PomodoroJournal, WeekAveragesMatchPython) {
  const auto entries = reference_journal();
  const json ref = reference();
  for (const auto& w : ref["week_summaries"]) {
    const pd::WeekSummary s =
        pd::summarize_week(entries, *pd::parse_date(w["date"].get<std::string>()));
    EXPECT_EQ(s.samples, w["samples"].get<int>()) << w["date"];
    if (!w["mood"].is_null()) {
      EXPECT_NEAR(s.mood, w["mood"].get<double>(), 1e-12);
      EXPECT_NEAR(s.energy, w["energy"].get<double>(), 1e-12);
    }
  }
}

TEST(PomodoroJournal, LabWarnings) {
  std::vector<pd::Mood> e(2);
  e[0].ts = utc_of("2025-03-04T10:00:00+08:00");
  e[0].offset = 8 * 3600;
  e[0].mood = 3;
  e[0].energy = 2;
  e[1] = e[0];
  e[1].mood = 4;
  e[1].energy = 3;
  const pd::WeekSummary s = pd::summarize_week(e, *pd::parse_date("2025-03-05"));
  // means 3.5 (< 4) and 2.5 (< 3): both warnings.
  ASSERT_EQ(s.warnings.size(), 2u);
  EXPECT_EQ(s.warnings[0], "mood average 3.50 is below 4: rest, or seek support");
  EXPECT_EQ(s.warnings[1],
            "energy average 2.50 is below 3: adjust your routine (sleep, breaks, workload)");
  e[1].mood = 5;  // mean 4.0: not below 4
  e[1].energy = 4;
  EXPECT_TRUE(pd::summarize_week(e, *pd::parse_date("2025-03-05")).warnings.empty());
}

// ---------------------------------------------------------------------------------------------
// iCalendar

TEST(PomodoroIcs, FoldsAtSeventyFiveOctetsWithCrlf) {
  pd::Event e;
  e.uid = pd::make_uid("x");
  e.start = 1740963600;
  e.end = e.start + 1500;
  e.summary = std::string(100, 'a') + " é漢字; comma, backslash\\ " + std::string(80, 'b');
  const std::string ics = pd::to_ics({e}, 1740963600);
  std::size_t pos = 0;
  while (pos < ics.size()) {
    const std::size_t end = ics.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos) << "every line ends in CRLF";
    EXPECT_LE(end - pos, 75u);
    EXPECT_EQ(ics.substr(pos, end - pos).find('\n'), std::string::npos);
    pos = end + 2;
  }
  EXPECT_NE(ics.find("DTSTAMP:20250303T010000Z\r\n"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// End to end

struct Env {
  TempDir dir;
  std::vector<std::string> env(const std::string& now) const {
    return {"RLAB_HOME=" + dir.path(), "RLAB_NOW=" + now, "TZ=Asia/Shanghai", "NO_COLOR=1"};
  }
  std::string history() const { return slurp(dir.path() + "/data/pomodoro/history"); }
  // The message rlab refuses `args` with as invalid input (exit code 3) at time `now`.
  std::string refusal(const std::vector<std::string>& args, const std::string& now) const {
    const RunResult r = run_rlab(args, env(now));
    EXPECT_EQ(r.code, 3);
    return r.err;
  }
  // Plans `yaml` written as p.yaml: the refusal's message after "rlab: error: <p.yaml>".
  std::string plan_refusal(const std::string& yaml) const {
    const std::string f = dir.write("p.yaml", yaml);
    const std::string err = refusal({"pomodoro", "plan", f}, "2025-03-01T08:00:00Z");
    const std::string prefix = "rlab: error: " + f;
    EXPECT_EQ(err.substr(0, prefix.size()), prefix);
    return err.substr(std::min(prefix.size(), err.size()));
  }
};

std::string example() { return source_path("configs/examples/pomodoro.yaml"); }

TEST(PomodoroE2E, ExamplePlanAsJson) {
  Env e;
  const RunResult r = run_rlab({"pomodoro", "plan", example(), "--format", "json"},
                               e.env("2025-03-01T08:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["timezone"], "Asia/Shanghai");
  std::vector<std::string> got;
  for (const auto& b : j["blocks"]) {
    got.push_back(b["kind"].get<std::string>() + " " + b["start"].get<std::string>() + " " +
                  std::to_string(b["minutes"].get<int>()));
  }
  const std::vector<std::string> want = {
      "work 2025-03-03T09:00:00+08:00 50",      "break 2025-03-03T09:50:00+08:00 10",
      "work 2025-03-03T10:00:00+08:00 40",      "break 2025-03-03T10:40:00+08:00 15",
      "work 2025-03-03T10:55:00+08:00 30",      "break 2025-03-03T11:25:00+08:00 5",
      "fixed 2025-03-03T12:00:00+08:00 60",     "work 2025-03-03T13:00:00+08:00 45",
      "long break 2025-03-03T13:45:00+08:00 30"};
  EXPECT_EQ(got, want);
  // `rlab pomodoro FILE` is `plan FILE`.
  const RunResult r2 =
      run_rlab({"pomodoro", example(), "--format", "json"}, e.env("2025-03-01T08:00:00+08:00"));
  EXPECT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(r2.out, r.out);
}

TEST(PomodoroE2E, PlanIcsParsesWithPythonIcalendar) {
  Env e;
  const std::string ics = e.dir.path() + "/day.ics";
  const RunResult r =
      run_rlab({"pomodoro", "plan", example(), "--ics", ics}, e.env("2025-03-01T08:00:00Z"));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string script = e.dir.write("check.py", R"(
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
assert cal['VERSION'] == '2.0' and cal.get('PRODID')
for ev in cal.walk('VEVENT'):
    assert ev.get('UID') and ev.get('DTSTAMP') and ev.get('DTSTART')
    print(ev['SUMMARY'], ev.decoded('DTSTART').isoformat(), ev.decoded('DTEND').isoformat(), ev.decoded('DTSTAMP').isoformat())
)");
  const RunResult py = run_program({"/usr/bin/python3", script, ics});
  ASSERT_EQ(py.code, 0) << py.err;
  EXPECT_NE(
      py.out.find("🍅 Implement RoPE (1/1) 2025-03-03T01:00:00+00:00 2025-03-03T01:50:00+00:00 "
                  "2025-03-01T08:00:00+00:00"),
      std::string::npos)
      << py.out;
  EXPECT_NE(py.out.find("Lunch 2025-03-03T04:00:00+00:00 2025-03-03T05:00:00+00:00"),
            std::string::npos);
  EXPECT_NE(py.out.find("Long break 2025-03-03T05:45:00+00:00 2025-03-03T06:15:00+00:00"),
            std::string::npos);
}

TEST(PomodoroE2E, DeepTaskMovesToBestJournalSlot) {
  Env e;
  const json ref = reference();
  const std::string jp = e.dir.write("journal.jsonl", reference_journal_text());
  const RunResult r = run_rlab({"pomodoro", "plan", example(), "--journal", jp, "--format", "json"},
                               e.env("2025-03-01T08:00:00Z"));
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  const int best = ref["best_slot_start_hour"];
  char want[64];
  std::snprintf(want, sizeof want, "2025-03-03T%02d:00:00+08:00", best);
  bool found = false;
  for (const auto& b : j["blocks"]) {
    if (b["title"] == "Implement RoPE" && b["kind"] == "work") {
      EXPECT_EQ(b["start"], want);
      EXPECT_TRUE(b["deep"].get<bool>());
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

// The bad inputs of the issue, each with its exit code and error line.
TEST(PomodoroE2E, OverlappingFixedBlocks) {
  Env e;
  EXPECT_EQ(e.plan_refusal("date: 2025-03-03\n"
                           "fixed:\n"
                           "  - {title: Lunch, start: \"12:00\", end: \"13:00\"}\n"
                           "  - {title: Seminar, start: \"12:30\", end: \"14:00\"}\n"
                           "tasks: [{title: x}]\n"),
            ":4:5: fixed block 'Seminar' (12:30-14:00) overlaps 'Lunch' (12:00-13:00)\n");
}

TEST(PomodoroE2E, TasksThatCannotFitAreListed) {
  Env e;
  const std::string f = e.dir.write("p.yaml",
                                    "date: 2025-03-03\n"
                                    "window: [\"09:00\", \"11:00\"]\n"
                                    "tasks:\n"
                                    "  - {title: Big, type: coding, sessions: 3}\n"
                                    "  - {title: Read, type: reading, sessions: 2, priority: 4}\n");
  const RunResult r = run_rlab({"pomodoro", "plan", f}, e.env("2025-03-01T08:00:00Z"));
  EXPECT_EQ(r.code, 1);  // a valid day whose answer is no
  EXPECT_EQ(r.out, "");
  // 09:00-09:50 + 10, 10:00-10:50 + 10: the third coding session needs 50 minutes from 11:00.
  // Reading (priority 4) then finds nothing either.
  EXPECT_EQ(r.err,
            "rlab: error: " + f +
                ":4:5: task 'Big' does not fit: 1 of 3 sessions unscheduled (no free 50-minute "
                "stretch left after 11:00)\n"
                "rlab: error: " +
                f +
                ":5:5: task 'Read' does not fit: 2 of 2 sessions unscheduled (no free 30-minute "
                "stretch left after 11:00)\n"
                "rlab: note: 0 free minutes are left in the window; lengthen it, drop sessions, or "
                "use --partial to print the schedule of what fits\n");
  const RunResult p = run_rlab({"pomodoro", "plan", f, "--partial", "--format", "json"},
                               e.env("2025-03-01T08:00:00Z"));
  EXPECT_EQ(p.code, 0);
  EXPECT_EQ(json::parse(p.out)["unscheduled"].size(), 2u);
}

TEST(PomodoroE2E, UnknownTaskType) {
  Env e;
  EXPECT_EQ(e.plan_refusal("date: 2025-03-03\ntasks:\n  - {title: x, type: codng}\n"),
            ":3:22: unknown task type 'codng' (did you mean 'coding'?) (profiles: "
            "classic, coding, debugging, other, reading)\n");
  EXPECT_EQ(e.refusal({"pomodoro", "start", "--type", "nap"}, "2025-03-03T09:00:00+08:00"),
            "rlab: error: --type nap: unknown task type 'nap' (profiles: classic, coding, "
            "debugging, other, reading)\n");
}

TEST(PomodoroE2E, UnknownTimeZone) {
  Env e;
  EXPECT_EQ(e.plan_refusal("timezone: Europe/Berln\ndate: 2025-03-03\ntasks: [{title: x}]\n"),
            ":1:11: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?) (an "
            "IANA name such as Europe/Berlin or Asia/Shanghai)\n");
}

TEST(PomodoroE2E, MoodAndEnergyOutsideOneToTen) {
  Env e;
  RunResult r = run_rlab({"pomodoro", "journal", "add", "--mood", "11", "--energy", "5"},
                         e.env("2025-03-03T09:00:00+08:00"));
  EXPECT_EQ(r.code, 2);  // a flag out of its range is a usage error, like every other flag
  EXPECT_EQ(r.err,
            "rlab: error: --mood: must be between 1 and 10, got 11; run 'rlab pomodoro --help' "
            "for usage\n");
  r = run_rlab({"pomodoro", "journal", "add", "--mood", "5", "--energy", "0"},
               e.env("2025-03-03T09:00:00+08:00"));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "rlab: error: --energy: must be between 1 and 10, got 0; run 'rlab pomodoro --help' "
            "for usage\n");
  struct stat st {};
  EXPECT_NE(::stat((e.dir.path() + "/data/pomodoro/journal.jsonl").c_str(), &st), 0)
      << "nothing written";
}

TEST(PomodoroE2E, TimerStartStatusSecondStartFinish) {
  Env e;
  RunResult r = run_rlab(
      {"pomodoro", "start", "--task", "Write loader", "--type", "coding", "--tags", "rlab,io"},
      e.env("2025-03-03T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "started 'Write loader' (coding): 50 min, 09:00-09:50\n");
  r = run_rlab({"pomodoro", "status", "--format", "%r %R %d %t %c/%g"},
               e.env("2025-03-03T09:12:30+08:00"));
  EXPECT_EQ(r.out, "37:30 38 Write loader rlab,io 0/8\n");
  r = run_rlab({"pomodoro", "status", "--format", "json"}, e.env("2025-03-03T09:12:30+08:00"));
  EXPECT_EQ(json::parse(r.out)["remaining_s"], 37 * 60 + 30);
  // A second start while one runs.
  r = run_rlab({"pomodoro", "start", "--task", "Other"}, e.env("2025-03-03T09:20:00+08:00"));
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(
      r.err,
      "rlab: error: a pomodoro is already running: 'Write loader' started 09:00, 30:00 left\n"
      "rlab: note: finish it (rlab pomodoro finish) or cancel it (rlab pomodoro cancel) first\n");
  // The state file holds absolute times: a status long after (suspend, closed terminal) says
  // the time is up.
  r = run_rlab({"pomodoro", "status", "-f", "%!r %c"}, e.env("2025-03-03T11:00:00+08:00"));
  EXPECT_EQ(r.out, "00:00! 1\n");
  r = run_rlab({"pomodoro", "finish"}, e.env("2025-03-03T11:00:00+08:00"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(e.history(),
            "2025-03-03T09:00:00+08:00 duration=50 description=\"Write loader\" tags=rlab,io "
            "type=coding completed=true\n");
  r = run_rlab({"pomodoro", "finish"}, e.env("2025-03-03T11:00:00+08:00"));
  EXPECT_EQ(r.code, 1);
}

TEST(PomodoroE2E, LongBreakCountsCompletedSessionsOnly) {
  Env e;
  auto at = [&](int h, int m) {
    char b[64];
    std::snprintf(b, sizeof b, "2025-03-03T%02d:%02d:00+08:00", h, m);
    return e.env(b);
  };
  // Three completed classic sessions, one ended early, then a fourth completed one.
  int h = 9;
  for (int i = 0; i < 5; ++i, ++h) {
    ASSERT_EQ(run_rlab({"pomodoro", "start", "--task", "s" + std::to_string(i)}, at(h, 0)).code, 0);
    const bool early = i == 3;
    ASSERT_EQ(run_rlab({"pomodoro", "finish"}, at(h, early ? 10 : 30)).code, 0);
    const RunResult b = run_rlab({"pomodoro", "break"}, at(h, 31));
    ASSERT_EQ(b.code, 0) << b.err;
    const std::string want = i == 4 ? "started long break: 20 min" : "started break: 5 min";
    EXPECT_EQ(b.out.substr(0, want.size()), want) << i << ": " << b.out;
    ASSERT_EQ(run_rlab({"pomodoro", "cancel"}, at(h, 32)).code, 0);
  }
}

TEST(PomodoroE2E, CorruptStateFileLeavesHistoryAlone) {
  Env e;
  ASSERT_EQ(run_rlab({"pomodoro", "start", "--task", "a"}, e.env("2025-03-03T09:00:00+08:00")).code,
            0);
  ASSERT_EQ(run_rlab({"pomodoro", "finish"}, e.env("2025-03-03T09:30:00+08:00")).code, 0);
  const std::string before = e.history();
  const std::string state = e.dir.path() + "/data/pomodoro/state.json";
  std::ofstream(state) << "{\"version\": 1, \"phase\": \"work\", \"start\": ";
  for (const char* cmd : {"start", "finish", "status", "break"}) {
    const RunResult r = run_rlab({"pomodoro", cmd}, e.env("2025-03-03T10:00:00+08:00"));
    EXPECT_EQ(r.code, 3) << cmd;
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
              "rlab: error: " + state +
                  ": corrupt state file: parse error at line 1, column 42: syntax error while "
                  "parsing value - "
                  "unexpected end of input; expected '[', '{', or a literal")
        << cmd;
    EXPECT_NE(r.err.find("rlab: note: the history is untouched; delete " + state),
              std::string::npos);
  }
  EXPECT_EQ(e.history(), before);
}

TEST(PomodoroE2E, HooksGetArgvAndEnvironment) {
  Env e;
  const std::string log = e.dir.path() + "/hook.log";
  const std::string hook =
      e.dir.write("hook.sh",
                  "#!/bin/sh\n"
                  "printf '%s|' \"$@\" >> \"$HOOK_LOG\"\n"
                  "echo \"$RLAB_POMODORO_EVENT $RLAB_POMODORO_TASK "
                  "$RLAB_POMODORO_DURATION $RLAB_POMODORO_TAGS\" >> \"$HOOK_LOG\"\n");
  ::chmod(hook.c_str(), 0755);
  const std::string cfg =
      e.dir.write("c.yaml", "hooks:\n  on_start: [" + hook +
                                ", \"a b\", \"$(touch pwned); x\"]\n  on_finish: " + hook +
                                "\n  on_break_end: [" + hook + ", end]\n");
  auto env = [&](const std::string& now) {
    auto v = e.env(now);
    v.push_back("HOOK_LOG=" + log);
    return v;
  };
  ASSERT_EQ(run_rlab({"pomodoro", "start", "--config", cfg, "--task", "T; rm -rf x", "--tags", "a"},
                     env("2025-03-03T09:00:00+08:00"))
                .code,
            0);
  ASSERT_EQ(
      run_rlab({"pomodoro", "--config", cfg, "break", "3"}, env("2025-03-03T09:25:00+08:00")).code,
      0);
  ASSERT_EQ(
      run_rlab({"pomodoro", "--config", cfg, "finish"}, env("2025-03-03T09:26:00+08:00")).code, 0);
  EXPECT_EQ(
      slurp(log),
      "a b|$(touch pwned); x|on_start T; rm -rf x 25 a\n"
      "|on_finish T; rm -rf x 25 a\n"  // a hook given as one string: the program, no arguments
      "end|on_break_end  3 \n");
}

TEST(PomodoroE2E, WaitUnderFixedClockFinishesAndRecords) {
  Env e;
  const RunResult r = run_rlab({"pomodoro", "start", "--task", "w", "--duration", "1", "--wait"},
                               e.env("2025-03-03T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "started 'w' (classic): 1 min, 09:00-09:01\nfinished 'w' at 09:01\n");
  EXPECT_EQ(r.err, "") << "no progress bar when stderr is not a terminal";
  EXPECT_EQ(e.history(),
            "2025-03-03T09:00:00+08:00 duration=1 description=w type=classic completed=true\n");
}

TEST(PomodoroE2E, ExportsAndReport) {
  Env e;
  const char* sessions[][3] = {{"2025-03-03T09:00:00+08:00", "coding", "a"},
                               {"2025-03-03T10:00:00+08:00", "reading", "b"},
                               {"2025-03-04T09:00:00+08:00", "coding", "c"}};
  for (const auto& s : sessions) {
    ASSERT_EQ(run_rlab({"pomodoro", "start", "--type", s[1], "--task", s[2], "--tags", "rlab"},
                       e.env(s[0]))
                  .code,
              0);
    ASSERT_EQ(run_rlab({"pomodoro", "finish"},
                       e.env(std::string(s[0]).replace(11, 2, s[0][12] == '9' ? "12" : "13")))
                  .code,
              0);
  }
  RunResult r =
      run_rlab({"pomodoro", "export", "--timewarrior"}, e.env("2025-03-05T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  const json tw = json::parse(r.out);
  ASSERT_EQ(tw.size(), 3u);
  EXPECT_EQ(tw[0]["start"], "20250303T010000Z");
  EXPECT_EQ(tw[0]["end"], "20250303T015000Z");
  EXPECT_EQ(tw[0]["id"], 3);
  EXPECT_EQ(tw[0]["tags"], json({"rlab", "coding"}));
  EXPECT_EQ(tw[0]["annotation"], "a");
  EXPECT_EQ(tw[1]["end"], "20250303T023000Z");

  const std::string ics = e.dir.path() + "/h.ics";
  r = run_rlab({"pomodoro", "export", "--ics", "-o", ics}, e.env("2025-03-05T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string script =
      e.dir.write("c.py",
                  "import sys, icalendar\n"
                  "c = icalendar.Calendar.from_ical(open(sys.argv[1],'rb').read())\n"
                  "print(len(c.walk('VEVENT')), len({str(e['UID']) for e in c.walk('VEVENT')}))\n");
  const RunResult py = run_program({"/usr/bin/python3", script, ics});
  EXPECT_EQ(py.out, "3 3\n") << py.err;

  r = run_rlab({"pomodoro", "report", "--by", "type", "--format", "json"},
               e.env("2025-03-05T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  const json rep = json::parse(r.out);
  ASSERT_EQ(rep["rows"].size(), 2u);
  EXPECT_EQ(rep["rows"][0]["type"], "coding");
  EXPECT_EQ(rep["rows"][0]["completed"], 2);
  EXPECT_EQ(rep["rows"][0]["minutes"], 100.0);
  r = run_rlab({"pomodoro", "report", "--by", "type", "--plan", example(), "--format", "csv"},
               e.env("2025-03-05T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("coding,2,0,100.0,1,50,200\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("writing,0,0,0.0,1,45,0\n"), std::string::npos) << r.out;
}

TEST(PomodoroE2E, JournalWeekAndSlotsWithSvg) {
  Env e;
  const json ref = reference();
  const std::string journal = reference_journal_text();
  const std::string jp = e.dir.write("j.jsonl", journal);
  RunResult r = run_rlab({"pomodoro", "journal", "add", "--mood", "3", "--energy", "2", "--note",
                          "tired", "--journal", jp},
                         e.env("2025-04-01T15:10:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp(jp).substr(journal.size()),
            "{\"energy\":2,\"mood\":3,\"note\":\"tired\",\"ts\":\"2025-04-01T15:10:00+08:00\"}\n");
  r = run_rlab({"pomodoro", "journal", "week", "--journal", jp},
               e.env("2025-04-02T09:00:00+08:00"));
  EXPECT_EQ(
      r.out,
      "week 2025-W14 (2025-03-31 to 2025-04-06): 1 entries\n"
      "mood average 3.00, energy average 2.00 (scale 1-10)\n"
      "warning: mood average 3.00 is below 4: rest, or seek support\n"
      "warning: energy average 2.00 is below 3: adjust your routine (sleep, breaks, workload)\n");
  const std::string svg = e.dir.path() + "/slots.svg";
  r = run_rlab({"pomodoro", "journal", "slots", "--journal", jp, "--svg", svg, "--format", "json"},
               e.env("2025-04-02T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  // Reference slot 14-16 had 11 samples, mean 73/11 = 6.64; with the added energy 2 it holds
  // 12 samples, mean 75/12 = 6.25, still above the next best (08-10: 5.79).
  const json slots = json::parse(r.out);
  EXPECT_EQ(slots["best"], "14:00-16:00");
  EXPECT_EQ(slots["slots"][7]["samples"], 12);
  EXPECT_DOUBLE_EQ(slots["slots"][7]["mean"].get<double>(), 75.0 / 12.0);
  // Well-formed SVG with one bar per slot that has samples and every label.
  const std::string check =
      e.dir.write("svg.py",
                  "import sys, xml.etree.ElementTree as ET\n"
                  "ns = '{http://www.w3.org/2000/svg}'\n"
                  "root = ET.parse(sys.argv[1]).getroot()\n"
                  "assert root.tag == ns + 'svg'\n"
                  "bars = [r for r in root.iter(ns + 'rect') if r.get('fill') != 'white']\n"
                  "texts = [t.text for t in root.iter(ns + 'text')]\n"
                  "print(len(bars), 'n=12' in texts, '14-16' in texts)\n");
  const RunResult py = run_program({"/usr/bin/python3", check, svg});
  int filled = 0;
  for (const auto& sl : ref["slots"]) filled += sl["samples"].get<int>() > 0 ? 1 : 0;
  EXPECT_EQ(py.out, std::to_string(filled) + " True True\n") << py.err;
}

TEST(PomodoroSlots, SvgRendersWithRoundTicksAndEverySlot) {
  pd::SlotAnalysis a;
  for (int k = 0; k < 12; ++k) a.slots[static_cast<std::size_t>(k)].start_hour = 2 * k;
  a.slots[4] = {8, 5, 5.8, 1.3};
  a.slots[7] = {14, 12, 6.25, 2.1};
  a.slots[9] = {18, 3, 9.5, 0.9};  // mean + sd past the scale's 10: the axis grows, no clipping
  a.best = 9;
  const std::string svg = pd::slots_svg(a, "Energy <by> slot");
  TempDir d;
  EXPECT_EQ(render_png(svg, d.path() + "/slots.png"), "");
  const auto y = svg_texts(svg, "ytick");
  EXPECT_EQ(tick_problem(y), "");
  EXPECT_EQ(y.front(), "0");
  EXPECT_GE(label_values(y).back(), 10.4);
  const auto x = svg_texts(svg, "xtick");
  ASSERT_EQ(x.size(), 12U);
  EXPECT_EQ(x[0], "00-02");
  EXPECT_EQ(x[11], "22-24");
  const auto texts = svg_texts(svg);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "n=12"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Energy <by> slot"), texts.end());
  EXPECT_EQ(svg_texts(svg, "ytitle"), std::vector<std::string>{"mean energy (1-10)"});
  // Empty: a sentence, not an empty frame.
  pd::SlotAnalysis none;
  const std::string empty = pd::slots_svg(none, "none");
  EXPECT_EQ(render_png(empty, d.path() + "/none.png"), "");
  EXPECT_NE(empty.find("no energy samples"), std::string::npos);
}

TEST(PomodoroE2E, RepeatReportsByWeekAndTagAndExportRange) {
  Env e;
  // Mon 2025-03-03 and Mon 2025-03-10 (ISO weeks 10 and 11): a 25-minute classic session each,
  // the second one repeated from the first.
  ASSERT_EQ(run_rlab({"pomodoro", "start", "--task", "a", "--tags", "x,y"},
                     e.env("2025-03-03T09:00:00+08:00"))
                .code,
            0);
  ASSERT_EQ(run_rlab({"pomodoro", "finish"}, e.env("2025-03-03T09:30:00+08:00")).code, 0);
  RunResult r = run_rlab({"pomodoro", "repeat"}, e.env("2025-03-10T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "started 'a' (classic): 25 min, 09:00-09:25\n");
  ASSERT_EQ(run_rlab({"pomodoro", "finish"}, e.env("2025-03-10T09:10:00+08:00")).code, 0);  // early
  r = run_rlab({"pomodoro", "report", "--by", "week", "--format", "csv"},
               e.env("2025-03-11T09:00:00+08:00"));
  EXPECT_EQ(r.out, "week,completed,ended_early,minutes\n2025-W10,1,0,25.0\n2025-W11,0,1,10.0\n");
  r = run_rlab({"pomodoro", "report", "--by", "tag", "--format", "csv"},
               e.env("2025-03-11T09:00:00+08:00"));
  EXPECT_EQ(r.out, "tag,completed,ended_early,minutes\nx,1,1,35.0\ny,1,1,35.0\n");
  r = run_rlab({"pomodoro", "export", "--timewarrior", "--from", "2025-03-04"},
               e.env("2025-03-11T09:00:00+08:00"));
  const json tw = json::parse(r.out);
  ASSERT_EQ(tw.size(), 1u);
  EXPECT_EQ(tw[0]["start"], "20250310T010000Z");
  EXPECT_EQ(tw[0]["end"], "20250310T011000Z");
}

TEST(PomodoroE2E, InvalidUtf8NoteIsStoredAsValidJson) {
  Env e;
  const RunResult r = run_rlab({"pomodoro", "journal", "add", "--mood", "5", "--energy", "5",
                                "--note", "bad \xff byte", "--format", "json"},
                               e.env("2025-03-03T09:00:00+08:00"));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string line = slurp(e.dir.path() + "/data/pomodoro/journal.jsonl");
  EXPECT_EQ(json::parse(line)["note"], "bad \xef\xbf\xbd byte");  // U+FFFD REPLACEMENT CHARACTER
}

}  // namespace
}  // namespace rlab::test
