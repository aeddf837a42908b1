#include "common/sqlite_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace podswitch {

absl::Status SqliteStatus(int code, std::string_view what, sqlite3* db) {
  std::string message = absl::StrCat(std::string(what), ": ", sqlite3_errstr(code));
  if (db != nullptr && sqlite3_errcode(db) == code &&
      std::string_view(sqlite3_errmsg(db)) != sqlite3_errstr(code)) {
    absl::StrAppend(&message, " (", sqlite3_errmsg(db), ")");
  }
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_CONSTRAINT:
      return absl::FailedPreconditionError(message);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace podswitch
