// A thin RAII layer over the SQLite C API: one connection, its cached prepared statements,
// and SQLite result codes turned into absl::Status with the SQL and the message attached.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace podswitch::switchd::config::internal {

// Turns a SQLite result code into a Status so callers never see raw integers; SQLITE_BUSY
// becomes UNAVAILABLE (retryable), corruption DATA_LOSS, the rest INTERNAL.
absl::Status SqliteError(int code, absl::string_view what, sqlite3* db);

// One prepared statement, reset and unbound every time it is handed out, so a cached
// statement never carries state from its previous use.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, const char* sql) : db_(db), stmt_(stmt), sql_(sql) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds parameters by 1-based position (SQL `?`).
  void Bind(int index, std::string_view text);
  void Bind(int index, int64_t value);
  void BindNull(int index);

  // Advances the statement: true when a row is ready, false when done.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  absl::Status Run();

  int64_t ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }
  bool ColumnIsNull(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }
  std::string ColumnText(int index) const;

  // Clears the previous execution and its bindings.
  void Reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  const char* sql_;
};

// A borrowed cached statement that resets itself when it goes out of scope, so a half-read
// SELECT never keeps a read snapshot (and WAL checkpoints) pinned.
class StatementRef {
 public:
  explicit StatementRef(Statement* stmt) : stmt_(stmt) {}
  ~StatementRef() {
    if (stmt_ != nullptr) stmt_->Reset();
  }
  StatementRef(StatementRef&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  StatementRef(const StatementRef&) = delete;
  StatementRef& operator=(const StatementRef&) = delete;
  StatementRef& operator=(StatementRef&&) = delete;

  Statement* operator->() const { return stmt_; }

 private:
  Statement* stmt_;
};

// An open database handle that owns its statements; not thread-safe (ConfigDb locks).
class Connection {
 public:
  // Opens `path` with sqlite3_open_v2 flags; never creates unless SQLITE_OPEN_CREATE is set.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results (pragmas, DDL, BEGIN/COMMIT).
  absl::Status Exec(const char* sql);
  // Runs a query whose first column of the first row is an integer (PRAGMA x, count(*)).
  absl::StatusOr<int64_t> QueryInt(const char* sql);
  // Runs a query and returns the first column of every row as text (quick_check, names).
  absl::StatusOr<std::vector<std::string>> QueryStrings(const char* sql);
  // Sets how long a statement waits for another process's lock before failing busy.
  void SetBusyTimeout(absl::Duration timeout);

  // Returns the cached prepared statement for `sql`, prepared on first use. `sql` must be a
  // string literal from schema_sql.h (the cache keys on its address).
  absl::StatusOr<StatementRef> Prepare(const char* sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const { return sqlite3_changes64(db_); }
  int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* raw() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::map<const char*, std::unique_ptr<Statement>> statements_;
};

}  // namespace podswitch::switchd::config::internal
