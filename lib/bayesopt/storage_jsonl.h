// The JSON Lines study file: {"meta": ...}, then trial lines and, for ask/tell, ask lines. One
// process at a time: every process that reads and writes a study file holds an exclusive flock
// on it (see StudyFileLock).
#pragma once

#include "rlab/bayesopt.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rlab::bayesopt {

using nlohmann::json;

struct Trial {
  long long trial = 0;
  json params;
  Point x;
  std::optional<double> value;  // as the objective returned it
  std::string status = "ok";
  std::string acq;
  double elapsed_s = 0;
  double objective_s = 0;
  double suggest_s = 0;
  std::string error;
  std::string tail;
  std::string run;  // prototype objective: the trial's run folder
  std::optional<long long> ask;
  std::vector<double> hedge_gains;
  std::vector<std::vector<double>> hedge_candidates;
  // Shared storages only (never written to a JSON Lines study).
  bool lost = false;                  // failed because its worker stopped heartbeating
  std::optional<long long> retry_of;  // evaluates the point of this lost trial again
  std::string worker;                 // worker that ran it
};

struct Study {
  json meta;
  std::vector<Trial> trials;
  std::map<long long, json> asks;  // open asks: id -> params
  long long next_ask = 0;
  bool truncated = false;  // last line was cut (killed while writing)
};

/// Reads a study file; `space` (if given) must equal the meta's space. A last line cut short is
/// ignored (Study::truncated). InputError "file:line:1: ..." for anything malformed.
Study read_study(const std::string& path, const Space* space);

/// The JSON line of a finished trial.
json trial_json(const Trial& t);

/// An existing, non-empty file (an empty one, e.g. from a kill before the meta line was
/// written, starts a new study).
bool file_exists(const std::string& p);

/// The meta object of a study file's first line (InputError when there is none).
json read_meta_line(const std::string& path);

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
