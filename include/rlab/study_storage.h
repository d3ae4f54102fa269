// Study storage for `rlab bayesopt`: one study (meta + trials) in a JSON Lines file (one process
// at a time, the default), SQLite (several processes on one machine) or PostgreSQL (many
// machines), with atomic trial reservation and, in the shared ones, heartbeats. Every search,
// worker, `ask` and `tell` goes through this interface; see docs/bayesopt.md.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rlab::bayesopt {

/// Schema version this rlab writes and reads. A storage with a higher version is refused.
constexpr int kStudySchemaVersion = 1;

/// A parsed `--storage` value.
struct StorageUrl {
  enum class Kind { kJsonl, kSqlite, kPostgres };
  Kind kind = Kind::kJsonl;
  std::string path;      ///< JSON Lines or SQLite file.
  std::string conninfo;  ///< PostgreSQL: the URL as libpq takes it.
  std::string shown;     ///< For messages: the URL with the password replaced by "***".
  std::string password;  ///< PostgreSQL: the password as written (and decoded), to scrub.
};

/// Parses "FILE" (JSON Lines), "sqlite:///PATH" (relative) or "sqlite:////ABS/PATH",
/// "postgresql://[user[:password]@]host[:port]/db[?param=value...]" (also "postgres://").
/// Throws UsageError naming the accepted forms for anything else.
StorageUrl parse_storage_url(const std::string& url);

/// One trial of a study.
struct TrialRecord {
  long long id = -1;                  ///< Trial number, 0-based, in reservation order (an open
                                      ///< ask of a JSON Lines study: its ask id).
  std::string state;                  ///< "running", "ok" or "failed".
  nlohmann::json params;              ///< Parameter object (point_to_json).
  std::optional<double> value;        ///< As the objective returned it (state "ok").
  std::string acq;                    ///< How the point was proposed.
  std::string error;                  ///< Why it failed.
  std::string tail;                   ///< Output tail of a failed objective.
  std::string worker;                 ///< Worker that reserved it.
  double objective_s = 0;             ///< Time in the objective.
  double suggest_s = 0;               ///< Time to propose the point.
  double elapsed_s = 0;               ///< Finish time, seconds since the study was created.
  nlohmann::json hedge;               ///< gp_hedge state of the proposal (null when none).
  bool lost = false;                  ///< Failed because its worker stopped heartbeating.
  std::optional<long long> retry_of;  ///< The lost trial whose point this one evaluates again.
  bool requeued = false;              ///< Lost, and its point was reserved again.
  std::string run;                    ///< Prototype objective: the trial's run folder.
  std::optional<long long> ask;       ///< JSON Lines: the ask this trial answers.
};

/// What a proposer returns for one new trial.
struct NewPoint {
  nlohmann::json params;
  std::string acq;
  nlohmann::json hedge;
  double suggest_s = 0;
};

/// Proposes `n` new points, given every trial of the study (finished ones to tell, running ones
/// as pending points). Called with the study locked.
using Proposer =
    std::function<std::vector<NewPoint>(const std::vector<TrialRecord>& trials, int n)>;

/// Outcome of reserve().
struct Reservation {
  std::vector<TrialRecord> trials;  ///< Reserved for this worker (state "running").
  std::vector<TrialRecord> lost;    ///< Trials this call found without heartbeat and failed.
  long long finished = 0;           ///< Finished trials that count towards n_calls.
  long long running = 0;            ///< Running trials of every worker (these included).
};

/// A study in a storage. One object per connection (a JSON Lines study: per lock on the file);
/// not thread-safe (a heartbeat thread opens its own).
class StudyStorage {
 public:
  virtual ~StudyStorage() = default;
  StudyStorage() = default;
  StudyStorage(const StudyStorage&) = delete;
  StudyStorage& operator=(const StudyStorage&) = delete;

  /// The storage as shown in messages (no password).
  [[nodiscard]] virtual const std::string& name() const = 0;
  /// True for a storage several workers share (SQLite, PostgreSQL): their trials carry
  /// heartbeats and the study's stored settings win over a worker's command line.
  [[nodiscard]] virtual bool shared() const = 0;
  /// JSON Lines: the file's last line was cut short (a killed run); it is dropped.
  [[nodiscard]] virtual bool truncated() const { return false; }
  /// Creates the schema and the study with `meta` when absent; returns the stored meta.
  /// EnvironmentError when the schema was written by a newer rlab.
  virtual nlohmann::json open(const nlohmann::json& meta) = 0;
  /// The stored meta; nullopt when the storage holds no study yet.
  virtual std::optional<nlohmann::json> meta() = 0;
  /// Every trial, by id.
  virtual std::vector<TrialRecord> trials() = 0;
  /// Atomically (the study locked): fails running trials whose last heartbeat is older than
  /// `heartbeat_timeout_s` (> 0; their points are queued again), then reserves up to `n`
  /// trials for `worker` while finished + running < n_calls: queued points first, then new ones
  /// from `propose`. `heartbeat` false reserves trials that never time out (`ask`).
  virtual Reservation reserve(int n, long long n_calls, const std::string& worker,
                              double heartbeat_timeout_s, bool heartbeat,
                              const Proposer& propose) = 0;
  /// Records a finished trial (state, value, error, tail, objective_s, run of `t`; the storage
  /// fills in what it keeps, e.g. a JSON Lines study the trial number of an answered ask). False
  /// when the trial is no longer running for `worker` ("" = any worker), e.g. failed as lost
  /// meanwhile.
  virtual bool finish(TrialRecord& t, const std::string& worker) = 0;
  /// Gives reserved trials back after an error stopped their evaluation (`why`): a shared
  /// storage fails them (rather than leave them running until the heartbeat timeout); a JSON
  /// Lines study has recorded nothing of them yet.
  virtual void release(const std::vector<TrialRecord>& trials, const std::string& why,
                       const std::string& worker) = 0;
  /// Marks `ids` as alive for `worker`.
  virtual void heartbeat(const std::vector<long long>& ids, const std::string& worker) = 0;
};

/// Opens a JSON Lines study file (locked for the object's lifetime) or connects to a SQLite or
/// PostgreSQL storage (EnvironmentError when it cannot; the message never holds the password).
/// `busy_timeout_s`: how long to wait for a lock.
std::unique_ptr<StudyStorage> open_study(const StorageUrl& url, double busy_timeout_s);

}  // namespace rlab::bayesopt
