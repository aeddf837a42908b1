// IpamStore: the SQLite file behind Ipam. It only stores and loads; every rule (which address
// is free, what a CIDR change allows) stays in Ipam. Not thread-safe: Ipam's mutex guards it.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/ipam/ipam.h"

namespace podswitch::agent::ipam::internal {

// Everything the file holds, read once when the agent starts.
struct StoredState {
  std::optional<std::string> pod_cidr;        // the CIDR of the previous run
  std::optional<Ipv4Address> last_allocated;  // the round-robin cursor
  std::vector<Allocation> allocations;        // ordered by address
};

// One open ipam.db; see the file comment.
class IpamStore {
 public:
  // Opens or creates `path` in WAL mode and takes the exclusive lock that keeps a second
  // agent out (UNAVAILABLE naming the file when another process holds it).
  static absl::StatusOr<std::unique_ptr<IpamStore>> Open(const std::string& path);
  ~IpamStore();
  IpamStore(const IpamStore&) = delete;
  IpamStore& operator=(const IpamStore&) = delete;

  // Reads the whole state, so Ipam can serve reads from memory afterwards.
  absl::StatusOr<StoredState> Load();
  // Records the pod CIDR now served and the cursor in one transaction.
  absl::Status SaveCidr(const std::string& pod_cidr, std::optional<Ipv4Address> last_allocated);
  // Adds one allocation and moves the cursor to it in one transaction, so a crash never
  // leaves one without the other.
  absl::Status Insert(const Allocation& allocation);
  // Removes the allocations of `keys` (container id, ifname) in one transaction.
  absl::Status Delete(const std::vector<std::pair<std::string, std::string>>& keys);

 private:
  explicit IpamStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  // Runs SQL without results; errors name the file and the statement.
  absl::Status Exec(const char* sql);
  // Runs `body` between BEGIN IMMEDIATE and COMMIT, rolling back when it fails.
  absl::Status InTransaction(const std::function<absl::Status()>& body);
  // A SQLite failure as a Status naming the file, the operation and SQLite's message.
  absl::Status Error(int code, std::string_view what) const;

  sqlite3* db_;
  std::string path_;
};

}  // namespace podswitch::agent::ipam::internal
