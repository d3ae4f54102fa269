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
#include <optional>
#include <thread>

namespace rlab::bayesopt {

namespace {

// The gp_hedge state of a line ({"gains", "candidates"}), or null when it has no gains.
json hedge_of(const json& j) {
  if (!j.contains("hedge") || !j["hedge"].is_object()) return nullptr;
  const auto gains = j["hedge"].value("gains", std::vector<double>());
  if (gains.empty()) return nullptr;
  return {{"gains", gains},
          {"candidates", j["hedge"].value("candidates", std::vector<std::vector<double>>())}};
}

void read_study_line(Study& st, const json& j, int line_no, const std::string& where,
                     const Space& space);

}  // namespace

Study read_study(const std::string& path, const Space& space) {
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

namespace {

void read_study_line(Study& st, const json& j, int line_no, const std::string& where,
                     const Space& space) {
  if (j.contains("meta")) {
    if (line_no != 1) throw InputError(where + ": 'meta' must be the first line");
    if (!j["meta"].is_object()) throw InputError(where + ": 'meta' must be an object");
    st.meta = j["meta"];
    const std::string diff = space_difference(space, st.meta.value("space", json()));
    if (!diff.empty()) {
      throw InputError(where + ": the study was made with a different space: " + diff);
    }
    return;
  }
  if (line_no == 1) throw InputError(where + ": a study file starts with a 'meta' line");
  if (j.contains("ask") && !j.contains("trial")) {
    if (!j["ask"].is_number_integer()) throw InputError(where + ": 'ask' must be an integer");
    TrialRecord a;
    a.id = j["ask"].get<long long>();
    a.ask = a.id;
    a.state = "running";
    a.params = j.value("params", json::object());
    a.acq = j.value("acq", std::string());
    a.suggest_s = j.value("suggest_s", 0.0);
    a.hedge = hedge_of(j);
    st.asks[a.id] = a;
    st.next_ask = std::max(st.next_ask, a.id + 1);
    return;
  }
  if (!j.contains("trial")) return;
  TrialRecord t;
  t.id = j["trial"].is_number_integer() ? j["trial"].get<long long>() : -1;
  if (t.id != static_cast<long long>(st.trials.size())) {
    throw InputError(where + ": trial " + j["trial"].dump() + " out of order (expected " +
                     std::to_string(st.trials.size()) + ")");
  }
  t.params = j.value("params", json::object());
  (void)point_from_json(space, t.params, where);
  t.state = j.value("status", std::string("ok"));
  if (j.contains("value") && j["value"].is_number()) t.value = j["value"].get<double>();
  if (t.state == "ok" && !t.value) throw InputError(where + ": trial without a numeric 'value'");
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
  t.hedge = hedge_of(j);
  st.trials.push_back(std::move(t));
}

}  // namespace

json trial_json(const TrialRecord& t) {
  json j;
  j["trial"] = t.id;
  j["params"] = t.params;
  j["value"] = t.value ? json(*t.value) : json(nullptr);
  j["status"] = t.state;
  j["elapsed_s"] = t.elapsed_s;
  j["objective_s"] = t.objective_s;
  j["suggest_s"] = t.suggest_s;
  if (!t.acq.empty()) j["acq"] = t.acq;
  if (t.ask) j["ask"] = *t.ask;
  if (!t.error.empty()) j["error"] = t.error;
  if (!t.tail.empty()) j["output_tail"] = t.tail;
  if (!t.run.empty()) j["run"] = t.run;
  if (t.hedge.is_object() && !t.hedge.value("gains", json::array()).empty()) j["hedge"] = t.hedge;
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

namespace {

Space study_space_unchecked(const json& meta, const std::string& where) {
  Space sp;
  sp.where = where;
  const json list = meta.value("space", json::array());
  if (!list.is_array()) throw InputError(where + ": the study's 'space' is not a list");
  for (const json& d : list) {
    if (!d.is_object()) throw InputError(where + ": the study's space holds a non-object");
    Dimension dim;
    dim.name = d.value("name", std::string());
    const std::string type = d.value("type", std::string("real"));
    dim.kind = type == "categorical" ? Dimension::Kind::kCategorical
               : type == "integer"   ? Dimension::Kind::kInteger
                                     : Dimension::Kind::kReal;
    dim.low = d.value("low", 0.0);
    dim.high = d.value("high", 1.0);
    dim.log = d.value("prior", std::string()) == "log-uniform";
    dim.categories = d.value("categories", std::vector<std::string>());
    dim.where = where;
    sp.dims.push_back(dim);
  }
  validate_space(sp);
  return sp;
}

class JsonlStudy final : public StudyStorage {
 public:
  JsonlStudy(const std::string& path, double lock_wait_s) : path_(path) {
    if (!path_.empty()) lock_.emplace(path_, lock_wait_s);
  }

  [[nodiscard]] const std::string& name() const override { return path_; }
  [[nodiscard]] bool shared() const override { return false; }
  [[nodiscard]] bool truncated() const override { return study_.truncated; }

  // An existing study is read against the space of `meta` (InputError at file:1:1 for another
  // space); a new one gets its meta line.
  json open(const json& meta) override {
    t0_ = std::chrono::steady_clock::now();
    if (file_exists(path_)) {
      load(study_space(meta, path_ + ":1:1"));
      return study_.meta;
    }
    study_ = Study{};
    study_.meta = meta;
    loaded_ = true;
    append({{"meta", meta}});
    return meta;
  }

  std::optional<json> meta() override {
    if (loaded_) return study_.meta;
    if (!file_exists(path_)) return std::nullopt;
    return read_meta_line(path_);
  }

  // The finished trials, then the open asks (running; their gp_hedge state reaches a trial
  // only when the ask is told).
  std::vector<TrialRecord> trials() override {
    load_stored();
    std::vector<TrialRecord> out = study_.trials;
    for (const auto& kv : study_.asks) {
      out.push_back(kv.second);
      out.back().hedge = nullptr;
    }
    return out;
  }

  // heartbeat true (a search): up to n_calls trials, proposed from the finished ones and
  // recorded when they finish. heartbeat false (`ask`): ask lines, open asks pending.
  Reservation reserve(int n, long long n_calls, const std::string& /*worker*/,
                      double /*heartbeat_timeout_s*/, bool heartbeat,
                      const Proposer& propose) override {
    load_stored();
    open_writer();
    Reservation res;
    res.finished = static_cast<long long>(study_.trials.size());
    if (heartbeat) {
      const long long take = std::min<long long>(n, n_calls - res.finished);
      if (take <= 0) return res;
      for (const NewPoint& p : propose(study_.trials, static_cast<int>(take)))
        res.trials.push_back(reserved(p, res.finished + static_cast<long long>(res.trials.size())));
      res.running = static_cast<long long>(res.trials.size());
      return res;
    }
    for (const NewPoint& p : propose(trials(), n)) {
      TrialRecord a = reserved(p, study_.next_ask++);
      a.ask = a.id;
      json line = {{"ask", a.id}, {"params", a.params}, {"acq", a.acq}, {"suggest_s", a.suggest_s}};
      if (a.hedge.is_object()) line["hedge"] = a.hedge;
      append(line);
      study_.asks[a.id] = a;
      res.trials.push_back(a);
    }
    res.running = static_cast<long long>(study_.asks.size());
    return res;
  }

  // A search's trial is appended as it is; a told ask becomes the next trial, with the
  // proposal's acquisition, timing and gp_hedge state (so that a later ask restores it).
  bool finish(TrialRecord& t, const std::string& /*worker*/) override {
    load_stored();
    open_writer();
    if (t.ask) {
      const auto it = study_.asks.find(*t.ask);
      if (it == study_.asks.end()) return false;
      TrialRecord r = it->second;
      r.id = static_cast<long long>(study_.trials.size());
      r.state = t.state;
      r.value = t.value;
      r.error = t.error;
      r.tail = t.tail;
      r.objective_s = t.objective_s;
      r.elapsed_s = study_.trials.empty() ? 0 : study_.trials.back().elapsed_s;
      study_.asks.erase(it);
      t = r;
    } else {
      t.elapsed_s = elapsed_base_ +
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    }
    append(trial_json(t));
    study_.trials.push_back(t);
    return true;
  }

  void release(const std::vector<TrialRecord>& /*trials*/, const std::string& /*why*/,
               const std::string& /*worker*/) override {}
  void heartbeat(const std::vector<long long>& /*ids*/, const std::string& /*worker*/) override {}

 private:
  static TrialRecord reserved(const NewPoint& p, long long id) {
    TrialRecord t;
    t.id = id;
    t.state = "running";
    t.params = p.params;
    t.acq = p.acq;
    t.hedge = p.hedge;
    t.suggest_s = p.suggest_s;
    return t;
  }

  void load(const Space& space) {
    study_ = read_study(path_, space);
    loaded_ = true;
    if (!study_.trials.empty()) elapsed_base_ = study_.trials.back().elapsed_s;
  }

  // A study opened without open(): read against the space its meta line records.
  void load_stored() {
    if (loaded_) return;
    if (!file_exists(path_)) {
      loaded_ = true;
      return;
    }
    load(study_space(read_meta_line(path_), path_ + ":1:1"));
  }

  // The file is first written to after the study was read and checked; a last line cut short
  // is dropped then.
  void open_writer() {
    if (writer_open_ || path_.empty()) return;
    writer_.open(path_, study_.truncated);
    writer_open_ = true;
  }

  void append(const json& line) {
    if (path_.empty()) return;
    open_writer();
    writer_.write(line);
  }

  std::string path_;
  std::optional<StudyFileLock> lock_;
  Study study_;
  bool loaded_ = false;
  StudyWriter writer_;
  bool writer_open_ = false;
  double elapsed_base_ = 0;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace

// A meta line with values of the wrong JSON type is bad input, not a bug.
Space study_space(const json& meta, const std::string& where) {
  try {
    return study_space_unchecked(meta, where);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": malformed study meta: " + e.what());
  }
}

std::unique_ptr<StudyStorage> open_jsonl_study(const std::string& path, double lock_wait_s) {
  return std::make_unique<JsonlStudy>(path, lock_wait_s);
}

}  // namespace rlab::bayesopt
