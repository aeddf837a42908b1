// ClusterSource: the seam between where cluster objects come from (the Kubernetes API
// server, or a standalone directory of YAML) and the ClusterStore the agent reads.
#pragma once

#include "absl/status/status.h"
#include "agent/cluster/cluster_store.h"

namespace podswitch::agent::cluster {

// Fills a ClusterStore and keeps it current until stopped. The agent starts one source,
// waits for Synced() before acting on absences (deleting flows of pods it has not seen yet
// would cut traffic), and stops it on shutdown.
class ClusterSource {
 public:
  virtual ~ClusterSource() = default;

  // Loads the initial state into `store` (which must outlive the source) and starts
  // following changes; an error means the source cannot work at all (missing directory,
  // unreachable API server), not that one object was bad.
  virtual absl::Status Start(ClusterStore* store) = 0;
  // Stops following changes and joins any thread; the store keeps its objects. Idempotent.
  virtual void Stop() = 0;
  // True once the initial state is in the store, so absences in it are meaningful.
  virtual bool Synced() const = 0;
};

}  // namespace podswitch::agent::cluster
