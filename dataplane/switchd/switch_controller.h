// SwitchController: the one place that changes podswitchd's configuration. Every operation
// validates first, commits to the config database in one transaction, then applies to the
// running datapath, so a failed call leaves nothing half done and a restart replays the
// database alone. The gRPC service is a thin translation layer over it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/core/l2/mac_learning_table.h"
#include "dataplane/core/pipeline/pipeline.h"
#include "dataplane/core/pipeline/trace.h"
#include "dataplane/dpdk/pmd.h"
#include "dataplane/switchd/config/config_db.h"
#include "dataplane/switchd/flow_rows.h"
#include "dataplane/switchd/port_closer.h"

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
  // be opened yet (PortRuntime says why), as ovs-vsctl does. `flows` (add-flow texts, which
  // may name the new port) are committed in the same transaction; with may_exist and an
  // existing port they are added to it.
  absl::StatusOr<config::Port> CreatePort(std::string_view client, config::Port port,
                                          bool may_exist,
                                          const std::vector<std::string>& flows = {});
  // Deletes a port and, when `delete_flows` is set, the flows that del-flows filter selects
  // in the same transaction (on `bridge` when the port is already gone); returns how many
  // flows went.
  absl::StatusOr<size_t> DeletePort(std::string_view client, const std::string& name,
                                    const std::string& bridge, bool if_exists,
                                    const std::optional<std::string>& delete_flows = std::nullopt);
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
  // Opens the port and hands it to the datapath. mu_ is released while the port opens (a
  // socket port waits for kernel RCU grace periods, 10-40 ms), so pods' ports open in
  // parallel; an open that the port's deletion or reconfiguration overtook is discarded.
  absl::Status OpenAndAttach(const config::Port& port) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Port::Open; ethdev types one at a time (ethdev_mu_).
  absl::StatusOr<std::unique_ptr<dpdk::Port>> OpenPort(const config::Port& port)
      ABSL_LOCKS_EXCLUDED(mu_);
  // What DeletePortLocked took away: the port to close once mu_ is released, and how many
  // flows went with it.
  struct DeletedPort {
    std::unique_ptr<dpdk::Port> port;
    size_t flows = 0;
  };
  absl::StatusOr<DeletedPort> DeletePortLocked(std::string_view client, const std::string& name,
                                               const std::string& bridge, bool if_exists,
                                               const std::optional<std::string>& delete_flows)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes a detached port: socket ports in the background (PortCloser), so a pod's DEL does
  // not wait for the kernel, ethdev ports before returning.
  void ClosePort(std::unique_ptr<dpdk::Port> port) ABSL_LOCKS_EXCLUDED(mu_);
  // Takes the port away from the datapath (nullptr when it was not attached); the caller
  // closes it, preferably after releasing mu_.
  std::unique_ptr<dpdk::Port> DetachIfAttached(const config::Port& port)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Installs the bridge's stored flows and records which row holds each (flow_rows_).
  absl::Status InstallFlowsFromDb(const std::string& bridge) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  core::PortNameResolver ResolverFor(const std::string& bridge);

  // Flow operations' steps. ParseFlowsToAdd parses add-flow texts and checks them against the
  // bridge's pipeline without changing it (errors name the flow: "flow 2: ..."); PlanFlowRows
  // and PlanFlowDeletes say which rows change; InstallFlows adds checked flows.
  absl::StatusOr<size_t> AddFlowsLocked(std::string_view client, const std::string& bridge,
                                        const std::vector<std::string>& texts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<core::FlowSpec>> ParseFlowsToAdd(
      const std::string& bridge, const std::vector<std::string>& texts,
      const core::PortNameResolver& resolver);
  static void PlanFlowRows(const std::vector<core::FlowSpec>& specs, FlowRowChanges& changes);
  absl::Status InstallFlows(const std::string& bridge, const std::vector<core::FlowSpec>& specs);
  absl::StatusOr<core::FlowFilter> ParseFlowFilter(const std::string& bridge,
                                                   const std::string& text, bool strict);
  absl::Status PlanFlowDeletes(const std::string& bridge, const core::FlowFilter& filter,
                               FlowRowChanges& changes);
  absl::Status RequireBridge(const std::string& bridge);
  void RetryLoop();

  config::ConfigDb* db_;
  dpdk::Datapath* datapath_;
  rte_mempool* pool_;
  mutable absl::Mutex mu_;  // serialises configuration changes
  std::map<std::string, PortRuntime> runtime_ ABSL_GUARDED_BY(mu_);
  FlowRows flow_rows_ ABSL_GUARDED_BY(mu_);  // the database row of each persistent flow
  // Ports being opened with mu_ released: name -> the token of that open.
  std::map<std::string, uint64_t> opening_ ABSL_GUARDED_BY(mu_);
  uint64_t next_open_token_ ABSL_GUARDED_BY(mu_) = 0;
  // Opens and closes of ethdev ports, one at a time: DPDK's device hotplug (probe, remove) is
  // not made to run in parallel. Socket ports open and close without it.
  absl::Mutex ethdev_mu_;
  PortCloser closer_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread retry_thread_;
};

}  // namespace podswitch::switchd
