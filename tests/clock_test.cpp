// The common calendar and the command clock: calendar arithmetic against the C library's
// gmtime/timegm, RLAB_NOW / RLAB_TODAY, and commands run in-process with a fixed clock.
#include "rlab/clock.h"

#include "rlab/command.h"
#include "rlab/commands.h"
#include "rlab/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "support/run.h"

namespace rlab {
namespace {

// Restores an environment variable when the test ends.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~EnvVar() {
    if (old_.empty()) {
      ::unsetenv(name_);
    } else {
      ::setenv(name_, old_.c_str(), 1);
    }
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  const char* name_;
  std::string old_;
};

TEST(Calendar, AgreesWithTheCLibraryOverFourCenturies) {
  // Every 7th day from 1800 to 2400, and the days around each 1 March (leap days).
  for (long long day = -62000; day < 157000; day += 7) {
    const std::time_t t = static_cast<std::time_t>(day) * 86400 + 3723;
    std::tm tm{};
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    const Civil c = civil_at(t, 0);
    ASSERT_EQ(c.year, tm.tm_year + 1900) << day;
    ASSERT_EQ(c.month, tm.tm_mon + 1) << day;
    ASSERT_EQ(c.day, tm.tm_mday) << day;
    ASSERT_EQ(c.hour * 3600 + c.minute * 60 + c.second, 3723);
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), day);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ASSERT_EQ(format_utc(t), buf);
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    ASSERT_EQ(parse_date(buf).value_or(-1), day) << buf;
  }
}

TEST(Calendar, DatesThatDoNotExistAreRefused) {
  EXPECT_TRUE(parse_date("2024-02-29"));
  EXPECT_TRUE(parse_date("2000-02-29"));
  for (const char* bad : {"2025-02-29", "1900-02-29", "2025-04-31", "2025-13-01", "2025-00-10",
                          "2025-1-01", "2025/01/01", "", "20250101", "2025-01-01x"}) {
    EXPECT_FALSE(parse_date(bad)) << bad;
  }
  long long t = 0;
  int off = 0;
  ASSERT_TRUE(parse_iso("2025-03-03T09:00:00+08:00", &t, &off));
  EXPECT_EQ(format_utc(t), "2025-03-03T01:00:00Z");
  EXPECT_EQ(format_iso(t, off), "2025-03-03T09:00:00+08:00");
  EXPECT_FALSE(parse_iso("2025-02-29T09:00:00Z", &t, &off));
}

TEST(Clock, FixedFromTheEnvironment) {
  {
    const EnvVar now("RLAB_NOW", "2025-03-03T09:00:00+08:00");
    const EnvVar today("RLAB_TODAY", "2020-01-01");  // RLAB_NOW wins
    const Clock c = Clock::from_environment();
    EXPECT_TRUE(c.is_fixed());
    EXPECT_EQ(c.utc_timestamp(), "2025-03-03T01:00:00Z");
    EXPECT_EQ(c.utc_date(), "2025-03-03");
  }
  {
    const EnvVar now("RLAB_NOW", nullptr);
    const EnvVar today("RLAB_TODAY", "2024-02-29");
    const Clock c = Clock::from_environment();
    EXPECT_EQ(c.utc_timestamp(), "2024-02-29T00:00:00Z");
  }
  {
    const EnvVar now("RLAB_NOW", nullptr);
    const EnvVar today("RLAB_TODAY", nullptr);
    const Clock c = Clock::from_environment();
    EXPECT_FALSE(c.is_fixed());
    const long long sys = static_cast<long long>(std::time(nullptr));
    EXPECT_LE(std::llabs(c.now() - sys), 5);
  }
}

TEST(Clock, AMalformedValueIsAnErrorOnlyWhenTheTimeIsAskedFor) {
  const EnvVar now("RLAB_NOW", "yesterday");
  const Clock c = Clock::from_environment();  // does not throw
  EXPECT_THROW((void)c.now(), UsageError);
  try {
    (void)c.utc_date();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("RLAB_NOW='yesterday' is not a timestamp"),
              std::string::npos);
  }
  // A command that never reads the clock runs as before.
  std::ostringstream out;
  std::ostringstream err;
  const int code =
      run_app({"rlab", "prioritize", test::source_path("configs/examples/prioritize.yaml")},
              command_table(), out, err);
  EXPECT_EQ(code, 0) << err.str();
  // One that does is a usage error (exit 2), named.
  const EnvVar today("RLAB_TODAY", "2025-02-30");
  const EnvVar none("RLAB_NOW", nullptr);
  std::ostringstream out2;
  std::ostringstream err2;
  EXPECT_EQ(run_app({"rlab", "cost", "plan", test::source_path("tests/data/cost/ok.yaml")},
                    command_table(), out2, err2),
            2);
  EXPECT_NE(err2.str().find("RLAB_TODAY must be a date YYYY-MM-DD, got '2025-02-30'"),
            std::string::npos)
      << err2.str();
}

struct Ran {
  int code;
  std::string out;
  std::string err;
};

Ran run_at(const std::string& iso, std::vector<std::string> args) {
  long long t = 0;
  int off = 0;
  EXPECT_TRUE(parse_iso(iso, &t, &off)) << iso;
  args.insert(args.begin(), "rlab");
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_app(args, command_table(), out, err, Clock::fixed(t));
  return {code, out.str(), err.str()};
}

TEST(Clock, CommandsReadTheClockOfTheirContext) {
  // cost: the catalogue-age warning counts days to the context's today.
  const std::string plan = test::source_path("tests/data/cost/ok.yaml");
  const Ran stale = run_at("2026-01-01T12:00:00Z", {"cost", "plan", plan});
  ASSERT_EQ(stale.code, 0) << stale.err;
  EXPECT_NE(stale.err.find("are 185 days old (as of 2025-06-30, today 2026-01-01"),
            std::string::npos)
      << stale.err;
  const Ran fresh = run_at("2025-09-01T00:00:00Z", {"cost", "plan", plan});
  EXPECT_EQ(fresh.err, "");

  // trl: a recorded assessment carries the context's time.
  const test::TempDir dir;
  const std::string answers =
      dir.write("a.yaml", "technology: t\ndate: 2025-02-01\nanswers:\n  1.definition: yes\n");
  const std::string hist = dir.path() + "/history.jsonl";
  const Ran rec = run_at("2031-07-04T23:59:59-02:00",
                         {"trl", "assess", answers, "--record", "--history", hist});
  ASSERT_LE(rec.code, 1) << rec.err;
  std::ifstream in(hist);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line)["recorded_at"], "2031-07-05T01:59:59Z");
}

}  // namespace
}  // namespace rlab
