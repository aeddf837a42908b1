#include "agent/ipam/internal/ipam_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/sqlite_status.h"

namespace podswitch::agent::ipam::internal {
namespace {

constexpr const char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS allocations(
  container_id TEXT NOT NULL,
  ifname TEXT NOT NULL,
  ip INTEGER NOT NULL UNIQUE,
  pod_namespace TEXT NOT NULL,
  pod_name TEXT NOT NULL,
  allocated_at_unix_ns INTEGER NOT NULL,
  PRIMARY KEY(container_id, ifname));
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
)sql";

// Owns one prepared statement, so every early return finalizes it.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

  void BindText(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void BindInt(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  std::string Text(int index) const {
    const unsigned char* text = sqlite3_column_text(stmt_, index);
    if (text == nullptr) return "";
    return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, index));
  }
  int64_t Int(int index) const { return sqlite3_column_int64(stmt_, index); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<IpamStore>> IpamStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<IpamStore> store(new IpamStore(db, path));
  if (rc != SQLITE_OK) return store->Error(rc, "open");
  sqlite3_extended_result_codes(db, 1);
  // Long enough to outwait a previous agent that is still exiting, short enough that a
  // second agent fails at once.
  sqlite3_busy_timeout(db, 500);
  for (const char* sql : {"PRAGMA locking_mode=EXCLUSIVE", "PRAGMA journal_mode=WAL",
                          "PRAGMA synchronous=NORMAL", "BEGIN EXCLUSIVE", kSchema, "COMMIT"}) {
    absl::Status status = store->Exec(sql);
    if (!status.ok()) {
      if (status.code() == absl::StatusCode::kUnavailable) {
        return absl::UnavailableError(
            absl::StrCat("IPAM database ", path,
                         " is locked by another process (another podswitch-agent "
                         "with the same --state-dir?): ",
                         status.message()));
      }
      return status;
    }
  }
  return store;
}

IpamStore::~IpamStore() { sqlite3_close(db_); }

absl::Status IpamStore::Error(int code, std::string_view what) const {
  return SqliteStatus(code, absl::StrCat("IPAM database ", path_, ": ", std::string(what)), db_);
}

absl::Status IpamStore::Exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string_view first_line(sql);
  first_line = first_line.substr(first_line.find_first_not_of('\n'));
  return Error(rc, first_line.substr(0, first_line.find('\n')));
}

absl::Status IpamStore::InTransaction(const std::function<absl::Status()>& body) {
  if (absl::Status status = Exec("BEGIN IMMEDIATE"); !status.ok()) return status;
  absl::Status status = body();
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) (void)Exec("ROLLBACK");
  return status;
}

absl::StatusOr<StoredState> IpamStore::Load() {
  StoredState state;
  {
    Stmt stmt;
    const char* sql = "SELECT key, value FROM meta";
    if (int rc = sqlite3_prepare_v2(db_, sql, -1, stmt.out(), nullptr); rc != SQLITE_OK) {
      return Error(rc, sql);
    }
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      std::string key = stmt.Text(0);
      if (key == "pod_cidr") state.pod_cidr = stmt.Text(1);
      if (key == "last_allocated") {
        absl::StatusOr<Ipv4Address> ip = Ipv4Address::Parse(stmt.Text(1));
        if (!ip.ok()) return Error(SQLITE_CORRUPT, "meta last_allocated");
        state.last_allocated = *ip;
      }
    }
    if (rc != SQLITE_DONE) return Error(rc, sql);
  }
  Stmt stmt;
  const char* sql =
      "SELECT container_id, ifname, ip, pod_namespace, pod_name, allocated_at_unix_ns "
      "FROM allocations ORDER BY ip";
  if (int rc = sqlite3_prepare_v2(db_, sql, -1, stmt.out(), nullptr); rc != SQLITE_OK) {
    return Error(rc, sql);
  }
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    state.allocations.push_back(Allocation{
        .container_id = stmt.Text(0),
        .ifname = stmt.Text(1),
        .pod_namespace = stmt.Text(3),
        .pod_name = stmt.Text(4),
        .ip = Ipv4Address(static_cast<uint32_t>(stmt.Int(2))),
        .allocated_at = absl::FromUnixNanos(stmt.Int(5)),
    });
  }
  if (rc != SQLITE_DONE) return Error(rc, sql);
  return state;
}

absl::Status IpamStore::SaveCidr(const std::string& pod_cidr,
                                 std::optional<Ipv4Address> last_allocated) {
  return InTransaction([&]() -> absl::Status {
    Stmt stmt;
    const char* sql = "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)";
    if (int rc = sqlite3_prepare_v2(db_, sql, -1, stmt.out(), nullptr); rc != SQLITE_OK) {
      return Error(rc, sql);
    }
    std::vector<std::pair<std::string, std::string>> rows = {{"pod_cidr", pod_cidr}};
    if (last_allocated.has_value()) rows.push_back({"last_allocated", last_allocated->ToString()});
    for (const auto& [key, value] : rows) {
      sqlite3_reset(stmt.get());
      stmt.BindText(1, key);
      stmt.BindText(2, value);
      if (int rc = sqlite3_step(stmt.get()); rc != SQLITE_DONE) return Error(rc, sql);
    }
    if (!last_allocated.has_value()) return Exec("DELETE FROM meta WHERE key = 'last_allocated'");
    return absl::OkStatus();
  });
}

absl::Status IpamStore::Insert(const Allocation& allocation) {
  return InTransaction([&]() -> absl::Status {
    Stmt insert;
    const char* sql =
        "INSERT INTO allocations(container_id, ifname, ip, pod_namespace, pod_name, "
        "allocated_at_unix_ns) VALUES(?, ?, ?, ?, ?, ?)";
    if (int rc = sqlite3_prepare_v2(db_, sql, -1, insert.out(), nullptr); rc != SQLITE_OK) {
      return Error(rc, sql);
    }
    insert.BindText(1, allocation.container_id);
    insert.BindText(2, allocation.ifname);
    insert.BindInt(3, allocation.ip.value());
    insert.BindText(4, allocation.pod_namespace);
    insert.BindText(5, allocation.pod_name);
    insert.BindInt(6, absl::ToUnixNanos(allocation.allocated_at));
    if (int rc = sqlite3_step(insert.get()); rc != SQLITE_DONE) return Error(rc, sql);

    Stmt cursor;
    const char* cursor_sql = "INSERT OR REPLACE INTO meta(key, value) VALUES('last_allocated', ?)";
    if (int rc = sqlite3_prepare_v2(db_, cursor_sql, -1, cursor.out(), nullptr); rc != SQLITE_OK) {
      return Error(rc, cursor_sql);
    }
    cursor.BindText(1, allocation.ip.ToString());
    if (int rc = sqlite3_step(cursor.get()); rc != SQLITE_DONE) return Error(rc, cursor_sql);
    return absl::OkStatus();
  });
}

absl::Status IpamStore::Delete(const std::vector<std::pair<std::string, std::string>>& keys) {
  return InTransaction([&]() -> absl::Status {
    Stmt stmt;
    const char* sql = "DELETE FROM allocations WHERE container_id = ? AND ifname = ?";
    if (int rc = sqlite3_prepare_v2(db_, sql, -1, stmt.out(), nullptr); rc != SQLITE_OK) {
      return Error(rc, sql);
    }
    for (const auto& [container_id, ifname] : keys) {
      sqlite3_reset(stmt.get());
      stmt.BindText(1, container_id);
      stmt.BindText(2, ifname);
      if (int rc = sqlite3_step(stmt.get()); rc != SQLITE_DONE) return Error(rc, sql);
    }
    return absl::OkStatus();
  });
}

}  // namespace podswitch::agent::ipam::internal
