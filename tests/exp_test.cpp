// rlab exp: run folders read back (list_names, read_record) and `rlab exp list/show` over
// records written here, without training.
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/prototype.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/run.h"

namespace rlab::test {
namespace {

using nlohmann::json;

json record(const std::string& id, const std::string& status, double accuracy) {
  return {{"id", id},
          {"created", "2026-12-07T10:00:00Z"},
          {"status", status},
          {"hypothesis", "it learns"},
          {"config", {{"model", {{"type", "classifier"}}}}},
          {"data", {{"dataset", "synthetic"}}},
          {"expectation", {{"text", "accuracy>=0.5"}, {"met", accuracy >= 0.5}}},
          {"results", {{"metrics", {{"test_accuracy", accuracy}, {"train_loss", 0.25}}}}}};
}

void write_run(const TempDir& dir, const json& rec) {
  const std::string run = dir.path() + "/" + rec["id"].get<std::string>();
  make_dirs(run);
  write_file_atomic(run + "/record.yaml", prototype::to_yaml(rec));
}

TEST(ExpRecords, ReadRecordIsWhatWasWritten) {
  TempDir dir;
  const json rec = record("EXP-20261207-001", "completed", 0.75);
  write_run(dir, rec);
  EXPECT_EQ(prototype::read_record(dir.path() + "/EXP-20261207-001"), rec);
  EXPECT_THROW(prototype::read_record(dir.path()), InputError);
}

TEST(ExpRecords, NamesAreSorted) {
  TempDir dir;
  write_run(dir, record("EXP-20261207-002", "completed", 0.25));
  write_run(dir, record("EXP-20261207-001", "completed", 0.75));
  EXPECT_EQ(prototype::list_names(dir.path()),
            (std::vector<std::string>{"EXP-20261207-001", "EXP-20261207-002"}));
  EXPECT_TRUE(prototype::list_names(dir.path() + "/none").empty());
  EXPECT_EQ(prototype::format_metric(0.123456789), "0.12346");
}

TEST(Exp, ListAndShowRecordsWrittenByHand) {
  TempDir dir;
  write_run(dir, record("EXP-20261207-001", "completed", 0.75));
  write_run(dir, record("EXP-20261207-002", "failed", 0.25));
  const RunResult l = run_inprocess({"exp", "list", "--runs", dir.path(), "--format", "csv"});
  ASSERT_EQ(l.code, 0) << l.err;
  EXPECT_EQ(l.out,
            "id,created,status,model,data,result,expected,hypothesis\n"
            "EXP-20261207-001,2026-12-07T10:00:00Z,completed,classifier,synthetic,"
            "test_accuracy 0.75,accuracy>=0.5 (met),it learns\n"
            "EXP-20261207-002,2026-12-07T10:00:00Z,failed,classifier,synthetic,"
            "test_accuracy 0.25,accuracy>=0.5 (not met),it learns\n");
  const RunResult s =
      run_inprocess({"exp", "show", "002", "--runs", dir.path(), "--format", "json"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(json::parse(s.out), record("EXP-20261207-002", "failed", 0.25));
  const RunResult missing = run_rlab({"exp", "list", "--runs", dir.path() + "/none"});
  EXPECT_EQ(missing.code, 3);
  EXPECT_EQ(missing.err, "rlab: error: --runs " + dir.path() +
                             "/none: no such folder\nrlab: note: rlab prototype records each run "
                             "in <folder>/<id>/record.yaml (--out, default runs)\n");
}

}  // namespace
}  // namespace rlab::test
