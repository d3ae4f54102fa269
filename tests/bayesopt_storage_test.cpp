// rlab bayesopt study storages: URL parsing, faults that need no database server (malformed
// URLs, an unreachable PostgreSQL, a study file another process holds), a study file through
// the storage interface. The workers against real
// SQLite and PostgreSQL servers are tests/bayesopt_storage_test.py.
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/study_storage.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/run.h"

namespace rlab::bayesopt {
namespace {

using test::run_inprocess;
using test::run_rlab;
using test::RunResult;
using test::TempDir;

TEST(BayesoptStorageUrl, FormsAndPasswordHidden) {
  const StorageUrl j = parse_storage_url("runs/s.jsonl");
  EXPECT_EQ(j.kind, StorageUrl::Kind::kJsonl);
  EXPECT_EQ(j.path, "runs/s.jsonl");
  const StorageUrl rel = parse_storage_url("sqlite:///runs/s.db");
  EXPECT_EQ(rel.kind, StorageUrl::Kind::kSqlite);
  EXPECT_EQ(rel.path, "runs/s.db");
  EXPECT_EQ(parse_storage_url("sqlite:////tmp/s.db").path, "/tmp/s.db");
  const StorageUrl pg = parse_storage_url("postgresql://bo:p%40ss@db.lab:5433/studies");
  EXPECT_EQ(pg.kind, StorageUrl::Kind::kPostgres);
  EXPECT_EQ(pg.shown, "postgresql://bo:***@db.lab:5433/studies");
  EXPECT_EQ(pg.password, "p@ss");
  EXPECT_EQ(pg.conninfo, "postgresql://bo:p%40ss@db.lab:5433/studies?connect_timeout=10");
  const StorageUrl q =
      parse_storage_url("postgres://bo@[::1]:5432/s?sslmode=disable&password=xy&connect_timeout=3");
  EXPECT_EQ(q.shown, "postgres://bo@[::1]:5432/s?sslmode=disable&password=***&connect_timeout=3");
  EXPECT_EQ(q.password, "xy");
  EXPECT_EQ(q.conninfo, "postgres://bo@[::1]:5432/s?sslmode=disable&password=xy&connect_timeout=3");
  EXPECT_THROW(parse_storage_url("sqlite://s.db"), UsageError);
  EXPECT_THROW(parse_storage_url("mysql://u:p@h/db"), UsageError);
  EXPECT_THROW(parse_storage_url("postgresql://u:p@h:99999/db"), UsageError);
}

TEST(BayesoptStorage, MalformedUrlsExitTwo) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sqlite://study.db",
       "--storage 'sqlite://study.db': a SQLite storage is sqlite:///RELATIVE/PATH or "
       "sqlite:////ABSOLUTE/PATH"},
      {"mysql://bo:hunter2@db/s",
       "--storage: unsupported storage scheme 'mysql://' (use a JSON Lines FILE, "
       "sqlite:///RELATIVE/PATH, sqlite:////ABSOLUTE/PATH or "
       "postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"},
      {"postgresql://bo:hunter2@db:port/s",
       "--storage 'postgresql://bo:***@db:port...': the port must be a number from 1 to 65535"},
  };
  for (const auto& [url, msg] : cases) {
    const RunResult r = run_inprocess({"bayesopt", "--builtin", "branin", "--storage", url});
    EXPECT_EQ(r.code, 2) << url;
    EXPECT_EQ(r.err, "rlab: error: " + msg + "\n") << url;
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos);
  }
  const RunResult both = run_inprocess(
      {"bayesopt", "--builtin", "branin", "--study", "a.jsonl", "--storage", "b.jsonl"});
  EXPECT_EQ(both.code, 2);
  EXPECT_EQ(both.err, "rlab: error: give either --study or --storage, not both\n");
  const RunResult beat =
      run_inprocess({"bayesopt", "--builtin", "branin", "--storage", "sqlite:///x.db",
                     "--heartbeat-interval", "5", "--heartbeat-timeout", "5"});
  EXPECT_EQ(beat.code, 2);
  EXPECT_EQ(beat.err,
            "rlab: error: --heartbeat-timeout (5 s) must be longer than --heartbeat-interval (5 "
            "s)\n");
}

// A loopback port with nothing listening (bound, never listened on, while the run tries it).
TEST(BayesoptStorage, UnreachablePostgresExitsFourWithoutThePassword) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string port = std::to_string(ntohs(a.sin_port));
  const RunResult r = run_inprocess({"bayesopt", "--builtin", "branin", "--storage",
                                     "postgresql://bo:Sup3rSecret@127.0.0.1:" + port + "/studies"});
  close(s);
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err, "rlab: error: postgresql://bo:***@127.0.0.1:" + port +
                       "/studies: cannot connect: connection to server at \"127.0.0.1\", port " +
                       port +
                       " failed: Connection refused Is the server running on that host and "
                       "accepting TCP/IP connections?\n");
  EXPECT_EQ((r.out + r.err).find("Sup3rSecret"), std::string::npos);
}

TEST(BayesoptStorage, StudyFileHeldByAnotherProcessIsRefused) {
  TempDir d;
  const std::string s = d.path() + "/s.jsonl";
  ASSERT_EQ(run_rlab({"bayesopt", "--builtin", "branin", "--n-calls", "3", "--n-initial-points",
                      "3", "--study", s})
                .code,
            0);
  const int fd = open(s.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);  // as a running rlab holds it
  const RunResult r = run_rlab({"bayesopt", "--builtin", "branin", "--n-calls", "5",
                                "--n-initial-points", "3", "--study", s});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err, "rlab: error: " + s +
                       ": the study file is in use by another rlab process\n"
                       "rlab: note: a JSON Lines study is for one process at a time; for several "
                       "workers use --storage sqlite:///FILE.db or --storage postgresql://...\n");
  const RunResult ask =
      run_rlab({"bayesopt", "ask", "--study", s, "--busy-timeout", "0.2", "--format", "json"});
  EXPECT_EQ(ask.code, 4);
  close(fd);  // released: the run resumes the study
  const RunResult again = run_rlab({"bayesopt", "--builtin", "branin", "--n-calls", "5",
                                    "--n-initial-points", "3", "--study", s, "--format", "json"});
  EXPECT_EQ(again.code, 0) << again.err;
}

// A study file behind the interface the shared storages implement: asks are numbered apart from
// the trials and pending for the next ask only; a search's trials are numbered from the finished
// ones and written when they finish; a told ask becomes the next trial.
TEST(BayesoptStorage, StudyFileThroughTheStorageInterface) {
  TempDir d;
  const std::string s = d.path() + "/s.jsonl";
  const nlohmann::json meta = {
      {"space",
       {{{"name", "x"}, {"type", "real"}, {"low", 0.0}, {"high", 1.0}, {"prior", "uniform"}}}},
      {"random_state", 0}};
  std::size_t seen = 0;  // trials the last proposal was given
  const Proposer propose = [&seen](const std::vector<TrialRecord>& trials, int n) {
    seen = trials.size();
    std::vector<NewPoint> out;
    for (int i = 0; i < n; ++i) {
      NewPoint p;
      p.params = {{"x", 0.125 * static_cast<double>(out.size() + 1)}};
      p.acq = "initial";
      out.push_back(p);
    }
    return out;
  };
  std::unique_ptr<StudyStorage> st = open_study(parse_storage_url(s), 0);
  EXPECT_FALSE(st->shared());
  EXPECT_FALSE(st->meta().has_value());
  EXPECT_EQ(st->open(meta), meta);
  const Reservation asks = st->reserve(2, 1000, "w", 60, false, propose);
  ASSERT_EQ(asks.trials.size(), 2U);
  EXPECT_EQ(asks.trials[1].id, 1);
  EXPECT_EQ(asks.trials[1].ask, 1);
  EXPECT_EQ(asks.trials[1].state, "running");
  const Reservation run = st->reserve(3, 1, "w", 60, true, propose);
  EXPECT_EQ(seen, 0U);  // the open asks are not the search's
  ASSERT_EQ(run.trials.size(), 1U);
  EXPECT_EQ(run.trials[0].id, 0);
  EXPECT_FALSE(run.trials[0].ask.has_value());
  TrialRecord done = run.trials[0];
  done.state = "ok";
  done.value = 2.0;
  EXPECT_TRUE(st->finish(done, "w"));
  TrialRecord told = asks.trials[1];
  told.state = "failed";
  told.error = "reported failed";
  EXPECT_TRUE(st->finish(told, ""));
  EXPECT_EQ(told.id, 1);  // the study's second trial, answering ask 1
  EXPECT_EQ(told.ask, 1);
  EXPECT_EQ(told.params, asks.trials[1].params);
  TrialRecord again = asks.trials[1];
  again.state = "ok";
  again.value = 1.0;
  EXPECT_FALSE(st->finish(again, ""));
  EXPECT_EQ(st->reserve(1, 1000, "w", 60, false, propose).trials.at(0).id, 2);
  EXPECT_EQ(seen, 3U);  // two trials, ask 0 still open
  st.reset();           // unlocked

  const std::unique_ptr<StudyStorage> back = open_study(parse_storage_url(s), 0);
  const std::vector<TrialRecord> trials = back->trials();
  ASSERT_EQ(trials.size(), 4U);  // trials 0 and 1, open asks 0 and 2
  EXPECT_EQ(trials[0].value, 2.0);
  EXPECT_EQ(trials[1].state, "failed");
  EXPECT_EQ(trials[1].ask, 1);
  EXPECT_EQ(trials[2].state, "running");
  EXPECT_EQ(trials[2].ask, 0);
  EXPECT_EQ(trials[3].ask, 2);
  EXPECT_EQ(back->meta().value_or(nullptr), meta);
  const std::string text = read_file(s);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6);  // meta, 3 asks, 2 trials
}

}  // namespace
}  // namespace rlab::bayesopt
