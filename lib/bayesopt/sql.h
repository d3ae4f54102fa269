// A minimal SQL connection for the shared study storages: SQLite (sql_sqlite.cpp) and
// PostgreSQL through libpq (sql_postgres.cpp). Statements use `?` placeholders.
#pragma once

#include "rlab/study_storage.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rlab::bayesopt::sql {

/// A statement parameter: NULL, an integer, a double or text.
struct Value {
  enum class Kind { kNull, kInt, kReal, kText };
  Kind kind = Kind::kNull;
  long long i = 0;
  double d = 0;
  std::string s;
  Value() = default;
  Value(std::nullptr_t) {}                                      // NOLINT: implicit on purpose
  Value(long long v) : kind(Kind::kInt), i(v) {}                // NOLINT
  Value(double v) : kind(Kind::kReal), d(v) {}                  // NOLINT
  Value(std::string v) : kind(Kind::kText), s(std::move(v)) {}  // NOLINT
};
/// One result row, every column as text (doubles in round-trip form); nullopt for NULL.
using Row = std::vector<std::optional<std::string>>;

class Connection {
 public:
  virtual ~Connection() = default;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement; returns its rows (none for statements without a result).
  /// EnvironmentError on failure, with the storage's name.
  virtual std::vector<Row> query(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  /// Starts a transaction that holds the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN).
  virtual void begin() = 0;
  virtual void commit() = 0;
  /// Rolls back the open transaction, if any; never throws.
  virtual void rollback() noexcept = 0;
  /// Serialises schema creation between processes inside the transaction (PostgreSQL: an
  /// advisory lock; SQLite: the write lock already does).
  virtual void lock_schema() = 0;
  /// Whether the table exists.
  virtual bool has_table(const std::string& table) = 0;
  /// SQL expression for the database's clock, in seconds since the epoch.
  [[nodiscard]] virtual std::string now_sql() const = 0;
  /// Column type for doubles.
  [[nodiscard]] virtual std::string real_type() const = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;
};

std::unique_ptr<Connection> connect_sqlite(const StorageUrl& url, double busy_timeout_s);
std::unique_ptr<Connection> connect_postgres(const StorageUrl& url, double busy_timeout_s);

/// "%.17g" of a double (round-trips).
std::string real_text(double v);

}  // namespace rlab::bayesopt::sql
