// Opening the config database file safely: create it when missing, and refuse (without
// writing a byte) a file that is not SQLite, belongs to another application, has a newer
// schema, or is corrupt.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dataplane/switchd/config/internal/sqlite.h"

namespace podswitch::switchd::config::internal {

// Returns a read-write connection in WAL mode with foreign keys on, to a file that holds the
// current Podswitch schema (created when the file is missing or empty). Refusals are
// FAILED_PRECONDITION and name the path and the problem.
absl::StatusOr<std::unique_ptr<Connection>> OpenDatabaseFile(const std::string& path,
                                                             absl::Duration busy_timeout);

}  // namespace podswitch::switchd::config::internal
