// The JSON Lines study file: {"meta": ...}, then trial lines and, for ask/tell, ask lines. One
// process at a time: every process that reads and writes a study file holds an exclusive flock
// on it (see StudyFileLock). open_jsonl_study() puts it behind the StudyStorage interface.
#pragma once

#include "rlab/bayesopt.h"
#include "rlab/study_storage.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rlab::bayesopt {

using nlohmann::json;

struct Study {
  json meta;
  std::vector<TrialRecord> trials;        // state "ok" or "failed" (as the line's "status")
  std::map<long long, TrialRecord> asks;  // open asks: id -> the ask (state "running")
  long long next_ask = 0;
  bool truncated = false;  // last line was cut (killed while writing)
};

/// Reads a study file; `space` must equal the meta's space. A last line cut short is ignored
/// (Study::truncated). InputError "file:line:1: ..." for anything malformed.
Study read_study(const std::string& path, const Space& space);

/// The JSON line of a finished trial.
json trial_json(const TrialRecord& t);

/// The space recorded in a study's meta (InputError at `where` when malformed).
Space study_space(const json& meta, const std::string& where);

/// An existing, non-empty file (an empty one, e.g. from a kill before the meta line was
/// written, starts a new study).
bool file_exists(const std::string& p);

/// The meta object of a study file's first line (InputError when there is none).
json read_meta_line(const std::string& path);

/// A study file as a storage, locked (waiting up to `lock_wait_s`) for the object's lifetime.
/// Trials are numbered in the order they finish; open asks are numbered apart and count as
/// pending for the next ask only (a search leaves them to `tell`). An empty `path` keeps the
/// study in memory (a search without --study).
std::unique_ptr<StudyStorage> open_jsonl_study(const std::string& path, double lock_wait_s);

// Appends JSON lines, one flushed write per line. A file whose last line was cut short is first
// truncated to its last complete line.
class StudyWriter {
 public:
  StudyWriter() = default;
  void open(const std::string& path, bool truncate_partial);
  ~StudyWriter();
  StudyWriter(const StudyWriter&) = delete;
  StudyWriter& operator=(const StudyWriter&) = delete;
  void write(const json& j);

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

/// Exclusive lock (flock) on a study file for the lifetime of the object; creates the file
/// (empty) when absent. EnvironmentError when another process still holds it after `wait_s`
/// seconds (0: at once).
class StudyFileLock {
 public:
  StudyFileLock(const std::string& path, double wait_s);
  ~StudyFileLock();
  StudyFileLock(const StudyFileLock&) = delete;
  StudyFileLock& operator=(const StudyFileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace rlab::bayesopt
