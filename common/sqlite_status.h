// SQLite result codes as absl::Status, shared by every SQLite store (config database, IPAM):
// busy/locked -> UNAVAILABLE, corrupt/not-a-db -> DATA_LOSS, constraint -> FAILED_PRECONDITION,
// permissions -> PERMISSION_DENIED, the rest INTERNAL; the message says what was being done.
#pragma once

#include <sqlite3.h>

#include <string_view>

#include "absl/status/status.h"

namespace podswitch {

// `what` failed with `code`; `db` (may be null) adds SQLite's own message when it says more.
absl::Status SqliteStatus(int code, std::string_view what, sqlite3* db);

}  // namespace podswitch
