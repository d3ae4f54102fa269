// The JSON Lines study file (see storage_jsonl.h and docs/bayesopt.md).
#include "storage_jsonl.h"

#include "rlab/error.h"
#include "rlab/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

namespace rlab::bayesopt {

void read_study_line(Study& st, const json& j, int line_no, const std::string& where,
                     const Space* space);

Study read_study(const std::string& path, const Space* space) {
  Study st;
  const std::string text = read_file(path);
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const bool complete = nl != std::string::npos;
    const std::string line = text.substr(pos, complete ? nl - pos : std::string::npos);
    pos = complete ? nl + 1 : text.size();
    ++line_no;
    const std::string where = path + ":" + std::to_string(line_no) + ":1";
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (!complete) {  // a line cut short by a kill: ignored, overwritten on the next append
        st.truncated = true;
        break;
      }
      throw InputError(where + ": not a JSON object");
    }
    try {
      read_study_line(st, j, line_no, where, space);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(where + ": malformed study line: " + e.what());
    }
  }
  if (st.meta.is_null()) throw InputError(path + ":1:1: a study file starts with a 'meta' line");
  return st;
}

void read_study_line(Study& st, const json& j, int line_no, const std::string& where,
                     const Space* space) {
  {
    if (j.contains("meta")) {
      if (line_no != 1) throw InputError(where + ": 'meta' must be the first line");
      if (!j["meta"].is_object()) throw InputError(where + ": 'meta' must be an object");
      st.meta = j["meta"];
      if (space != nullptr) {
        const std::string diff = space_difference(*space, st.meta.value("space", json()));
        if (!diff.empty()) {
          throw InputError(where + ": the study was made with a different space: " + diff);
        }
      }
      return;
    }
    if (line_no == 1) throw InputError(where + ": a study file starts with a 'meta' line");
    if (space == nullptr) throw InputError(where + ": the study file has no space");
    if (j.contains("ask") && !j.contains("trial")) {
      if (!j["ask"].is_number_integer()) throw InputError(where + ": 'ask' must be an integer");
      const long long id = j["ask"].get<long long>();
      st.asks[id] = j.value("params", json::object());
      st.next_ask = std::max(st.next_ask, id + 1);
      return;
    }
    if (!j.contains("trial")) return;
    Trial t;
    t.trial = j["trial"].is_number_integer() ? j["trial"].get<long long>() : -1;
    if (t.trial != static_cast<long long>(st.trials.size())) {
      throw InputError(where + ": trial " + j["trial"].dump() + " out of order (expected " +
                       std::to_string(st.trials.size()) + ")");
    }
    t.params = j.value("params", json::object());
    t.x = point_from_json(*space, t.params, where);
    t.status = j.value("status", std::string("ok"));
    if (j.contains("value") && j["value"].is_number()) t.value = j["value"].get<double>();
    if (t.status == "ok" && !t.value) throw InputError(where + ": trial without a numeric 'value'");
    t.acq = j.value("acq", std::string());
    t.elapsed_s = j.value("elapsed_s", 0.0);
    t.objective_s = j.value("objective_s", 0.0);
    t.suggest_s = j.value("suggest_s", 0.0);
    t.error = j.value("error", std::string());
    t.tail = j.value("output_tail", std::string());
    t.run = j.value("run", std::string());
    if (j.contains("ask")) {
      t.ask = j["ask"].get<long long>();
      st.asks.erase(*t.ask);
    }
    if (j.contains("hedge") && j["hedge"].is_object()) {
      t.hedge_gains = j["hedge"].value("gains", std::vector<double>());
      t.hedge_candidates = j["hedge"].value("candidates", std::vector<std::vector<double>>());
    }
    st.trials.push_back(std::move(t));
  }
}

json trial_json(const Trial& t) {
  json j;
  j["trial"] = t.trial;
  j["params"] = t.params;
  j["value"] = t.value ? json(*t.value) : json(nullptr);
  j["status"] = t.status;
  j["elapsed_s"] = t.elapsed_s;
  j["objective_s"] = t.objective_s;
  j["suggest_s"] = t.suggest_s;
  if (!t.acq.empty()) j["acq"] = t.acq;
  if (t.ask) j["ask"] = *t.ask;
  if (!t.error.empty()) j["error"] = t.error;
  if (!t.tail.empty()) j["output_tail"] = t.tail;
  if (!t.run.empty()) j["run"] = t.run;
  if (!t.hedge_gains.empty())
    j["hedge"] = {{"gains", t.hedge_gains}, {"candidates", t.hedge_candidates}};
  if (!t.worker.empty()) j["worker"] = t.worker;
  if (t.lost) j["lost"] = true;
  if (t.retry_of) j["retry_of"] = *t.retry_of;
  return j;
}

void StudyWriter::open(const std::string& path, bool truncate_partial) {
  path_ = path;
  if (truncate_partial) {
    const std::string text = read_file(path);
    const std::size_t nl = text.rfind('\n');
    std::filesystem::resize_file(path, nl == std::string::npos ? 0 : nl + 1);
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  f_ = std::fopen(path.c_str(), "a");
  if (f_ == nullptr) throw_file_error(path + ": cannot write the study file", errno);
}

StudyWriter::~StudyWriter() {
  if (f_ != nullptr) std::fclose(f_);
}

void StudyWriter::write(const json& j) {
  if (f_ == nullptr) return;
  const std::string line = j.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0) {
    throw EnvironmentError(path_ + ": cannot append to the study file: " + std::strerror(errno));
  }
  fsync(fileno(f_));
  // Appends to a file that was deleted (its folder removed mid-run) succeed and are lost.
  struct stat st {};
  if (fstat(fileno(f_), &st) == 0 && st.st_nlink == 0) {
    throw EnvironmentError(path_ + ": the study file was removed during the run");
  }
}

// An existing, non-empty file (an empty one, e.g. from a kill before the meta line was
// written, starts a new study).
bool file_exists(const std::string& p) {
  std::error_code ec;
  // file_size fails (and returns -1) for a device or a folder: not a study to resume.
  if (!std::filesystem::exists(p, ec)) return false;
  const auto size = std::filesystem::file_size(p, ec);
  return !ec && size > 0;
}

json read_meta_line(const std::string& path) {
  const std::string text = read_file(path);
  const json j = json::parse(text.substr(0, text.find('\n')), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("meta") || !j["meta"].is_object()) {
    throw InputError(path + ":1:1: a study file starts with a 'meta' line");
  }
  return j["meta"];
}

StudyFileLock::StudyFileLock(const std::string& path, double wait_s) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw_file_error(path + ": cannot open the study file", errno);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  int rc = 0;
  for (;;) {
    rc = flock(fd_, LOCK_EX | LOCK_NB);
    if (rc == 0 || (errno != EWOULDBLOCK && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      EnvironmentError e(path + ": the study file is in use by another rlab process");
      e.add_note(
          "a JSON Lines study is for one process at a time; for several workers use "
          "--storage sqlite:///FILE.db or --storage postgresql://...");
      throw e;
    }
    throw EnvironmentError(path + ": cannot lock the study file: " + std::strerror(err));
  }
}

StudyFileLock::~StudyFileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace rlab::bayesopt
