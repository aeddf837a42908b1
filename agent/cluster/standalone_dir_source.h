// StandaloneDirSource: cluster objects from a directory of YAML/JSON files, watched with
// inotify (`podswitch-agent --standalone-dir DIR`), for nodes without Kubernetes and tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/cluster/cluster_model.h"
#include "agent/cluster/cluster_source.h"
#include "agent/cluster/cluster_store.h"

namespace podswitch::agent::cluster {

// Tunables of a StandaloneDirSource.
struct StandaloneDirOptions {
  // Quiet time after a change before the directory is re-read: editors and `kubectl`-style
  // tools write several files or a temporary file and a rename in a burst.
  absl::Duration debounce = absl::Milliseconds(150);
  // Longest wait while changes keep coming, so a busy writer cannot starve the agent.
  absl::Duration max_delay = absl::Seconds(1);
  // The owner name of this source's objects in the store.
  std::string source_name = "standalone";
};

// Mirrors every *.yaml, *.yml and *.json file of a directory (hidden files skipped, symlinks
// followed, so a mounted ConfigMap works) into a ClusterStore with Replace semantics: an
// object removed from its file, or a removed file, is deleted. A file that fails to parse
// keeps its previous objects and its error is logged once, with file, document and line;
// an unreadable directory keeps everything. Start and Stop are called from one thread.
class StandaloneDirSource : public ClusterSource {
 public:
  explicit StandaloneDirSource(std::string dir, StandaloneDirOptions options = {});
  // Stops the watcher thread if it still runs.
  ~StandaloneDirSource() override;
  StandaloneDirSource(const StandaloneDirSource&) = delete;
  StandaloneDirSource& operator=(const StandaloneDirSource&) = delete;

  // Watches the directory, reads it once into `store`, then follows changes on a thread.
  // NOT_FOUND/FAILED_PRECONDITION when the directory is missing or cannot be watched; files
  // that fail to parse do not fail Start (see FileErrors).
  absl::Status Start(ClusterStore* store) override;
  // Wakes and joins the watcher thread promptly; objects stay in the store.
  void Stop() override;
  // True once the first read of the directory is in the store.
  bool Synced() const override;

  // Re-reads the directory now (a SIGHUP, or a test that cannot wait for inotify); OK when
  // every file parsed, else INVALID_ARGUMENT listing the files' errors.
  absl::Status Resync();
  // The current parse error of each failing file, by file name, for status reporting.
  std::map<std::string, std::string> FileErrors() const;
  // How many times the directory has been read, so tests can see that bursts coalesce.
  uint64_t SyncCount() const;

 private:
  // Parses the directory's files into file_objects_ and returns every object to publish.
  absl::StatusOr<std::vector<ClusterObject>> ReadDirectory() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReadFile(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The watcher thread: waits for inotify events, debounces them and resyncs.
  void WatchLoop();
  // Reads pending inotify events; true when the directory may have changed.
  bool DrainEvents();
  bool AddWatch();
  void CloseFds();

  const std::string dir_;
  const StandaloneDirOptions options_;
  ClusterStore* store_ = nullptr;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> watch_lost_{false};
  std::thread thread_;
  std::atomic<bool> synced_{false};

  // Serialises whole resyncs so two never publish out of order.
  absl::Mutex sync_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  // The objects last parsed from each file, by file name; kept while the file is broken.
  std::map<std::string, std::vector<ClusterObject>> file_objects_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> file_errors_ ABSL_GUARDED_BY(mu_);
  uint64_t sync_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace podswitch::agent::cluster
