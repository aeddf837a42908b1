// ConfigDb: podswitchd's persistent, transactional configuration database (the role
// ovsdb-server plays for Open vSwitch), an SQLite file in WAL mode with a change log.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dataplane/switchd/config/config_model.h"
#include "dataplane/switchd/config/config_txn.h"

namespace podswitch::switchd::config {

namespace internal {
class Connection;
}  // namespace internal

// Tunables of a ConfigDb, with defaults fit for podswitchd.
struct ConfigDbOptions {
  // The change log keeps this many newest entries; older ones are trimmed on commit.
  size_t change_log_limit = 10000;
  // How long a transaction waits for another process holding the write lock.
  absl::Duration busy_timeout = absl::Seconds(5);
};

// The switch's configuration on disk: every change is one atomic transaction recorded in
// the change log, so podswitchd can restart from the file alone and operators can see who
// changed what. Thread-safe; several processes may open the same file.
class ConfigDb {
 public:
  // Opens the database at `path`, creating it and its directory (mode 0700) when missing.
  // Refuses with FAILED_PRECONDITION, naming the path and the problem, a file that is not
  // SQLite, belongs to another application, has a newer schema or is corrupt, and never
  // writes to such a file.
  static absl::StatusOr<std::unique_ptr<ConfigDb>> Open(const std::string& path,
                                                        ConfigDbOptions options = {});
  ~ConfigDb();
  ConfigDb(const ConfigDb&) = delete;
  ConfigDb& operator=(const ConfigDb&) = delete;

  // Runs `body` as one atomic transaction: either all of its changes are committed with one
  // change log entry (client, summary, details), or none are and its error is returned.
  // A body that changes nothing commits nothing and logs nothing. The body must not call
  // back into this ConfigDb (use the ConfigTxn it is given).
  absl::Status Transact(std::string_view client, std::string_view summary,
                        absl::FunctionRef<absl::Status(ConfigTxn&)> body);

  // Reads of the committed state, for callers outside a transaction (see ConfigTxn).
  absl::StatusOr<Bridge> GetBridge(std::string_view name);
  absl::StatusOr<std::vector<Bridge>> ListBridges();
  absl::StatusOr<Port> GetPort(std::string_view name);
  absl::StatusOr<std::vector<Port>> ListPorts(std::string_view bridge = "");
  absl::StatusOr<std::vector<Flow>> ListFlows(std::string_view bridge = "");

  // Entries with seq > since_seq, oldest first, at most `limit` (`podswitchctl db
  // show-log`, and catching up after a monitor reconnects).
  absl::StatusOr<std::vector<ChangeLogEntry>> ChangeLog(int64_t since_seq = 0, size_t limit = 1000);

  // A listener runs after each commit made through this handle, in commit order, on the
  // committing thread (for the gRPC monitor stream). It may read this ConfigDb but must not
  // call Transact, Subscribe or Unsubscribe. Returns an id for Unsubscribe.
  uint64_t Subscribe(std::function<void(const ChangeLogEntry&)> listener);
  // Stops a listener (when its monitor stream ends); unknown ids are ignored.
  void Unsubscribe(uint64_t id);

  // The whole configuration as one JSON document (`podswitchctl db dump`).
  absl::StatusOr<std::string> DumpJson();

  // The file this database lives in, for messages.
  const std::string& path() const { return path_; }

 private:
  ConfigDb(std::string path, ConfigDbOptions options, std::unique_ptr<internal::Connection> conn);

  // Runs body and commits; returns the appended entry, or nullopt when nothing changed.
  absl::StatusOr<std::optional<ChangeLogEntry>> TransactLocked(
      std::string_view client, std::string_view summary,
      absl::FunctionRef<absl::Status(ConfigTxn&)> body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ChangeLogEntry> AppendChangeLocked(std::string_view client,
                                                    std::string_view summary,
                                                    std::string details_json)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const ConfigDbOptions options_;

  absl::Mutex mu_;  // serializes use of the SQLite connection
  std::unique_ptr<internal::Connection> conn_ ABSL_GUARDED_BY(mu_);

  // Commits take a ticket under mu_ and notify in ticket order under listeners_mu_ after
  // releasing mu_, so listeners see commits in order and may read (take mu_) themselves.
  uint64_t next_commit_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex listeners_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  uint64_t next_notify_ticket_ ABSL_GUARDED_BY(listeners_mu_) = 0;
  std::map<uint64_t, std::function<void(const ChangeLogEntry&)>> listeners_
      ABSL_GUARDED_BY(listeners_mu_);
  uint64_t next_listener_id_ ABSL_GUARDED_BY(listeners_mu_) = 1;
};

}  // namespace podswitch::switchd::config
