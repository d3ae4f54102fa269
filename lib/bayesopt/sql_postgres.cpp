// PostgreSQL connection (libpq) for the shared study storage. Parameters travel separately from
// the statement text (PQexecParams); messages never hold the password.
#include "rlab/error.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cmath>

#include "sql.h"

namespace rlab::bayesopt::sql {

namespace {

// One line, without libpq's trailing newline, the password scrubbed.
std::string clean(std::string msg, const StorageUrl& url) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  std::replace(msg.begin(), msg.end(), '\t', ' ');
  std::string out;
  for (std::size_t i = 0; i < msg.size(); ++i) {  // collapse runs of blanks
    if (msg[i] == ' ' && !out.empty() && out.back() == ' ') continue;
    out += msg[i];
  }
  if (!url.password.empty()) {
    for (std::size_t p = out.find(url.password); p != std::string::npos;
         p = out.find(url.password, p)) {
      out.replace(p, url.password.size(), "***");
    }
  }
  return out;
}

void ignore_notice(void* /*arg*/, const char* /*message*/) {}

class Postgres final : public Connection {
 public:
  Postgres(const StorageUrl& url, double busy_timeout_s) : url_(url) {
    conn_ = PQconnectdb(url.conninfo.c_str());
    if (conn_ == nullptr) throw EnvironmentError(url_.shown + ": cannot connect: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = clean(PQerrorMessage(conn_), url_);
      PQfinish(conn_);
      conn_ = nullptr;
      throw EnvironmentError(url_.shown + ": cannot connect: " + why);
    }
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    const long ms = std::lround(busy_timeout_s * 1000);
    query("SET lock_timeout = " + std::to_string(ms), {});
  }
  ~Postgres() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }

  std::vector<Row> query(const std::string& sql_in, const std::vector<Value>& params) override {
    // `?` -> `$n` (the statements here hold no `?` in literals).
    std::string text;
    int k = 0;
    for (const char c : sql_in) {
      if (c == '?') {
        text += "$" + std::to_string(++k);
      } else {
        text += c;
      }
    }
    std::vector<std::string> store(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (v.kind == Value::Kind::kNull) continue;
      if (v.kind == Value::Kind::kInt) {
        store[i] = std::to_string(v.i);
      } else if (v.kind == Value::Kind::kReal) {
        store[i] = real_text(v.d);
      } else {
        store[i] = v.s;
      }
      values[i] = store[i].c_str();
    }
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      const std::string code = state != nullptr ? state : "";
      const std::string why =
          clean(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_), url_);
      PQclear(res);
      if (code == "55P03") {
        throw EnvironmentError(url_.shown + ": the study stayed locked by another worker: " + why +
                               " (raise --busy-timeout)");
      }
      throw EnvironmentError(url_.shown + ": " + why);
    }
    std::vector<Row> rows;
    const int nr = PQntuples(res);
    const int nc = PQnfields(res);
    for (int r = 0; r < nr; ++r) {
      Row row;
      for (int c = 0; c < nc; ++c) {
        if (PQgetisnull(res, r, c) != 0) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(
              std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    PQclear(res);
    return rows;
  }

  void begin() override { query("BEGIN", {}); }
  void commit() override { query("COMMIT", {}); }
  void rollback() noexcept override {
    if (conn_ != nullptr && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PGresult* r = PQexec(conn_, "ROLLBACK");
      PQclear(r);
    }
  }
  void lock_schema() override { query("SELECT pg_advisory_xact_lock(7212470117)", {}); }
  bool has_table(const std::string& table) override {
    const auto r = query("SELECT to_regclass(?)::text", {table});
    return !r.empty() && r[0][0].has_value();
  }
  [[nodiscard]] std::string now_sql() const override {
    return "extract(epoch from clock_timestamp())::double precision";
  }
  [[nodiscard]] std::string real_type() const override { return "DOUBLE PRECISION"; }
  [[nodiscard]] const std::string& name() const override { return url_.shown; }

 private:
  StorageUrl url_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> connect_postgres(const StorageUrl& url, double busy_timeout_s) {
  return std::make_unique<Postgres>(url, busy_timeout_s);
}

}  // namespace rlab::bayesopt::sql
