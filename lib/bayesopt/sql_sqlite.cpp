// SQLite connection for the shared study storage: WAL journal (readers never block the writer),
// BEGIN IMMEDIATE transactions (the write lock is taken at the start, so a reservation never
// fails half-way on a lock upgrade), busy timeout for waiting on other processes.
#include "rlab/error.h"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>

#include "sql.h"

namespace rlab::bayesopt::sql {

std::string real_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

namespace {

class Sqlite final : public Connection {
 public:
  Sqlite(const StorageUrl& url, double busy_timeout_s) : name_(url.shown) {
    const std::filesystem::path parent = std::filesystem::path(url.path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    const int rc = sqlite3_open_v2(url.path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw EnvironmentError(name_ + ": cannot open the SQLite database: " + why);
    }
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_s * 1000));
    const auto mode = query("PRAGMA journal_mode=WAL", {});
    (void)mode;
    query("PRAGMA synchronous=NORMAL", {});
  }
  ~Sqlite() override {
    if (db_ != nullptr) sqlite3_close(db_);
  }

  std::vector<Row> query(const std::string& sql, const std::vector<Value>& params) override {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr);
    if (rc != SQLITE_OK) fail(rc);
    struct Finalize {
      sqlite3_stmt* s;
      ~Finalize() { sqlite3_finalize(s); }
    } fin{st};
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int k = static_cast<int>(i) + 1;
      const Value& v = params[i];
      switch (v.kind) {
        case Value::Kind::kNull:
          sqlite3_bind_null(st, k);
          break;
        case Value::Kind::kInt:
          sqlite3_bind_int64(st, k, v.i);
          break;
        case Value::Kind::kReal:
          sqlite3_bind_double(st, k, v.d);
          break;
        case Value::Kind::kText:
          sqlite3_bind_text(st, k, v.s.data(), static_cast<int>(v.s.size()), SQLITE_TRANSIENT);
          break;
      }
    }
    std::vector<Row> rows;
    for (;;) {
      rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc);
      Row row;
      const int n = sqlite3_column_count(st);
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_NULL:
            row.emplace_back(std::nullopt);
            break;
          case SQLITE_FLOAT:
            row.emplace_back(real_text(sqlite3_column_double(st, c)));
            break;
          default: {
            const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
            row.emplace_back(std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
          }
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void begin() override { query("BEGIN IMMEDIATE", {}); }
  void commit() override { query("COMMIT", {}); }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void lock_schema() override {}
  bool has_table(const std::string& table) override {
    return !query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", {table})
                .empty();
  }
  [[nodiscard]] std::string now_sql() const override {
    return "((julianday('now') - 2440587.5) * 86400.0)";
  }
  [[nodiscard]] std::string real_type() const override { return "REAL"; }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  [[noreturn]] void fail(int rc) {
    const std::string why = sqlite3_errmsg(db_);
    if ((rc & 0xff) == SQLITE_NOTADB) throw InputError(name_ + ": not a SQLite database");
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      throw EnvironmentError(name_ + ": the database stayed locked by another process: " + why +
                             " (raise --busy-timeout)");
    }
    throw EnvironmentError(name_ + ": " + why);
  }

  std::string name_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> connect_sqlite(const StorageUrl& url, double busy_timeout_s) {
  return std::make_unique<Sqlite>(url, busy_timeout_s);
}

}  // namespace rlab::bayesopt::sql
