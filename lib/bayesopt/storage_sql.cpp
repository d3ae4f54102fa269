// Shared study storage on SQL (SQLite or PostgreSQL): schema, study, atomic reservation with
// heartbeats, lost-worker recovery. One study per database.
#include "rlab/error.h"
#include "rlab/study_storage.h"
#include "rlab/version.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "sql.h"
#include "storage_jsonl.h"

namespace rlab::bayesopt {

namespace {

using nlohmann::json;

const char* const kForms =
    "a JSON Lines FILE, sqlite:///RELATIVE/PATH, sqlite:////ABSOLUTE/PATH or "
    "postgresql://USER:PASSWORD@HOST:PORT/DATABASE";

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

StorageUrl parse_postgres(const std::string& url, const std::string& scheme) {
  StorageUrl u;
  u.kind = StorageUrl::Kind::kPostgres;
  const std::string rest = url.substr(scheme.size() + 3);
  const std::size_t slash = rest.find_first_of("/?");
  const std::string authority = rest.substr(0, slash);
  const std::string tail = slash == std::string::npos ? "" : rest.substr(slash);
  const std::size_t at = authority.rfind('@');
  std::string userinfo = at == std::string::npos ? "" : authority.substr(0, at);
  const std::string hostport = at == std::string::npos ? authority : authority.substr(at + 1);
  std::string shown_user = userinfo;
  const std::size_t colon = userinfo.find(':');
  if (colon != std::string::npos) {
    u.password = percent_decode(userinfo.substr(colon + 1));
    shown_user = userinfo.substr(0, colon) + ":***";
  }
  // Port: digits after the last ':' outside an IPv6 [...] literal.
  const std::size_t close = hostport.rfind(']');
  const std::size_t pc = hostport.rfind(':');
  const std::string shown_base =
      scheme + "://" + (at == std::string::npos ? "" : shown_user + "@") + hostport;
  if (pc != std::string::npos && (close == std::string::npos || pc > close)) {
    const std::string port = hostport.substr(pc + 1);
    const bool digits =
        !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        });
    if (!digits || std::stol(port) < 1 || std::stol(port) > 65535) {
      throw UsageError("--storage '" + shown_base +
                       "...': the port must be a number from 1 to 65535");
    }
  }
  // Query: a password given as a parameter is scrubbed from what is shown.
  std::string shown_tail = tail;
  const std::size_t q = tail.find('?');
  bool has_timeout = false;
  if (q != std::string::npos) {
    shown_tail = tail.substr(0, q + 1);
    std::string query = tail.substr(q + 1);
    std::size_t pos = 0;
    bool first = true;
    while (pos <= query.size()) {
      const std::size_t amp = query.find('&', pos);
      const std::string kv =
          query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      const std::size_t eq = kv.find('=');
      const std::string key = kv.substr(0, eq);
      if (key == "password" && eq != std::string::npos) {
        u.password = percent_decode(kv.substr(eq + 1));
        shown_tail += std::string(first ? "" : "&") + "password=***";
      } else {
        shown_tail += std::string(first ? "" : "&") + kv;
      }
      if (key == "connect_timeout") has_timeout = true;
      first = false;
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  u.shown = shown_base + shown_tail;
  u.conninfo = url;
  if (!has_timeout)
    u.conninfo += std::string(q == std::string::npos ? "?" : "&") + "connect_timeout=10";
  return u;
}

}  // namespace

StorageUrl parse_storage_url(const std::string& url) {
  if (url.empty()) throw UsageError("--storage needs a value: " + std::string(kForms));
  const std::size_t sep = url.find("://");
  if (sep == std::string::npos) {
    StorageUrl u;
    u.kind = StorageUrl::Kind::kJsonl;
    u.path = url;
    u.shown = url;
    return u;
  }
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme == "sqlite") {
    const std::string rest = url.substr(sep + 3);
    if (rest.size() < 2 || rest[0] != '/') {
      throw UsageError("--storage '" + url + "': a SQLite storage is sqlite:///RELATIVE/PATH or " +
                       "sqlite:////ABSOLUTE/PATH");
    }
    StorageUrl u;
    u.kind = StorageUrl::Kind::kSqlite;
    u.path = rest.substr(1);
    u.shown = url;
    return u;
  }
  if (scheme == "postgresql" || scheme == "postgres") return parse_postgres(url, scheme);
  throw UsageError("--storage: unsupported storage scheme '" + scheme + "://' (use " + kForms +
                   ")");
}

namespace {

using sql::Row;
using sql::Value;

const char* const kColumns =
    "id, state, params, value, acq, error, output_tail, worker, objective_s, suggest_s, hedge, "
    "lost, retry_of, requeued, finished - (SELECT created FROM rlab_study WHERE id = 1)";

double as_real(const std::optional<std::string>& s) {
  return s ? std::strtod(s->c_str(), nullptr) : 0.0;
}
long long as_int(const std::optional<std::string>& s) {
  return s ? std::strtoll(s->c_str(), nullptr, 10) : 0;
}

class SqlStudy final : public StudyStorage {
 public:
  explicit SqlStudy(std::unique_ptr<sql::Connection> db) : db_(std::move(db)) {}

  [[nodiscard]] const std::string& name() const override { return db_->name(); }
  [[nodiscard]] bool shared() const override { return true; }

  json open(const json& meta) override {
    Transaction tx(*db_);
    db_->lock_schema();
    db_->query(
        "CREATE TABLE IF NOT EXISTS rlab_schema (version INTEGER NOT NULL, "
        "written_by TEXT NOT NULL)");
    if (!check_schema()) {
      db_->query("INSERT INTO rlab_schema (version, written_by) VALUES (?, ?)",
                 {static_cast<long long>(kStudySchemaVersion), std::string(version())});
    }
    const std::string real = db_->real_type();
    db_->query(
        "CREATE TABLE IF NOT EXISTS rlab_study (id INTEGER PRIMARY KEY, meta TEXT NOT "
        "NULL, created " +
        real + " NOT NULL)");
    db_->query(
        "CREATE TABLE IF NOT EXISTS rlab_trials (id BIGINT PRIMARY KEY, state TEXT NOT NULL, "
        "params TEXT NOT NULL, value " +
        real +
        ", acq TEXT, error TEXT, output_tail TEXT, "
        "worker TEXT, heartbeat " +
        real + ", started " + real + ", finished " + real + ", objective_s " + real +
        ", suggest_s " + real +
        ", hedge TEXT, lost INTEGER NOT NULL "
        "DEFAULT 0, retry_of BIGINT, requeued INTEGER NOT NULL DEFAULT 0)");
    db_->query("CREATE INDEX IF NOT EXISTS rlab_trials_state ON rlab_trials (state)");
    auto rows = db_->query("SELECT meta FROM rlab_study WHERE id = 1");
    if (rows.empty()) {
      db_->query("INSERT INTO rlab_study (id, meta, created) VALUES (1, ?, " + db_->now_sql() + ")",
                 {meta.dump()});
      tx.commit();
      return meta;
    }
    tx.commit();
    return parse_meta(*rows[0][0]);
  }

  std::optional<json> meta() override {
    if (!db_->has_table("rlab_schema")) return std::nullopt;
    check_schema();
    if (!db_->has_table("rlab_study")) return std::nullopt;
    const auto rows = db_->query("SELECT meta FROM rlab_study WHERE id = 1");
    if (rows.empty()) return std::nullopt;
    return parse_meta(*rows[0][0]);
  }

  std::vector<TrialRecord> trials() override {
    std::vector<TrialRecord> out;
    for (const Row& r :
         db_->query(std::string("SELECT ") + kColumns + " FROM rlab_trials ORDER BY id"))
      out.push_back(record(r));
    return out;
  }

  Reservation reserve(int n, long long n_calls, const std::string& worker, double timeout,
                      bool heartbeat, const Proposer& propose) override {
    Reservation res;
    Transaction tx(*db_);
    // The study row serialises reservations (SQLite: BEGIN IMMEDIATE already holds the lock).
    db_->query(db_->real_type() == "REAL" ? "SELECT id FROM rlab_study WHERE id = 1"
                                          : "SELECT id FROM rlab_study WHERE id = 1 FOR UPDATE");
    const double now = as_real(db_->query("SELECT " + db_->now_sql())[0][0]);
    const auto stale = db_->query(
        "SELECT id, worker, ? - heartbeat FROM rlab_trials WHERE state = 'running' AND "
        "heartbeat IS NOT NULL AND heartbeat < ? ORDER BY id",
        {now, now - timeout});
    for (const Row& r : stale) {
      const std::string why = "worker " + r[1].value_or("?") + " lost: no heartbeat for " +
                              format_seconds(as_real(r[2])) + " (heartbeat timeout " +
                              format_seconds(timeout) + "); the point is proposed again";
      db_->query(
          "UPDATE rlab_trials SET state = 'failed', lost = 1, error = ?, finished = ?, "
          "heartbeat = NULL WHERE id = ?",
          {why, now, as_int(r[0])});
    }
    for (const Row& r : stale) {
      const auto rows = db_->query(
          std::string("SELECT ") + kColumns + " FROM rlab_trials WHERE id = ?", {as_int(r[0])});
      res.lost.push_back(record(rows.at(0)));
    }
    const auto counts = db_->query(
        "SELECT COALESCE(SUM(CASE WHEN state IN ('ok', 'failed') AND lost = 0 THEN 1 ELSE 0 END), "
        "0), COALESCE(SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END), 0), COALESCE(MAX(id) + "
        "1, 0) FROM rlab_trials");
    res.finished = as_int(counts[0][0]);
    res.running = as_int(counts[0][1]);
    long long next = as_int(counts[0][2]);
    const long long take = std::min<long long>(n, n_calls - res.finished - res.running);
    if (take > 0) {
      const Value beat = heartbeat ? Value(now) : Value(nullptr);
      // Points of lost trials first, then new proposals.
      const auto queued = db_->query(std::string("SELECT ") + kColumns +
                                         " FROM rlab_trials WHERE lost = 1 AND requeued = 0 "
                                         "ORDER BY id LIMIT ?",
                                     {take});
      for (const Row& r : queued) {
        const TrialRecord lost = record(r);
        TrialRecord t;
        t.id = next++;
        t.state = "running";
        t.params = lost.params;
        t.acq = lost.acq;
        t.worker = worker;
        t.retry_of = lost.id;
        insert(t, beat, now);
        db_->query("UPDATE rlab_trials SET requeued = 1 WHERE id = ?", {lost.id});
        res.trials.push_back(t);
      }
      const long long fresh = take - static_cast<long long>(queued.size());
      if (fresh > 0) {
        const std::vector<TrialRecord> all = trials();
        const std::vector<NewPoint> pts = propose(all, static_cast<int>(fresh));
        for (const NewPoint& p : pts) {
          TrialRecord t;
          t.id = next++;
          t.state = "running";
          t.params = p.params;
          t.acq = p.acq;
          t.hedge = p.hedge;
          t.suggest_s = p.suggest_s;
          t.worker = worker;
          insert(t, beat, now);
          res.trials.push_back(t);
        }
      }
      res.running += static_cast<long long>(res.trials.size());
    }
    tx.commit();
    return res;
  }

  bool finish(TrialRecord& t, const std::string& worker) override {
    const Value v = t.value ? Value(*t.value) : Value(nullptr);
    const auto rows = db_->query(
        "UPDATE rlab_trials SET state = ?, value = ?, error = ?, output_tail = ?, objective_s = "
        "?, finished = " +
            db_->now_sql() +
            ", heartbeat = NULL WHERE id = ? AND state = "
            "'running' AND (worker = ? OR CAST(? AS TEXT) = '') RETURNING id",
        {t.state, v, t.error.empty() ? Value(nullptr) : Value(t.error),
         t.tail.empty() ? Value(nullptr) : Value(t.tail), t.objective_s, t.id, worker, worker});
    return !rows.empty();
  }

  void release(const std::vector<TrialRecord>& trials, const std::string& why,
               const std::string& worker) override {
    for (TrialRecord t : trials) {
      t.state = "failed";
      t.error = why;
      finish(t, worker);
    }
  }

  void heartbeat(const std::vector<long long>& ids, const std::string& worker) override {
    for (const long long id : ids) {
      db_->query("UPDATE rlab_trials SET heartbeat = " + db_->now_sql() +
                     " WHERE id = ? AND worker = ? AND state = 'running' AND heartbeat IS NOT NULL",
                 {id, worker});
    }
  }

 private:
  struct Transaction {
    explicit Transaction(sql::Connection& c) : db(c) { db.begin(); }
    ~Transaction() {
      if (!done) db.rollback();
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
      db.commit();
      done = true;
    }
    sql::Connection& db;
    bool done = false;
  };

  // False when no version is recorded yet; EnvironmentError for a newer schema.
  bool check_schema() {
    const auto v = db_->query("SELECT MAX(version), MAX(written_by) FROM rlab_schema");
    if (v.empty() || !v[0][0]) return false;
    const long long found = as_int(v[0][0]);
    if (found > kStudySchemaVersion) {
      throw EnvironmentError(name() + ": the study storage has schema version " +
                             std::to_string(found) + " (written by rlab " + v[0][1].value_or("?") +
                             "); this rlab " + version() + " reads version " +
                             std::to_string(kStudySchemaVersion) + ": upgrade rlab");
    }
    return true;
  }

  static std::string format_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
  }

  json parse_meta(const std::string& text) const {
    json m = json::parse(text, nullptr, false);
    if (m.is_discarded() || !m.is_object())
      throw InputError(name() + ": the stored study meta is not a JSON object");
    return m;
  }

  TrialRecord record(const Row& r) const {
    TrialRecord t;
    t.id = as_int(r[0]);
    t.state = r[1].value_or("");
    t.params = json::parse(r[2].value_or("{}"), nullptr, false);
    if (t.params.is_discarded() || !t.params.is_object())
      throw InputError(name() + ": trial " + std::to_string(t.id) + " has malformed params");
    if (r[3]) t.value = as_real(r[3]);
    t.acq = r[4].value_or("");
    t.error = r[5].value_or("");
    t.tail = r[6].value_or("");
    t.worker = r[7].value_or("");
    t.objective_s = as_real(r[8]);
    t.suggest_s = as_real(r[9]);
    if (r[10]) {
      t.hedge = json::parse(*r[10], nullptr, false);
      if (t.hedge.is_discarded()) t.hedge = nullptr;
    }
    t.lost = as_int(r[11]) != 0;
    if (r[12]) t.retry_of = as_int(r[12]);
    t.requeued = as_int(r[13]) != 0;
    t.elapsed_s = as_real(r[14]);
    return t;
  }

  void insert(const TrialRecord& t, const Value& beat, double now) {
    db_->query(
        "INSERT INTO rlab_trials (id, state, params, acq, worker, heartbeat, started, "
        "suggest_s, hedge, retry_of) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)",
        {t.id, t.params.dump(), t.acq, t.worker, beat, now, t.suggest_s,
         t.hedge.is_null() ? Value(nullptr) : Value(t.hedge.dump()),
         t.retry_of ? Value(*t.retry_of) : Value(nullptr)});
  }

  std::unique_ptr<sql::Connection> db_;
};

}  // namespace

std::unique_ptr<StudyStorage> open_study(const StorageUrl& url, double busy_timeout_s) {
  if (url.kind == StorageUrl::Kind::kJsonl) return open_jsonl_study(url.path, busy_timeout_s);
  if (url.kind == StorageUrl::Kind::kSqlite)
    return std::make_unique<SqlStudy>(sql::connect_sqlite(url, busy_timeout_s));
  if (url.kind == StorageUrl::Kind::kPostgres)
    return std::make_unique<SqlStudy>(sql::connect_postgres(url, busy_timeout_s));
  throw UsageError(url.shown + ": not a study storage");
}

}  // namespace rlab::bayesopt
