// Overlay: the node's VXLAN tunnels to the other nodes of the cluster. Keeps the tunnel port
// tun0 on br-int and, for every remote Node with a podCIDR and an InternalIP, the flows that
// send its pods' traffic through the tunnel and admit what its pods send back
// (tunnel_flows.h). Follows the ClusterStore (a node added, moved or deleted changes only
// that node's cookie) and rechecks everything against podswitchd periodically, so flows
// lost or left behind by anyone are put right within one resync interval.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/cluster/cluster_store.h"
#include "agent/overlay/tunnel_flows.h"
#include "agent/switch/switch_client.h"

namespace podswitch::agent::overlay {

struct OverlayOptions {
  std::string node_name;  // this node: its own Node gets no tunnel
  std::string local_ip;   // this node's VTEP address (its InternalIP, or --tunnel-local-ip)
  uint32_t vni = 1;       // the cluster's VXLAN network identifier
  uint16_t dst_port = 4789;
  // How often everything is compared with podswitchd's flows and port.
  absl::Duration resync_interval = absl::Seconds(10);
  // How soon a failed change (podswitchd away) is tried again.
  absl::Duration retry_interval = absl::Seconds(1);
};

class Overlay {
 public:
  // Checks the options (INVALID_ARGUMENT naming the bad one); does not touch podswitchd.
  static absl::StatusOr<std::unique_ptr<Overlay>> Create(OverlayOptions options,
                                                         SwitchClient* switch_client);
  ~Overlay();
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;

  // Follows `store`'s Nodes and starts the thread that keeps tun0 and the flows in place
  // (retrying while podswitchd or br-int is not there). `store` must outlive Stop().
  void Start(cluster::ClusterStore* store);
  // Unsubscribes and joins the thread; the flows stay in podswitchd for the next agent.
  void Stop();
  // Asks for a full comparison with podswitchd now (it restarted, or was unreachable).
  void RequestResync();

  // The remote nodes the flows are (to be) written for, by name.
  std::map<std::string, RemoteNode> RemoteNodes() const;
  // True once tun0 exists and one full resync succeeded since the last RequestResync.
  bool InSync() const;

 private:
  Overlay(OverlayOptions options, SwitchClient* switch_client);

  // Store listener: records the node's new wanted state and wakes the thread.
  void OnClusterEvent(const cluster::ClusterEvent& event);
  // The thread: waits for changes or the resync deadline and applies them.
  void Run();
  bool WorkPending() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Creates tun0 (or finds it) with this node's options; recreates it when its options are
  // someone else's. Sets tunnel_ofport_.
  absl::Status EnsureTunnelPort();
  // Compares every wanted cookie with podswitchd's overlay flows and fixes the difference.
  absl::Status Resync(const std::map<std::string, RemoteNode>& wanted);
  // Rewrites the flows of the nodes in `changed` (removes them for nodes no longer wanted).
  absl::Status ApplyChanges(const std::map<std::string, RemoteNode>& wanted,
                            const std::set<std::string>& changed);
  // Changes a node's flows from `old` to `flows` without a gap: adds first (same matches are
  // replaced in place), then deletes what `flows` no longer has.
  absl::Status UpdateCookie(uint64_t cookie, const std::vector<std::string>& old,
                            const std::vector<std::string>& flows);
  // Replaces the flows under `cookie` with `flows` (none: just delete).
  absl::Status RewriteCookie(uint64_t cookie, const std::vector<std::string>& flows);

  const OverlayOptions options_;
  SwitchClient* const switch_;
  cluster::ClusterStore* store_ = nullptr;
  uint64_t subscription_ = 0;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::map<std::string, RemoteNode> wanted_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> changed_ ABSL_GUARDED_BY(mu_);  // names whose flows must be rewritten
  bool resync_requested_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool in_sync_ ABSL_GUARDED_BY(mu_) = false;

  // The thread's own state.
  uint32_t tunnel_ofport_ = 0;
  std::map<std::string, std::vector<std::string>> installed_;  // node -> flows written
};

}  // namespace podswitch::agent::overlay
