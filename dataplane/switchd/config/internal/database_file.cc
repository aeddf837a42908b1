#include "dataplane/switchd/config/internal/database_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "dataplane/switchd/config/internal/schema_sql.h"

namespace podswitch::switchd::config::internal {
namespace {

// What the read-only inspection found in a file that exists.
enum class FileState { kFresh, kValid };

absl::Status Refuse(const std::string& path, absl::string_view problem) {
  return absl::FailedPreconditionError(absl::StrCat(
      "config database ", path, ": ", problem, "; refusing to use it (the file is left as it is)"));
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::PermissionDeniedError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Corruption and "not a database" (SQLITE_CORRUPT, SQLITE_NOTADB: DATA_LOSS) are refusals;
// anything else (busy, permissions) is passed on with the path.
absl::Status Classify(const std::string& path, const absl::Status& status) {
  if (absl::IsFailedPrecondition(status)) return status;  // already a refusal
  if (absl::IsDataLoss(status)) {
    if (absl::StrContains(status.message(), sqlite3_errstr(SQLITE_NOTADB))) {
      return Refuse(path, "file is not a database (not an SQLite file)");
    }
    return Refuse(path, absl::StrCat("database is corrupt (", status.message(), ")"));
  }
  return absl::Status(status.code(),
                      absl::StrCat("config database ", path, ": ", status.message()));
}

absl::Status CreateMissingFile(const std::filesystem::path& path) {
  std::filesystem::path prefix;
  for (const std::filesystem::path& part : path.parent_path()) {
    prefix /= part;
    struct stat st;
    if (stat(prefix.c_str(), &st) == 0) continue;
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError("cannot create directory", prefix.string());
    }
  }
  int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) return ErrnoError("cannot create", path.string());
  if (fd >= 0) close(fd);
  return absl::OkStatus();
}

// Whether the connection sees an empty, unstamped database (a file we just created).
absl::StatusOr<bool> IsBlank(Connection& conn) {
  PODSWITCH_ASSIGN_OR_RETURN(int64_t objects, conn.QueryInt(kCountSchemaObjects));
  PODSWITCH_ASSIGN_OR_RETURN(int64_t app_id, conn.QueryInt(kApplicationIdPragma));
  PODSWITCH_ASSIGN_OR_RETURN(int64_t version, conn.QueryInt(kUserVersionPragma));
  return objects == 0 && app_id == 0 && version == 0;
}

absl::Status CheckStamps(const std::string& path, Connection& conn) {
  PODSWITCH_ASSIGN_OR_RETURN(int64_t app_id, conn.QueryInt(kApplicationIdPragma));
  PODSWITCH_ASSIGN_OR_RETURN(int64_t version, conn.QueryInt(kUserVersionPragma));
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<std::string> tables, conn.QueryStrings(kListTables));
  if (app_id != kApplicationId) {
    return Refuse(path, absl::StrFormat("not a Podswitch config database (application_id 0x%08x, "
                                        "expected 0x%08x; tables: %s)",
                                        static_cast<uint32_t>(app_id), kApplicationId,
                                        tables.empty() ? "none" : absl::StrJoin(tables, ", ")));
  }
  if (version > kSchemaVersion) {
    return Refuse(path, absl::StrCat("schema version ", version,
                                     " is newer than this podswitchd understands (", kSchemaVersion,
                                     "); run a newer podswitchd or restore a backup"));
  }
  if (version < 1) return Refuse(path, absl::StrCat("unknown schema version ", version));
  std::vector<std::string> missing;
  for (const char* required : kRequiredTables) {
    if (std::find(tables.begin(), tables.end(), required) == tables.end()) {
      missing.push_back(required);
    }
  }
  if (!missing.empty()) {
    return Refuse(
        path, absl::StrCat("Podswitch database without table(s) ", absl::StrJoin(missing, ", ")));
  }
  return absl::OkStatus();
}

// Inspects an existing file through a read-only connection, so nothing can be written to a
// file we end up refusing.
absl::StatusOr<FileState> InspectFile(const std::string& path, absl::Duration busy_timeout) {
  PODSWITCH_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                             Connection::Open(path, SQLITE_OPEN_READONLY));
  conn->SetBusyTimeout(busy_timeout);
  absl::StatusOr<bool> blank = IsBlank(*conn);
  if (!blank.ok()) return Classify(path, blank.status());
  if (*blank) return FileState::kFresh;
  if (absl::Status status = CheckStamps(path, *conn); !status.ok()) {
    return Classify(path, status);
  }
  absl::StatusOr<std::vector<std::string>> check = conn->QueryStrings(kQuickCheck);
  if (!check.ok()) return Classify(path, check.status());
  if (*check != std::vector<std::string>{"ok"}) {
    std::string report = absl::StrJoin(*check, "; ");
    std::replace(report.begin(), report.end(), '\n', ' ');
    return Refuse(path, absl::StrCat("database is corrupt (quick_check: ", report, ")"));
  }
  return FileState::kValid;
}

// Creates the schema in a blank file; false when another process got there first.
absl::StatusOr<bool> InitializeSchema(Connection& conn) {
  PODSWITCH_RETURN_IF_ERROR(conn.Exec(kBeginWrite));
  absl::StatusOr<bool> blank = IsBlank(conn);
  absl::Status status = blank.status();
  if (status.ok() && *blank) {
    std::string stamps = absl::StrCat("PRAGMA application_id = ", kApplicationId,
                                      "; PRAGMA user_version = ", kSchemaVersion, ";");
    status = conn.Exec(kCreateSchema);
    if (status.ok()) status = conn.Exec(stamps.c_str());
    if (status.ok()) status = conn.Exec(kCommit);
    if (status.ok()) return true;
  }
  conn.Exec(kRollback).IgnoreError();
  if (!status.ok()) return status;
  return false;
}

absl::Status UseWriteAheadLog(const std::string& path, Connection& conn) {
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<std::string> mode, conn.QueryStrings(kJournalModeWal));
  if (mode != std::vector<std::string>{"wal"}) {
    return absl::FailedPreconditionError(
        absl::StrCat("config database ", path, ": cannot switch to WAL mode (journal_mode is ",
                     mode.empty() ? "unknown" : mode[0], ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> OpenDatabaseFile(const std::string& path,
                                                             absl::Duration busy_timeout) {
  if (path.empty()) return absl::InvalidArgumentError("config database: empty path");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoError("cannot stat", path);
    PODSWITCH_RETURN_IF_ERROR(CreateMissingFile(path));
  } else if (!S_ISREG(st.st_mode)) {
    return Refuse(path, "not a regular file");
  }
  // Two rounds at most: a blank file another process initializes under us is inspected again.
  for (int round = 0; round < 2; ++round) {
    PODSWITCH_ASSIGN_OR_RETURN(FileState state, InspectFile(path, busy_timeout));
    PODSWITCH_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                               Connection::Open(path, SQLITE_OPEN_READWRITE));
    conn->SetBusyTimeout(busy_timeout);
    PODSWITCH_RETURN_IF_ERROR(UseWriteAheadLog(path, *conn));
    if (state == FileState::kFresh) {
      PODSWITCH_ASSIGN_OR_RETURN(bool created, InitializeSchema(*conn));
      if (!created) continue;
    }
    PODSWITCH_RETURN_IF_ERROR(conn->Exec(kConnectionPragmas));
    return conn;
  }
  return absl::UnavailableError(
      absl::StrCat("config database ", path, ": changed while it was being opened; try again"));
}

}  // namespace podswitch::switchd::config::internal
