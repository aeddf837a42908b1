// SwitchController: the one place that changes podswitchd's configuration. Every operation
// validates first, commits to the config database in one transaction, then applies to the
// running datapath, so a failed call leaves nothing half done and a restart replays the
// database alone. The gRPC service is a thin translation layer over it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/core/l2/mac_learning_table.h"
#include "dataplane/core/pipeline/trace.h"
#include "dataplane/dpdk/pmd.h"
#include "dataplane/switchd/config/config_db.h"

struct rte_mempool;

namespace podswitch::switchd {

// What the running datapath made of a configured port.
struct PortRuntime {
  bool attached = false;
  std::string error;  // why it is not attached (interface missing, admin down, ...)
};

// One installed flow with its counters, for dump-flows.
struct FlowSnapshot {
  uint8_t table;
  int32_t priority;
  uint64_t cookie;
  std::string match;
  std::string actions;
  std::string text;
  uint64_t n_packets;
  uint64_t n_bytes;
  double duration_sec;
  double idle_age_sec;
  uint16_t idle_timeout;
  uint16_t hard_timeout;
};

class SwitchController {
 public:
  // `pool` backs every port the controller opens. Neither pointer is owned.
  SwitchController(config::ConfigDb* db, dpdk::Datapath* datapath, rte_mempool* pool);
  ~SwitchController();

  // Rebuilds the datapath from the database: bridges, ports (opened where possible) and
  // flows. Ports that cannot be opened stay configured with an error and are retried.
  absl::Status Restore();

  absl::Status CreateBridge(std::string_view client, const std::string& name, bool may_exist);
  absl::Status DeleteBridge(std::string_view client, const std::string& name, bool if_exists);

  // Adds a port (ofport 0 = next free); the database keeps it even when its interface cannot
  // be opened yet (PortRuntime says why), as ovs-vsctl does.
  absl::StatusOr<config::Port> CreatePort(std::string_view client, config::Port port,
                                          bool may_exist);
  absl::Status DeletePort(std::string_view client, const std::string& name,
                          const std::string& bridge, bool if_exists);
  // Changes columns of a port (tag, trunks, vlan_mode, admin state, options).
  absl::StatusOr<config::Port> UpdatePort(std::string_view client, const std::string& name,
                                          absl::FunctionRef<void(config::Port&)> edit);

  // add-flow(s): all flows or none.
  absl::StatusOr<size_t> AddFlows(std::string_view client, const std::string& bridge,
                                  const std::vector<std::string>& texts);
  absl::StatusOr<size_t> ModifyFlows(std::string_view client, const std::string& bridge,
                                     const std::string& text, bool strict);
  absl::StatusOr<size_t> DeleteFlows(std::string_view client, const std::string& bridge,
                                     const std::string& filter, bool strict);
  absl::StatusOr<std::vector<FlowSnapshot>> DumpFlows(const std::string& bridge,
                                                      const std::string& filter);

  absl::StatusOr<std::vector<core::FdbEntry>> DumpFdb(const std::string& bridge);
  absl::StatusOr<size_t> FlushFdb(const std::string& bridge);
  // Traces a packet given in flow syntax (in_port=1,tcp,...) or as raw frame bytes.
  absl::StatusOr<core::Trace> Trace(const std::string& bridge, const std::string& flow,
                                    const std::string& packet);

  PortRuntime Runtime(const std::string& port) const;
  config::ConfigDb& db() { return *db_; }
  dpdk::Datapath& datapath() { return *datapath_; }

  // Called by the datapath's interface watcher when a port's kernel interface vanished.
  void OnPortLost(const dpdk::LostPort& lost);

 private:
  absl::Status OpenAndAttach(const config::Port& port) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DetachIfAttached(const config::Port& port) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status InstallFlowsFromDb(const std::string& bridge) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<std::string>> PersistentFlowTexts(const std::string& bridge)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RequireBridge(const std::string& bridge);
  void RetryLoop();

  config::ConfigDb* db_;
  dpdk::Datapath* datapath_;
  rte_mempool* pool_;
  mutable absl::Mutex mu_;  // serialises configuration changes
  std::map<std::string, PortRuntime> runtime_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread retry_thread_;
};

}  // namespace podswitch::switchd
